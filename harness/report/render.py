"""Assemble the report context from recorded criteria and artefact manifests; render it."""

from __future__ import annotations

import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from harness.core.paths import templates_dir
from harness.core.store import Artifact, Store, StoreError, environment_versions, git_state
from harness.names import ArmName
from harness.report import figures
from harness.stages.comparison.records import ComparisonMetrics
from harness.stages.dataset.records import DatasetMetrics
from harness.stages.expert.records import ExpertMetrics, ExpertRunMetrics
from harness.stages.pretraining.records import ArmRunMetrics
from harness.stages.shift.records import ShiftMetrics
from harness.stages.sizes.records import SizeStudyMetrics

LOADERS = {
    "expert": ("from harness.api import load_policy",
               "model = load_policy('{id}', root='{root}')  # stable_baselines3.PPO"),
    "expert_run": ("from stable_baselines3 import PPO",
                   "model = PPO.load('{path}/model.zip', device='cpu')"),
    "arm_run": ("from harness.api import load_policy",
                "model = load_policy('{id}', root='{root}')  # fine-tuned or baseline PPO"),
    "dataset": ("import minari  # or h5py.File('{path}/data/main_data.hdf5')",
                "ds = minari.MinariDataset('{path}/data')"),
}
DEFAULT_LOADER = ("from harness.api import open_store",
                  "artifact = open_store('{root}').find('{id}')  # .manifest, .file(name)")


def render_study_report(profile: str, spec_path: str | None, results: dict,
                        artifacts_root: Path, out_dir: Path, started: float,
                        exitstatus: int) -> tuple[Path, Path]:
    """Write ``<out_dir>/<study>/report.html`` and ``report.pdf``; return both paths."""
    from harness.spec.loader import load_study

    study = load_study(profile, spec_path)
    store = Store(artifacts_root)
    context = build_context(study, results, store, started, exitstatus)
    html = render_html(context)
    folder = out_dir / study.name
    folder.mkdir(parents=True, exist_ok=True)
    html_path, pdf_path = folder / "report.html", folder / "report.pdf"
    _atomic_write_text(html_path, html)
    (folder / "report_context.json").write_text(json.dumps(_jsonable(context), indent=1))
    _write_pdf(html, pdf_path)
    return html_path, pdf_path


def render_html(context: dict, template: str = "report.html.j2") -> str:
    """The report (or one of its included parts, given ``template``) rendered from ``context``."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined)
    env.filters["pct"] = lambda v, d=1: "n/a" if v is None else f"{100 * v:.{d}f}%"
    env.filters["num"] = lambda v: "n/a" if v is None else f"{v:,}"
    env.filters["ci"] = lambda v: "n/a" if not v else f"[{100 * v[0]:.1f}, {100 * v[1]:.1f}]%"
    css = (templates_dir() / "report.css").read_text()
    return env.get_template(template).render(css=css, **context)


def _write_pdf(html: str, path: Path) -> None:
    from weasyprint import HTML

    tmp = path.with_suffix(".pdf.tmp")
    HTML(string=html, base_url=str(templates_dir())).write_pdf(str(tmp))
    os.replace(tmp, path)


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def build_context(study, results: dict, store: Store, started: float, exitstatus: int) -> dict:
    artifacts, missing = _collect(store, results["artifacts"] + [
        c["artifact"] for c in results["criteria"] if c.get("artifact")])
    git = git_state()
    criteria = sorted((provenance_flags(c, artifacts, git) for c in results["criteria"]),
                      key=lambda c: (c["passed"] or bool(c.get("not_run")), c["id"], c["test"]))
    tests = sorted(results["tests"], key=lambda t: (t["outcome"] == "passed", t["nodeid"]))
    failed_tests = [t for t in tests if t["outcome"] == "failed"]
    decided = [c for c in criteria if not c.get("not_run")]
    verdict = (exitstatus == 0 and all(c["passed"] for c in decided) and not failed_tests
               and bool(decided))
    return {
        "title": f"Study report: {study.name}",
        "study": {"name": study.name, "profile": study.profile, "file": study.file,
                  "config_hash": study.config_hash},
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_min": round((time.time() - started) / 60.0, 1),
        "exitstatus": exitstatus,
        "verdict": verdict,
        "criteria": criteria,
        "tests": tests,
        "failed_tests": failed_tests,
        "provenance": {"git": git, "environment": environment_versions(),
                       "node": platform.node(), "artifacts_root": str(store.root)},
        "environment": environment_section(study),
        "expert": expert_section(artifacts),
        "dataset": dataset_section(study, artifacts),
        "pretraining": pretraining_section(artifacts),
        "shift": shift_section(artifacts),
        "shift_declared": study.shift is not None,
        "shift_deviation": study.shift_deviation,
        "sizes": size_section(artifacts),
        "seed_plan": seed_plan(artifacts),
        "index": artifact_index(artifacts),
        "missing": missing,
    }


def provenance_flags(criterion: dict, artifacts: dict[str, Artifact], git: dict) -> dict:
    """The criterion row with a flag when its artefact was built by another commit than the
    report's, or from a dirty tree (DESIGN.md section 4, provenance of a shown number)."""
    flags = []
    art = artifacts.get(criterion.get("artifact") or "")
    if art is not None:
        built = art.manifest.get("git", {})
        if built.get("dirty"):
            flags.append(f"built from a dirty working tree at {str(built.get('commit'))[:10]}")
        if built.get("commit") != git.get("commit"):
            flags.append(f"built by commit {str(built.get('commit'))[:10]}, this report by "
                         f"{str(git.get('commit'))[:10]}")
        inputs = [artifacts[r["id"]] for r in art.manifest.get("inputs", [])
                  if r["id"] in artifacts]
        resumed = [a for a in (art, *inputs) if a.manifest.get("resumption")]
        for a in resumed:
            flags.append(f"{a.id} was resumed after an interruption at step "
                         f"{a.manifest['resumption']['resumed_from_step']:,} (approximate "
                         f"resumption: its later numbers differ from an uninterrupted run's)")
    elif criterion.get("artifact"):
        flags.append("artefact missing from the store")
    return {**criterion, "deviation": criterion.get("deviation"), "flags": flags}


def seed_plan(artifacts: dict[str, Artifact]) -> list[dict]:
    """The episode-seed ranges each purpose used, from the artefacts' manifests."""
    rows: dict[tuple, dict] = {}
    for art in artifacts.values():
        recorded = art.manifest.get("episode_seeds") or \
            art.manifest.get("config", {}).get("episode_seeds") or {}
        if "purpose" in recorded:
            recorded = {"evaluation": recorded}
        for role, r in recorded.items():
            key = (r["purpose"], r["start"], r["stop"])
            row = rows.setdefault(key, {"purpose": r["purpose"], "start": r["start"],
                                        "stop": r["stop"], "artifacts": []})
            row["artifacts"].append(f"{art.id} ({role})")
    for row in rows.values():
        row["artifacts"].sort()  # independent of the order workers reported in
    return sorted(rows.values(), key=lambda r: (r["start"], r["stop"]))


def _collect(store: Store, ids: list[str]) -> tuple[dict[str, Artifact], list[str]]:
    """The artefacts the tests referenced, plus their inputs, transitively."""
    found: dict[str, Artifact] = {}
    missing: list[str] = []
    todo = list(ids)
    while todo:
        aid = todo.pop(0)
        if aid in found or aid in missing:
            continue
        try:
            art = store.find(aid)
        except StoreError as exc:  # absent, or tampered (IntegrityError): never cited
            diffs = getattr(exc, "differences", None)
            note = f"{aid} (integrity check failed: {diffs[0].text()})" if diffs else aid
            missing += [note] if note not in missing else []
            continue
        found[aid] = art
        todo += [ref["id"] for ref in art.manifest.get("inputs", [])]
    return found, missing


def artifact_index(artifacts: dict[str, Artifact]) -> list[dict]:
    rows = []
    for art in sorted(artifacts.values(), key=lambda a: (a.kind, a.id)):
        lines = LOADERS.get(art.kind, DEFAULT_LOADER)
        rows.append({"id": art.id, "kind": art.kind, "status": art.status,
                     "created": art.manifest["created"], "path": str(art.path),
                     "config_sha256": art.manifest["config_sha256"][:12],
                     "commit": (art.manifest["git"]["commit"] or "")[:10],
                     "dirty": art.manifest["git"]["dirty"],
                     "load": [ln.format(id=art.id, path=art.path, root=art.path.parent.parent)
                              for ln in lines]})
    return rows


def _first(artifacts: dict[str, Artifact], kind: str) -> Artifact | None:
    return next((a for a in artifacts.values() if a.kind == kind), None)


def expert_section(artifacts: dict[str, Artifact]) -> dict | None:
    """The expert stage as its artefacts recorded it (gate and schedule from their configs)."""
    expert = _first(artifacts, "expert")
    if expert is None:
        return None
    runs = [artifacts[r["id"]] for r in expert.manifest["inputs"] if r["id"] in artifacts]
    curves = {a.manifest["seeds"][0]: json.loads(a.file("learning_curve.json").read_text())
              for a in runs}
    decision = ExpertMetrics.from_json(expert.metrics).decision.to_json()
    gate = expert.manifest["config"]["promotion"]
    run_cfg = runs[0].manifest["config"] if runs else {}
    conv = run_cfg.get("convergence", {})
    rows = []
    for a in sorted(runs, key=lambda a: a.manifest["seeds"][0]):
        seed = a.manifest["seeds"][0]
        m = ExpertRunMetrics.from_json(a.metrics)
        final = m.final_eval
        check = next(c for c in decision["seeds"] if c["seed"] == seed)
        rows.append({"seed": seed, "id": a.id, "status": a.status,
                     "converged_at": m.converged_at, "timesteps": m.timesteps,
                     "wall_min": round(m.train_wall_seconds / 60.0, 1),
                     "steps_per_second": m.steps_per_second,
                     "episodes": final.episodes, "success": final.success_rate,
                     "success_ci": final.success_ci, "collision": final.collision_rate,
                     "collision_ci": final.collision_ci, "timeout": final.timeout_rate,
                     "return": final.return_.to_json(), "passed": check["passed"],
                     "failures": check["failures"]})
    figure = figures.learning_curves(
        curves, conv.get("success", gate["success"]), conv.get("collision", gate["collision"]),
        {r["seed"]: r["converged_at"] for r in rows},
        f"Expert PPO on '{expert.manifest.get('scenario')}'")
    families = expert.manifest["config"].get("families", [])
    per_family = bool(gate.get("per_family"))
    return {"id": expert.id, "status": expert.status, "scenario": expert.manifest.get("scenario"),
            "chosen_seed": expert.manifest.get("chosen_seed"),
            "per_family": per_family, "families": families,
            "family_gate": family_gate(decision, families) if per_family else None,
            "family_figure": figures.family_curves(
                curves, conv.get("success", gate["success"]),
                conv.get("collision", gate["collision"]), families,
                f"Expert PPO on mix '{expert.manifest.get('scenario')}'") if per_family else None,
            "diagnostics": decision["diagnostics"], "rows": rows, "figure": figure,
            "gate": gate,
            "convergence": {**conv, "every": run_cfg.get("eval", {}).get("every"),
                            "episodes": run_cfg.get("eval", {}).get("episodes")},
            "budget": run_cfg.get("budget"), "ppo": run_cfg.get("ppo")}


def family_gate(decision: dict, families: list[str]) -> dict:
    """The per-family gate as a family x seed table: each cell that family's final success and
    collision rates (Wilson 95% intervals) on its own episodes, and whether it passes."""
    seeds = [c["seed"] for c in decision["seeds"]]
    cells = {(c["family"], c["seed"]): c for c in decision.get("families", [])}
    rows = []
    for family in families:
        row = {"family": family, "cells": [cells.get((family, s)) for s in seeds]}
        row["passed"] = all(c is not None and c["passed"] for c in row["cells"])
        rows.append(row)
    return {"seeds": seeds, "rows": rows}


def environment_section(study) -> dict | None:
    """What a declared (non built-in) environment is: its families, wrappers and outcome rule
    (None for the built-in simulator, whose scenarios the expert section names)."""
    if study.environment is None:
        return None
    families = list(study.environment.values())
    first = families[0]
    return {"name": first.environment, "imports": list(first.imports),
            "wrappers": list(first.wrappers), "vectorise": first.vectorise,
            "outcome": first.outcome.describe(),
            "descriptors": [d.as_dict() for d in first.descriptors],
            "families": [{"name": f.name, "env": f.label(),
                          "max_episode_steps": f.max_episode_steps,
                          "observation": str(f.observation_space),
                          "action": str(f.action_space)} for f in families]}


def dataset_section(study, artifacts: dict[str, Artifact]) -> dict | None:
    """The study's own dataset (the shift experiment's dataset is shown with the shift)."""
    names = [s.name for s in study.dataset.scenarios]
    datasets = [a for a in artifacts.values() if a.kind == "dataset"
                and a.manifest.get("scenarios") == names]
    if not datasets:
        return None
    ds = datasets[0]
    insp = next((a for a in artifacts.values() if a.kind == "dataset_inspection"
                 and any(r["id"] == ds.id for r in a.manifest["inputs"])), None)
    meta = ds.manifest["dataset"]
    dm = DatasetMetrics.from_json(ds.metrics)
    out = {"id": ds.id, "dataset_id": meta["dataset_id"], "episodes": dm.episodes,
           "steps": dm.steps, "coverage": dm.coverage,
           "validation": dm.validation.to_json(), "expert": meta["expert"],
           "deterministic": meta["deterministic_actions"], "sha256": meta["data_sha256"],
           "created": meta["created"], "contract": meta["observation_contract"],
           "path": str(ds.path), "inspection": None}
    if insp is not None:
        stats = json.loads(insp.file("analytics.json").read_text())
        playback = json.loads(insp.file("playback.json").read_text())
        anomalous = [r for r in stats["episodes_table"] if r["anomalies"]]
        out["inspection"] = {
            "id": insp.id, "figure": figures.dataset_analytics(stats),
            "anomaly_counts": stats["anomaly_counts"], "replayed": stats["episodes"],
            "anomalous": anomalous[:15], "anomalous_total": len(anomalous),
            "playback": [{**r, "image": figures.image_uri(insp.path / r["final_frame"])
                          if r.get("final_frame") else None} for r in playback],
            "return": stats["return"], "length": stats["length"],
            "by_family": stats.get("by_family", {}) if len(stats.get("by_family", {})) > 1
            else {}}
    return out


def pretraining_section(artifacts: dict[str, Artifact]) -> dict | None:
    """The comparison as its artefacts recorded it: criteria from the comparison's config,
    the recipe, BC and critic settings from the pre-trained runs' configs."""
    cmp = _first(artifacts, "comparison")
    if cmp is None:
        return None
    typed = ComparisonMetrics.from_json(cmp.metrics)  # fails here, named, on a schema drift
    m = typed.to_json()
    cfg = cmp.manifest["config"]
    runs = {a.id: a for a in artifacts.values() if a.kind == "arm_run"}
    curves: dict[str, dict[int, list[dict]]] = {}
    bc_curves: dict[int, list[dict]] = {}
    recipe_run = None
    for arm, row in typed.arms.items():
        curves[arm] = {}
        for seed, rid in zip(row.seeds, row.run_ids, strict=True):
            run = runs.get(rid)
            if run is None:
                continue
            curves[arm][seed] = json.loads(run.file("learning_curve.json").read_text())
            if arm == ArmName.PRETRAINED:
                bc_curves[seed] = ArmRunMetrics.from_json(run.metrics).bc_curve
                recipe_run = recipe_run or run
    per_seed = []
    base = typed.arms[ArmName.BASELINE]
    for i, seed in enumerate(base.seeds):
        row = {"seed": seed}
        for arm, r in typed.arms.items():
            row[arm] = {"t": r.time_to_target[i], "censored": r.censored[i],
                        "final_success": r.final_success[i],
                        "final_collision": r.final_collision[i],
                        "ratio": r.per_seed_ratio[i] if r.per_seed_ratio else None,
                        "bc_success": r.bc_success[i] if r.bc_success else None,
                        "drop": r.unlearning_drop[i] if r.unlearning_drop else None}
        per_seed.append(row)
    run_cfg = recipe_run.manifest["config"] if recipe_run else {}
    target = {**cfg["target"], "every": cfg["every"]}
    return {"id": cmp.id, "scenario": cmp.manifest.get("scenario"), "arms": m["arms"],
            "per_seed": per_seed, "budget": cfg["budget"], "target": target,
            "criteria": cfg, "sensitivity": m["sensitivity"], "recipe_vs": m["recipe_vs"],
            "final_vs_baseline": m["final_vs_baseline"],
            "final_episodes": base.final_episodes,
            "dataset_steps": typed.dataset_steps, "dataset_episodes": typed.dataset_episodes,
            "expert_steps": typed.expert_training_steps,
            "expert_steps_total": sum(typed.expert_training_steps.values()),
            "recipe": run_cfg.get("finetune"), "bc": run_cfg.get("bc"),
            "critic": run_cfg.get("critic"),
            "fig_curves": figures.arm_curves(curves, target["success"], cfg["budget"]),
            "fig_t": figures.time_to_target(m["arms"], cfg["budget"]),
            "fig_ratio": figures.ratio_forest(m["arms"], cfg["ratio_max"]),
            "fig_bc": figures.bc_losses(bc_curves) if bc_curves else None}


def size_section(artifacts: dict[str, Artifact]) -> dict | None:
    """The dataset-size study as its artefact recorded it (criteria from its config)."""
    art = _first(artifacts, "size_study")
    if art is None:
        return None
    cfg = art.manifest["config"]
    m = SizeStudyMetrics.from_json(art.metrics).to_json()
    return {"id": art.id, "config": cfg, **m,
            "arms": [a for a in m["sizes"][0]["arms"] if a != ArmName.BASELINE],
            "figure": figures.size_study(m["sizes"], cfg["budget"])}


SHIFT_ARMS = {ArmName.BASELINE: "baseline", ArmName.MATCHED: "matched-data arm",
              ArmName.SHIFTED: "shifted-data arm"}


def shift_section(artifacts: dict[str, Artifact]) -> dict | None:
    """The shift experiment as its artefact recorded it: every arm per family, the shifted-data
    arm's differences with intervals and verdicts, coverage and its gaps, the regressions."""
    sh = _first(artifacts, "shift")
    if sh is None:
        return None
    m = ShiftMetrics.from_json(sh.metrics).to_json()
    families = list(next(iter(m["cells"].values())))
    success = {}
    for arm in (ArmName.BASELINE, ArmName.MATCHED, ArmName.SHIFTED):
        if arm != ArmName.BASELINE:
            success[f"bc ({arm} data)"] = {f: m["cells"][arm][f]["bc_success"] for f in families}
        label = "baseline" if arm == ArmName.BASELINE else f"fine-tuned ({arm} data)"
        success[label] = {f: m["cells"][arm][f]["final_success"] for f in families}
    flagged = [{"policy": "fine-tuned (shifted data)", "scenario": r["family"]}
               for r in m["regressions"]]
    return {"id": sh.id, "status": sh.status, **m, "families": families,
            "arm_names": SHIFT_ARMS,
            "figure": figures.shift_heatmap(success, flagged, len(m["seeds"]))}


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()
                if not (isinstance(v, str) and v.startswith("data:image"))}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value
