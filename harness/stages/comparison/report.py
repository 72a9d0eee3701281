"""The comparison's section of the report: every arm against the baseline on matched seeds."""

from __future__ import annotations

import json

from harness.core.store import Artifact
from harness.names import ArmName
from harness.report import figures
from harness.report.lookup import first_of
from harness.stages.comparison.records import ComparisonMetrics
from harness.stages.pretraining.records import ArmRunMetrics


def pretraining_section(study, artifacts: dict[str, Artifact]) -> dict | None:
    """The comparison as its artefacts recorded it: criteria from the comparison's config,
    the recipe, BC and critic settings from the pre-trained runs' configs."""
    cmp = first_of(artifacts, "comparison")
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
            "final_episodes": base.final_episodes, "confirmation": m.get("confirmation"),
            "power": m.get("power"), "power_declared": cfg.get("power"),
            "dataset_steps": typed.dataset_steps, "dataset_episodes": typed.dataset_episodes,
            "expert_steps": typed.expert_training_steps,
            "expert_steps_total": sum(typed.expert_training_steps.values()),
            "recipe": run_cfg.get("finetune"), "bc": run_cfg.get("bc"),
            "critic": run_cfg.get("critic"),
            "fig_curves": figures.arm_curves(curves, target["success"], cfg["budget"]),
            "fig_t": figures.time_to_target(m["arms"], cfg["budget"]),
            "fig_ratio": figures.ratio_forest(m["arms"], cfg["ratio_max"]),
            "fig_bc": figures.bc_losses(bc_curves) if bc_curves else None}
