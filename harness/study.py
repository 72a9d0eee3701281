"""Pre-training study stage: matched-seed runs of every arm, the comparison, the shift matrix.

Artefacts:
- ``arm_run``: one (arm, seed) run: for pre-trained arms the BC curves, checkpoints and BC
  evaluation, the critic pre-training curve, then the online learning curve, model and final
  evaluation. Baseline runs do not depend on any dataset and are shared by every comparison.
- ``comparison``: time to target per seed and arm, IQM ratio with bootstrap CI, probability of
  improvement, success AUC, final performance, no-unlearning measure.
- ``shift``: evaluation matrix of BC, fine-tuned and baseline policies over scenario families,
  the dataset's coverage gaps and every regression beyond the margin, by name.
"""

from __future__ import annotations

import json

import numpy as np
import torch
from stable_baselines3 import PPO

from harness import compare
from harness.evaluate import evaluate
from harness.nav.scenario import Scenario
from harness.pretrain import (
    FineTunePPO,
    check_contract,
    load_demonstrations,
    pretrain_critic,
    reset_action_noise,
    train_bc,
)
from harness.spec.ppo import PPOConfig
from harness.spec.study import EVAL_SEED_BASE, Arm, PretrainSpec, ShiftSpec, final_eval_seeds
from harness.store import Artifact, Build, Store
from harness.train import ProgressFn, Target, build_ppo, seed_everything, train_run


def arm_config(spec: PretrainSpec, ppo: PPOConfig, arm: Arm, scenario: Scenario,
               budget: int) -> dict:
    from dataclasses import asdict

    from harness.spec.study import scenario_dict

    cfg = {"stage": "arm_run", "arm": arm.name, "pretrained": arm.pretrained,
           "scenario": scenario_dict(scenario), "ppo": ppo.as_dict(), "budget": budget,
           "eval": {"every": spec.eval.every, "episodes": spec.eval.episodes,
                    "n_envs": spec.eval.n_envs},
           "target": {"success": spec.target.success, "collision": spec.target.collision,
                      "consecutive": spec.consecutive}, "final_episodes": spec.final_episodes}
    if arm.pretrained:
        cfg.update({"bc": asdict(spec.bc), "critic": asdict(spec.critic) if arm.critic else None,
                    "finetune": asdict(arm.finetune)})
    return cfg


def train_arm(spec: PretrainSpec, ppo: PPOConfig, arm: Arm, seed: int, store: Store,
              dataset: Artifact | None = None, scenario: Scenario | None = None,
              budget: int | None = None, progress: ProgressFn | None = None) -> Artifact:
    """The ``arm_run`` artefact of (arm, seed): same env seeds, evaluation and budget for
    every arm; pre-trained arms first clone ``dataset``."""
    scenario = scenario or spec.scenario
    budget = budget or spec.budget
    if arm.pretrained and dataset is None:
        raise ValueError(f"arm '{arm.name}' is pre-trained and needs a dataset artefact")

    def build(b: Build) -> None:
        seed_everything(seed)
        extra: dict = {}
        if arm.pretrained:
            check_contract(dataset.path, scenario)
            demos = load_demonstrations(dataset.path, ppo.gamma, spec.bc.val_fraction, seed)
            model = build_ppo(ppo, scenario, seed, b.dir / "tb", cls=FineTunePPO,
                              recipe=arm.finetune, demos=demos)
            bc_curve = train_bc(model, demos, spec.bc, seed, b.dir / "bc")
            torch.save(model.policy.state_dict(), b.dir / "bc" / "bc_policy.pt")
            bc_eval = evaluate(model.policy, scenario, final_eval_seeds(spec.final_episodes),
                               spec.eval.n_envs)
            critic_curve = pretrain_critic(model, demos, spec.critic, seed) if arm.critic \
                else []
            (b.dir / "critic_curve.json").write_text(json.dumps(critic_curve, indent=1))
            reset_action_noise(model, arm.finetune.log_std_reset)
            extra = {"bc_curve": bc_curve, "bc_eval": bc_eval, "critic_curve": critic_curve,
                     "dataset_transitions": int(len(demos.train.obs) + len(demos.val_obs)),
                     "bc_train_episodes": len(demos.train_episodes),
                     "bc_val_episodes": len(demos.val_episodes)}
        else:
            model = build_ppo(ppo, scenario, seed, b.dir / "tb")
        target = Target(spec.target, spec.consecutive, early_stop=False)
        result = train_run(model, scenario, budget, spec.eval, target, b.dir, progress, cfg=ppo)
        final = evaluate(model.policy, scenario, final_eval_seeds(spec.final_episodes),
                         spec.eval.n_envs)
        t = compare.time_to_target(result.curve, spec.target.success, spec.target.collision,
                                   spec.consecutive)
        b.status = "reached_target" if t is not None else "censored"
        b.metrics = {"time_to_target": t, "censored": t is None, "budget": budget,
                     "timesteps": result.timesteps, "final_eval": final,
                     "train_wall_seconds": round(result.wall_seconds, 2),
                     "auc": compare.success_auc(result.curve, budget), **extra}
        b.extra = {"scenario": scenario.name, "arm": arm.name,
                   "hyperparameters_in_effect": result.hyperparameters}

    inputs = [dataset] if arm.pretrained else []
    return store.get_or_build("arm_run", arm_config(spec, ppo, arm, scenario, budget), [seed],
                              build, inputs=inputs)


def summarise(spec: PretrainSpec, runs: dict[str, list[Artifact]], dataset: Artifact,
              expert: Artifact, store: Store) -> Artifact:
    """The ``comparison`` artefact over matched seeds (every arm against the baseline)."""
    base = runs["baseline"]
    seeds = [r.manifest["seeds"][0] for r in base]
    for name, arm_runs in runs.items():
        if [r.manifest["seeds"][0] for r in arm_runs] != seeds:
            raise ValueError(f"arm '{name}' is not matched to the baseline's seeds {seeds}")

    def build(b: Build) -> None:
        t_base, cens_base = compare.censored_times(
            [r.metrics["time_to_target"] for r in base], spec.budget)
        arms = {}
        for name, arm_runs in runs.items():
            t, cens = compare.censored_times([r.metrics["time_to_target"] for r in arm_runs],
                                             spec.budget)
            row = {"seeds": seeds, "time_to_target": t.tolist(), "censored": cens.tolist(),
                   "iqm_time": compare.iqm(t),
                   "final_success": [r.metrics["final_eval"]["success_rate"] for r in arm_runs],
                   "final_collision": [r.metrics["final_eval"]["collision_rate"]
                                       for r in arm_runs],
                   "auc": [r.metrics["auc"] for r in arm_runs],
                   "run_ids": [r.id for r in arm_runs]}
            row["final_success_mean_ci"] = compare.mean_ci(row["final_success"], spec.bootstrap)
            row["final_collision_mean_ci"] = compare.mean_ci(row["final_collision"],
                                                             spec.bootstrap)
            row["auc_mean_ci"] = compare.mean_ci(row["auc"], spec.bootstrap)
            if name != "baseline":
                ratio, lo, hi = compare.ratio_ci(t, t_base, spec.bootstrap, seed=0)
                row.update({"ratio": ratio, "ratio_ci": [lo, hi],
                            "per_seed_ratio": (t / t_base).tolist(),
                            "probability_of_improvement":
                                compare.probability_of_improvement(t, t_base),
                            "bc_success": [r.metrics["bc_eval"]["success_rate"]
                                           for r in arm_runs],
                            "bc_collision": [r.metrics["bc_eval"]["collision_rate"]
                                             for r in arm_runs],
                            "unlearning_drop": [compare.unlearning_drop(
                                _first_eval(r), _curve(r), spec.unlearning_evals)
                                for r in arm_runs],
                            "dataset_transitions": arm_runs[0].metrics["dataset_transitions"]})
            arms[name] = row
        b.metrics = {"arms": arms, "baseline_censored": int(cens_base.sum()),
                     "budget": spec.budget, "target": {"success": spec.target.success,
                                                       "collision": spec.target.collision,
                                                       "consecutive": spec.consecutive,
                                                       "every": spec.eval.every},
                     "expert_training_steps": expert.metrics["expert_training_steps"],
                     "dataset_steps": dataset.metrics["steps"],
                     "dataset_episodes": dataset.metrics["episodes"]}
        b.extra = {"scenario": spec.scenario.name}

    all_runs = [r for arm_runs in runs.values() for r in arm_runs]
    config = {"stage": "comparison", "bootstrap": spec.bootstrap,
              "unlearning_evals": spec.unlearning_evals}
    return store.get_or_build("comparison", config, seeds, build,
                              inputs=[dataset, expert, *all_runs])


def _curve(run: Artifact) -> list[dict]:
    return json.loads(run.file("learning_curve.json").read_text())


def _first_eval(run: Artifact) -> float:
    """The BC policy's success on the periodic evaluation seeds: the evaluation at step 0."""
    return _curve(run)[0]["success_rate"]


# ----------------------------------------------------------------------------- shift
def load_bc_policy(run: Artifact, ppo: PPOConfig, scenario: Scenario) -> PPO:
    model = build_ppo(ppo, scenario, 0, None)
    model.policy.load_state_dict(torch.load(run.file("bc/bc_policy.pt"), weights_only=True))
    return model


def load_final_policy(run: Artifact) -> PPO:
    """The fine-tuned (or baseline) model of an ``arm_run``, loaded with its own class."""
    cls = FineTunePPO if run.manifest["config"].get("pretrained") else PPO
    return cls.load(run.file("model.zip"), device="cpu")


def shift_matrix(spec: ShiftSpec, pre: PretrainSpec, ppo: PPOConfig, baseline: list[Artifact],
                 matched: list[Artifact], shifted: list[Artifact], matched_dataset: Artifact,
                 shifted_dataset: Artifact, store: Store) -> Artifact:
    """The ``shift`` artefact: success of every policy on every family, gaps and regressions."""
    seeds = [EVAL_SEED_BASE + k for k in range(spec.episodes)]

    def build(b: Build) -> None:
        policies = {
            "baseline": [load_final_policy(r) for r in baseline],
            "bc (matched data)": [load_bc_policy(r, ppo, pre.scenario) for r in matched],
            "fine-tuned (matched data)": [load_final_policy(r) for r in matched],
            "bc (shifted data)": [load_bc_policy(r, ppo, pre.scenario) for r in shifted],
            "fine-tuned (shifted data)": [load_final_policy(r) for r in shifted],
        }
        success: dict[str, dict[str, float]] = {}
        collision: dict[str, dict[str, float]] = {}
        for name, models in policies.items():
            success[name], collision[name] = {}, {}
            for sc in spec.eval_scenarios:
                res = [evaluate(m.policy, sc, seeds, pre.eval.n_envs) for m in models]
                success[name][sc.name] = float(np.mean([r["success_rate"] for r in res]))
                collision[name][sc.name] = float(np.mean([r["collision_rate"] for r in res]))
        checked = ["fine-tuned (matched data)", "fine-tuned (shifted data)"]
        flagged = compare.regressions(success, "baseline", spec.margin, checked)
        informational = compare.regressions(success, "baseline", spec.margin,
                                            ["bc (matched data)", "bc (shifted data)"])
        b.metrics = {
            "success": success, "collision": collision, "regressions": flagged,
            "bc_gaps": informational, "margin": spec.margin, "seeds": list(spec.seeds),
            "episodes": spec.episodes, "fine_tuning_scenario": pre.scenario.name,
            "coverage_gaps": {
                "matched": compare.coverage_gaps(matched_dataset.metrics["coverage"],
                                                 pre.scenario),
                "shifted": compare.coverage_gaps(shifted_dataset.metrics["coverage"],
                                                 pre.scenario)},
            "dataset_scenarios": {"matched": matched_dataset.manifest["scenarios"],
                                  "shifted": shifted_dataset.manifest["scenarios"]}}
        b.status = "regression" if flagged else "no_regression"
        b.extra = {"scenario": pre.scenario.name}

    config = {"stage": "shift", "episodes": spec.episodes, "margin": spec.margin,
              "eval_scenarios": [s.name for s in spec.eval_scenarios]}
    return store.get_or_build("shift", config, list(spec.seeds), build,
                              inputs=[matched_dataset, shifted_dataset, *baseline, *matched,
                                      *shifted])
