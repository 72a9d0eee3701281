"""The regime map's section of the report: one table and one figure of where pre-training
pays, the size study's rows beside the regimes' (issue 24)."""

from __future__ import annotations

from harness.core.store import Artifact
from harness.report import answers, figures
from harness.report.lookup import first_of
from harness.stages.regimes.records import RegimeMapMetrics
from harness.stages.sizes.records import SizeStudyMetrics


def _size_rows(artifacts: dict[str, Artifact]) -> list[dict]:
    art = first_of(artifacts, "size_study")
    if art is None:
        return []
    confirmed = bool(art.manifest["config"].get("confirmed"))
    rows = []
    for r in SizeStudyMetrics.from_json(art.metrics).to_json()["sizes"]:
        rows.append({"regime": f"{r['episodes']} episodes", "axis": "size",
                     "short": f"size {r['episodes']} eps",
                     "label": f"the first {r['episodes']} episodes of the study dataset",
                     "arms": r["arms"], "artifact": art.id, "pays": None,
                     "dataset_episodes": r["episodes"], "dataset_steps": r["transitions"],
                     "confirmed": confirmed})
    return rows


def regimes_section(study, artifacts: dict[str, Artifact]) -> dict | None:
    art = first_of(artifacts, "regime_map")
    if art is None:
        return None
    m = RegimeMapMetrics.from_json(art.metrics).to_json()
    rows = []
    for r in m["rows"]:
        q = (r.get("demonstrator") or {}).get("quality")
        short = (f"{r['regime']} (demo {q['success_rate']:.2f})" if q
                 else f"task {r['scenario']}")
        rows.append({**r, "short": short, "artifact": art.id})
    sizes = _size_rows(artifacts)
    cfg = art.manifest["config"]
    ratio_max = cfg["comparison"]["ratio_max"]
    return {"id": art.id, "config": cfg, "rows": rows, "size_rows": sizes,
            "demonstrators": m["demonstrators"],
            "expert_training_steps": m["expert_training_steps"], "ratio_max": ratio_max,
            "figure": figures.regime_map(rows + sizes, ratio_max)}


def regimes_answers(rg: dict) -> list[dict]:
    """Page one: where pre-training pays, one sentence per regime (computed from its numbers
    when the regime map was built)."""
    items = []
    for r in rg["rows"]:
        q = (r.get("demonstrator") or {}).get("quality")
        what = (f"demonstrator {r['regime']} (success "
                f"{answers.rate(q['success_rate'], q['success_ci'])}, "
                f"{r['dataset_episodes']} episodes)" if q else
                f"new task '{r['scenario']}' ({r['dataset_episodes']} episodes of the expert's "
                f"own mix)")
        items.append(f"{what}: {r['pays']}")
    text = (f"Where pre-training pays, over {len(rg['rows'])} declared regime(s) where "
            f"fine-tuning has to do the work:")
    return [answers.answer("Regime map", text, criteria=["SC-024q", "SC-024d"], items=items,
                           artifact=rg["id"])]
