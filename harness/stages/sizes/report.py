"""The size study's section of the report."""

from __future__ import annotations

from harness.core.store import Artifact
from harness.names import ArmName
from harness.report import answers, figures
from harness.report.lookup import first_of
from harness.stages.sizes.records import SizeStudyMetrics


def size_section(study, artifacts: dict[str, Artifact]) -> dict | None:
    """The dataset-size study as its artefact recorded it (criteria from its config)."""
    art = first_of(artifacts, "size_study")
    if art is None:
        return None
    cfg = art.manifest["config"]
    m = SizeStudyMetrics.from_json(art.metrics).to_json()
    return {"id": art.id, "config": cfg, **m,
            "arms": [a for a in m["sizes"][0]["arms"] if a != ArmName.BASELINE],
            "figure": figures.size_study(m["sizes"], cfg["budget"])}


def size_answers(sz: dict) -> list[dict]:
    """Page one: how many demonstrations each pre-trained arm needs to meet SC-003, and whether
    the recipe beats its ablation at any size."""
    parts = []
    for arm, n in sz["needed"].items():
        if n["episodes"] is None:
            parts.append(f"{arm}: at none of the sizes tried")
        elif n["at_floor"]:
            parts.append(f"{arm}: at or below {n['episodes']} episode(s), the smallest size "
                         f"tried (ratio {answers.ratio(n['ratio'], n['ratio_ci'])})")
        else:
            parts.append(f"{arm}: {n['episodes']} episodes (ratio "
                         f"{answers.ratio(n['ratio'], n['ratio_ci'])})")
    text = (f"Demonstrations needed to meet SC-003, over {len(sz['sizes'])} sizes "
            f"({', '.join(str(r['episodes']) for r in sz['sizes'])} episodes): "
            + "; ".join(parts) + ".")
    for other, at in sz["recipe_beats"].items():
        text += (f" The recipe beats {other} at " + (", ".join(map(str, at)) + " episodes."
                                                    if at else "no size (a null result)."))
    return [answers.answer("Dataset size", text, criteria=["SC-012u", "SC-012r"],
                           artifact=sz["id"])]
