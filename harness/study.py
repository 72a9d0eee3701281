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
from dataclasses import asdict

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
from harness.spec.study import SEED_PLAN_VERSION, Arm, PretrainSpec, ShiftSpec, scenario_dict
from harness.store import Artifact, Build, Store
from harness.train import ProgressFn, RunSeeds, Target, build_ppo, train_run


def arm_config(spec: PretrainSpec, ppo: PPOConfig, arm: Arm, scenario: Scenario,
               budget: int, stream: str) -> dict:
    cfg = {"stage": "arm_run", "arm": arm.name, "stream": stream, "pretrained": arm.pretrained,
           "scenario": scenario_dict(scenario), "ppo": ppo.as_dict(), "budget": budget,
           "eval": spec.eval.as_dict(), "target": spec.target_level().as_dict(),
           "final_episodes": spec.final_episodes, "seed_plan": SEED_PLAN_VERSION}
    if arm.pretrained:
        cfg.update({"bc": asdict(spec.bc), "critic": asdict(spec.critic) if arm.critic else None,
                    "finetune": asdict(arm.finetune), "unlearning_evals": spec.unlearning_evals})
    return cfg


def train_arm(spec: PretrainSpec, ppo: PPOConfig, arm: Arm, seed: int, store: Store,
              dataset: Artifact | None = None, scenario: Scenario | None = None,
              budget: int | None = None, progress: ProgressFn | None = None,
              stream: str | None = None) -> Artifact:
    """The ``arm_run`` artefact of (arm, seed): the same evaluation schedule, episode sets and
    budget for every arm, each run training on its own block of episode seeds (``stream``
    defaults to the arm's name; the shift experiment's run of the recipe is stream "shifted").
    Pre-trained arms first clone ``dataset``, and their BC policy is evaluated on the episode
    sets of the first ``unlearning_evals`` periodic evaluations (the no-unlearning baseline)."""
    scenario = scenario or spec.scenario
    budget = budget or spec.budget
    stream = stream or arm.name
    if arm.pretrained and dataset is None:
        raise ValueError(f"arm '{arm.name}' is pre-trained and needs a dataset artefact")

    def build(b: Build) -> None:
        seeds = RunSeeds.of("comparison_training", stream, seed)
        final_set = spec.final_set()
        extra: dict = {}
        if arm.pretrained:
            check_contract(dataset.path, scenario)
            demos = load_demonstrations(dataset.path, ppo.gamma, spec.bc.val_fraction, seed)
            model = build_ppo(ppo, scenario, seeds, b.dir / "tb", cls=FineTunePPO,
                              recipe=arm.finetune, demos=demos)
            bc_curve = train_bc(model, demos, spec.bc, seeds.init, b.dir / "bc")
            torch.save(model.policy.state_dict(), b.dir / "bc" / "bc_policy.pt")
            bc_eval = evaluate(model.policy, scenario, final_set.seeds(), spec.eval.n_envs)
            bc_sets = [evaluate(model.policy, scenario, spec.eval.episode_set(i).seeds(),
                                spec.eval.n_envs)["success_rate"]
                       for i in range(1, spec.unlearning_evals + 1)]
            critic_curve = pretrain_critic(model, demos, spec.critic, seeds.init) if arm.critic \
                else []
            (b.dir / "critic_curve.json").write_text(json.dumps(critic_curve, indent=1))
            reset_action_noise(model, arm.finetune.log_std_reset)
            extra = {"bc_curve": bc_curve, "bc_eval": bc_eval, "critic_curve": critic_curve,
                     "bc_success_on_periodic_sets": bc_sets,
                     "dataset_transitions": int(len(demos.train.obs) + len(demos.val_obs)),
                     "bc_train_episodes": len(demos.train_episodes),
                     "bc_val_episodes": len(demos.val_episodes)}
        else:
            model = build_ppo(ppo, scenario, seeds, b.dir / "tb")
        target = Target(spec.target, spec.consecutive, early_stop=False)
        result = train_run(model, scenario, budget, spec.eval, target, b.dir, seeds, progress,
                           cfg=ppo)
        final = evaluate(model.policy, scenario, final_set.seeds(), spec.eval.n_envs)
        t = compare.time_to_target(result.curve, spec.target.success, spec.target.collision,
                                   spec.consecutive)
        b.status = "reached_target" if t is not None else "censored"
        b.metrics = {"time_to_target": t, "censored": t is None, "budget": budget,
                     "timesteps": result.timesteps, "final_eval": final,
                     "train_wall_seconds": round(result.wall_seconds, 2),
                     "auc": compare.success_auc(result.curve, budget), **extra}
        b.extra = {"scenario": scenario.name, "arm": arm.name, "stream": stream,
                   "hyperparameters_in_effect": result.hyperparameters, "init_seed": seeds.init,
                   "episode_seeds": {**result.episode_seeds, "final_eval": final_set.as_dict()}}

    inputs = [dataset] if arm.pretrained else []
    return store.get_or_build("arm_run", arm_config(spec, ppo, arm, scenario, budget, stream),
                              [seed], build, inputs=inputs)


def summarise(spec: PretrainSpec, runs: dict[str, list[Artifact]], dataset: Artifact,
              expert: Artifact, store: Store) -> Artifact:
    """The ``comparison`` artefact over matched seeds (every arm against the baseline, the
    recipe against each ablation), with the declared criteria in its config."""
    base = runs["baseline"]
    seeds = [r.manifest["seeds"][0] for r in base]
    for name, arm_runs in runs.items():
        if [r.manifest["seeds"][0] for r in arm_runs] != seeds:
            raise ValueError(f"arm '{name}' is not matched to the baseline's seeds {seeds}")
    config = {"stage": "comparison", "budget": spec.budget, "every": spec.eval.every,
              **spec.criteria_config()}

    def build(b: Build) -> None:
        arms = {name: _arm_row(spec, name, arm_runs, base) for name, arm_runs in runs.items()}
        levels = {lvl.label: _level_rows(spec, lvl, runs) for lvl in spec.sensitivity}
        b.metrics = {"arms": arms, "baseline_censored": int(sum(arms["baseline"]["censored"])),
                     "final_vs_baseline": {name: _final_difference(spec, row, arms["baseline"])
                                           for name, row in arms.items() if name != "baseline"},
                     "recipe_vs": {name: _recipe_versus(spec, arms["pretrained"], row)
                                   for name, row in arms.items()
                                   if name not in ("baseline", "pretrained")},
                     "sensitivity": levels,
                     "expert_training_steps": expert.metrics["expert_training_steps"],
                     "dataset_steps": dataset.metrics["steps"],
                     "dataset_episodes": dataset.metrics["episodes"]}
        b.extra = {"scenario": spec.scenario.name}

    all_runs = [r for arm_runs in runs.values() for r in arm_runs]
    return store.get_or_build("comparison", config, seeds, build,
                              inputs=[dataset, expert, *all_runs])


def _curve(run: Artifact) -> list[dict]:
    return json.loads(run.file("learning_curve.json").read_text())


def _times(spec: PretrainSpec, arm_runs: list[Artifact], level=None) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    if level is None:
        ts = [r.metrics["time_to_target"] for r in arm_runs]
    else:
        ts = [compare.time_to_target(_curve(r), level.thresholds.success,
                                     level.thresholds.collision, level.consecutive)
              for r in arm_runs]
    return compare.censored_times(ts, spec.budget)


def _ratio_stats(spec: PretrainSpec, t: np.ndarray, cens: np.ndarray, t_base: np.ndarray,
                 cens_base: np.ndarray) -> dict:
    ratio, lo, hi = compare.ratio_ci(t, t_base, spec.bootstrap, seed=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_seed = (t / t_base).tolist()
    return {"ratio": ratio, "ratio_ci": [lo, hi], "per_seed_ratio": per_seed,
            "probability_of_improvement": compare.probability_of_improvement(
                t, t_base, cens, cens_base),
            "at_step_zero": int((t == 0).sum())}


def _arm_row(spec: PretrainSpec, name: str, arm_runs: list[Artifact],
             base: list[Artifact]) -> dict:
    t, cens = _times(spec, arm_runs)
    row = {"seeds": [r.manifest["seeds"][0] for r in arm_runs], "time_to_target": t.tolist(),
           "censored": cens.tolist(), "iqm_time": compare.iqm(t),
           "final_success": [r.metrics["final_eval"]["success_rate"] for r in arm_runs],
           "final_collision": [r.metrics["final_eval"]["collision_rate"] for r in arm_runs],
           "final_episodes": arm_runs[0].metrics["final_eval"]["episodes"],
           "auc": [r.metrics["auc"] for r in arm_runs], "run_ids": [r.id for r in arm_runs]}
    row["final_success_mean_ci"] = compare.mean_ci(row["final_success"], spec.bootstrap)
    row["final_collision_mean_ci"] = compare.mean_ci(row["final_collision"], spec.bootstrap)
    row["auc_mean_ci"] = compare.mean_ci(row["auc"], spec.bootstrap)
    if name != "baseline":
        t_base, cens_base = _times(spec, base)
        row.update(_ratio_stats(spec, t, cens, t_base, cens_base))
        row.update({
            "bc_success": [r.metrics["bc_eval"]["success_rate"] for r in arm_runs],
            "bc_collision": [r.metrics["bc_eval"]["collision_rate"] for r in arm_runs],
            "unlearning_drop": [compare.unlearning_drop(
                r.metrics["bc_success_on_periodic_sets"], _curve(r)) for r in arm_runs],
            "dataset_transitions": arm_runs[0].metrics["dataset_transitions"]})
    return row


def _level_rows(spec: PretrainSpec, level, runs: dict[str, list[Artifact]]) -> dict:
    """A sensitivity row: T of every arm at another declared level (from the same curves)."""
    t_base, cens_base = _times(spec, runs["baseline"], level)
    out = {"level": level.as_dict(), "arms": {}}
    for name, arm_runs in runs.items():
        t, cens = _times(spec, arm_runs, level)
        row = {"time_to_target": t.tolist(), "censored": cens.tolist(),
               "iqm_time": compare.iqm(t)}
        if name != "baseline":
            row.update(_ratio_stats(spec, t, cens, t_base, cens_base))
        out["arms"][name] = row
    return out


def _final_difference(spec: PretrainSpec, row: dict, base: dict) -> dict:
    """Final success of an arm minus the baseline's, paired by seed, with its interval."""
    diff, lo, hi = compare.paired_difference_ci(row["final_success"], base["final_success"],
                                                spec.bootstrap)
    return {"difference": diff, "ci": [lo, hi], "margin": spec.final_margin,
            "passed": lo >= -spec.final_margin}


def _recipe_versus(spec: PretrainSpec, recipe: dict, other: dict) -> dict:
    """The recipe against an ablation: largest drop below BC and T, paired by seed."""
    drop, d_lo, d_hi = compare.paired_difference_ci(recipe["unlearning_drop"],
                                                    other["unlearning_drop"], spec.bootstrap)
    t, t_lo, t_hi = compare.paired_difference_ci(recipe["time_to_target"],
                                                 other["time_to_target"], spec.bootstrap,
                                                 iqm_of=True)
    t_margin = spec.recipe_t_margin * spec.budget
    return {"drop_difference": drop, "drop_ci": [d_lo, d_hi],
            "drop_verdict": compare.verdict(d_lo, d_hi),
            "t_difference": t, "t_ci": [t_lo, t_hi], "t_verdict": compare.verdict(t_lo, t_hi),
            "drop_margin": spec.unlearning_margin, "t_margin": t_margin,
            "passed": d_hi <= spec.unlearning_margin and t_hi <= t_margin}


# ----------------------------------------------------------------------------- shift
def load_bc_policy(run: Artifact) -> PPO:
    """The BC policy of a pre-trained ``arm_run`` (before any fine-tuning step)."""
    model = load_final_policy(run)
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
              "eval_scenarios": [s.name for s in spec.eval_scenarios],
              "episode_seeds": spec.eval_set().as_dict()}
    return store.get_or_build("shift", config, list(spec.seeds), build,
                              inputs=[matched_dataset, shifted_dataset, *baseline, *matched,
                                      *shifted])
