"""Arm runs of the pre-training comparison: one ``arm_run`` artefact per (arm, seed).

For pre-trained arms: behaviour cloning on the arm's dataset, the BC policy's evaluation (final
episodes, and the episode sets of the first periodic evaluations, for the no-unlearning measure),
critic pre-training, then online fine-tuning; for the baseline: PPO from scratch. Every arm has
the same evaluation schedule, episode sets and budget; every run trains on its own block of
episode seeds (:mod:`harness.seeds`). Baseline runs depend on no dataset.
"""

from __future__ import annotations

import json

import torch
from stable_baselines3 import PPO

from harness import stats
from harness.core.store import Artifact, Build, Store
from harness.evaluate import evaluate
from harness.nav.scenario import Scenario
from harness.spec.ppo import PPOConfig
from harness.stages.pretraining.config import Arm, PretrainSpec
from harness.stages.pretraining.recipe import (
    FineTunePPO,
    check_contract,
    load_demonstrations,
    pretrain_critic,
    reset_action_noise,
    train_bc,
)
from harness.stages.pretraining.records import ArmRunMetrics
from harness.train import ProgressFn, RunSeeds, Target, build_ppo, train_run


def train_arm(spec: PretrainSpec, ppo: PPOConfig, arm: Arm, seed: int, store: Store,
              dataset: Artifact | None = None, scenario: Scenario | None = None,
              budget: int | None = None, progress: ProgressFn | None = None) -> Artifact:
    """The ``arm_run`` artefact of (arm, seed): the same evaluation schedule, episode sets and
    budget for every arm, each run training on its own block of episode seeds (the arm's name is
    its stream). Pre-trained arms first clone ``dataset``, and their BC policy is evaluated on
    the episode sets of the first ``unlearning_evals`` periodic evaluations (the no-unlearning
    reference)."""
    scenario = scenario or spec.scenario
    budget = budget or spec.budget
    stream = arm.seed_stream
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
                                spec.eval.n_envs).success_rate
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
                           cfg=ppo, resume_dir=b.resume_dir)
        final = evaluate(model.policy, scenario, final_set.seeds(), spec.eval.n_envs)
        t = stats.time_to_target(result.curve, spec.target.success, spec.target.collision,
                                   spec.consecutive)
        b.status = "reached_target" if t is not None else "censored"
        b.metrics = ArmRunMetrics(
            time_to_target=t, censored=t is None, budget=budget, timesteps=result.timesteps,
            final_eval=final, train_wall_seconds=round(result.wall_seconds, 2),
            auc=stats.success_auc(result.curve, budget), **extra).to_json()
        b.extra = {"scenario": scenario.name, "arm": arm.name, "stream": stream,
                   "hyperparameters_in_effect": result.hyperparameters, "init_seed": seeds.init,
                   "resumption": result.resumption(),
                   "episode_seeds": {**result.episode_seeds, "final_eval": final_set.as_dict()}}

    inputs = [dataset] if arm.pretrained else []
    return store.get_or_build("arm_run", spec.arm_config(arm, ppo, scenario, budget), [seed],
                              build, inputs=inputs)


def load_bc_policy(run: Artifact) -> PPO:
    """The BC policy of a pre-trained ``arm_run`` (before any fine-tuning step)."""
    model = load_final_policy(run)
    model.policy.load_state_dict(torch.load(run.file("bc/bc_policy.pt"), weights_only=True))
    return model


def load_final_policy(run: Artifact) -> PPO:
    """The fine-tuned (or baseline) model of an ``arm_run``, loaded with its own class."""
    return _model_class(run).load(run.file("model.zip"), device="cpu")


def load_checkpoint(run: Artifact, step: int) -> PPO:
    """The model of an ``arm_run`` at periodic evaluation step ``step`` (its checkpoint)."""
    return _model_class(run).load(run.file(f"checkpoints/step_{step:09d}.zip"), device="cpu")


def _model_class(run: Artifact) -> type[PPO]:
    return FineTunePPO if run.manifest["config"].get("pretrained") else PPO
