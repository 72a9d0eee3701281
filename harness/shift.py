"""The ``shift`` artefact: success of the BC, fine-tuned and baseline policies on every evaluated
family, the datasets' coverage gaps, and every regression beyond the margin, by name."""

from __future__ import annotations

import numpy as np

from harness import compare
from harness.arm_runs import load_bc_policy, load_final_policy
from harness.evaluate import evaluate
from harness.metrics import DatasetMetrics, Regression, ShiftMetrics
from harness.spec.study import PretrainSpec, ShiftSpec
from harness.store import Artifact, Build, Store


def shift_matrix(spec: ShiftSpec, pre: PretrainSpec, baseline: list[Artifact],
                 matched: list[Artifact], shifted: list[Artifact], matched_dataset: Artifact,
                 shifted_dataset: Artifact, store: Store) -> Artifact:
    """The ``shift`` artefact: success of every policy on every family, gaps and regressions."""
    seeds = spec.eval_set().seeds()

    def build(b: Build) -> None:
        policies = {
            "baseline": [load_final_policy(r) for r in baseline],
            "bc (matched data)": [load_bc_policy(r) for r in matched],
            "fine-tuned (matched data)": [load_final_policy(r) for r in matched],
            "bc (shifted data)": [load_bc_policy(r) for r in shifted],
            "fine-tuned (shifted data)": [load_final_policy(r) for r in shifted],
        }
        success: dict[str, dict[str, float]] = {}
        collision: dict[str, dict[str, float]] = {}
        for name, models in policies.items():
            success[name], collision[name] = {}, {}
            for sc in spec.eval_scenarios:
                res = [evaluate(m.policy, sc, seeds, pre.eval.n_envs) for m in models]
                success[name][sc.name] = float(np.mean([r.success_rate for r in res]))
                collision[name][sc.name] = float(np.mean([r.collision_rate for r in res]))
        checked = ["fine-tuned (matched data)", "fine-tuned (shifted data)"]
        flagged = compare.regressions(success, "baseline", spec.margin, checked)
        informational = compare.regressions(success, "baseline", spec.margin,
                                            ["bc (matched data)", "bc (shifted data)"])
        b.metrics = ShiftMetrics(
            success=success, collision=collision,
            regressions=[Regression(**r) for r in flagged],
            bc_gaps=[Regression(**r) for r in informational], margin=spec.margin,
            seeds=list(spec.seeds), episodes=spec.episodes,
            fine_tuning_scenario=pre.scenario.name,
            coverage_gaps={
                "matched": compare.coverage_gaps(
                    DatasetMetrics.from_json(matched_dataset.metrics).coverage, pre.scenario),
                "shifted": compare.coverage_gaps(
                    DatasetMetrics.from_json(shifted_dataset.metrics).coverage, pre.scenario)},
            dataset_scenarios={"matched": matched_dataset.manifest["scenarios"],
                               "shifted": shifted_dataset.manifest["scenarios"]}).to_json()
        b.status = "regression" if flagged else "no_regression"
        b.extra = {"scenario": pre.scenario.name}

    return store.get_or_build("shift", spec.config(), list(spec.seeds), build,
                              inputs=[matched_dataset, shifted_dataset, *baseline, *matched,
                                      *shifted])
