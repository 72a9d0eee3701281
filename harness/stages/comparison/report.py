"""The comparison's section of the report: every arm against the baseline on matched seeds."""

from __future__ import annotations

import json

from harness.core.store import Artifact
from harness.names import ArmName
from harness.report import answers, figures
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
            "fig_curves": figures.arm_curves(curves, target["success"], cfg["budget"],
                                             {a: r["iqm_time"] for a, r in m["arms"].items()}),
            "fig_t": figures.time_to_target(m["arms"], cfg["budget"]),
            "fig_ratio": figures.ratio_forest(m["arms"], cfg["ratio_max"]),
            "fig_bc": figures.bc_losses(bc_curves) if bc_curves else None}


def pretraining_answers(pt: dict) -> list[dict]:
    """Page one: the headline (does pre-training reach the target in fewer online steps, by how
    much, how certain, at what cost), the recipe against its ablations, and the final level."""
    arms = pt["arms"]
    base = arms[ArmName.BASELINE]
    n = len(base["seeds"])
    out = []
    target = (f"success >= {pt['target']['success']:.2f}, collision <= "
              f"{pt['target']['collision']:.2f}")
    for name, r in arms.items():
        if name == ArmName.BASELINE or name != ArmName.PRETRAINED:
            continue
        censored = sum(r["censored"])
        text = (f"Pre-trained PPO (BC + fine-tuning recipe) reaches the target ({target}) in "
                f"IQM T = {answers.steps(r['iqm_time'])} online steps against "
                f"{answers.steps(base['iqm_time'])} for PPO from scratch: ratio "
                f"{answers.ratio(r['ratio'], r['ratio_ci'])} (95% seed bootstrap; criterion "
                f"<= {pt['criteria']['ratio_max']} with the interval below 1), on {n} matched "
                f"seeds; T = 0 (at target before any online step) on "
                f"{answers.of(r.get('at_step_zero', 0), n)} seeds; censored at the budget "
                f"({answers.steps(pt['budget'])} steps): {answers.of(censored, n)} pre-trained, "
                f"{answers.of(sum(base['censored']), n)} baseline runs. Cost beside it: "
                f"{answers.steps(pt['dataset_steps'])} demonstration transitions "
                f"({pt['dataset_episodes']} episodes) and "
                f"{answers.steps(pt['expert_steps_total'])} expert training steps.")
        limits = []
        if r.get("at_step_zero", 0) * 2 > n:
            limits.append(f"Behaviour cloning alone is at the target on "
                          f"{answers.of(r['at_step_zero'], n)} seeds: the ratio measures BC "
                          f"reaching the target without online steps, not a speed-up of "
                          f"fine-tuning.")
        out.append(answers.answer("Sample efficiency", text, criteria=["SC-003"],
                                  limits=limits, artifact=pt["id"]))
    finals = "; ".join(
        f"{name} {answers.rate(arms[name]['final_success_mean_ci'][0])} minus baseline "
        f"{answers.rate(base['final_success_mean_ci'][0])}: "
        f"{answers.signed(d['difference'], d['ci'])} (margin -{d['margin']})"
        for name, d in pt["final_vs_baseline"].items())
    drops = [d for d in arms[ArmName.PRETRAINED].get("unlearning_drop") or []]
    text = f"Final success after the budget ({pt['final_episodes']} episodes per run): {finals}."
    if drops:
        text += (f" Largest drop below the BC policy during fine-tuning, worst seed: "
                 f"{max(drops):+.3f}.")
    out.append(answers.answer("No regression", text, criteria=["SC-003f", "SC-003u"],
                              artifact=pt["id"]))
    for other, v in (pt["recipe_vs"] or {}).items():
        text = (f"Recipe minus {other} BC -> PPO, paired by seed: IQM T "
                f"{answers.signed(v['t_difference'], v['t_ci'], '+,.0f')} steps "
                f"({v['t_verdict']}); largest drop below BC "
                f"{answers.signed(v['drop_difference'], v['drop_ci'])} ({v['drop_verdict']}).")
        out.append(answers.answer("Recipe vs naive", text, criteria=["SC-003r"],
                                  artifact=pt["id"]))
    weak = [f"{cid}: the margin's power falls short of the declared {p['required']}: "
            f"{p['effect']} is detected with probability {p['detect']:.2f}, and the criterion "
            f"passes when there is no effect with probability {p['clear']:.2f} ({p['design']})"
            for cid, p in (pt["power"] or {}).items() if not p["met"]]
    if weak and out:
        out[0]["limits"].extend(weak)
    return out
