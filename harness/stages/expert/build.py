"""Expert stage: one independent PPO run per seed, final evaluation, promotion gate.

Artefacts:
- ``expert_run``: one seed's training (model, learning curve, checkpoints, TensorBoard, final
  evaluation of >= 200 episodes on fixed seeds disjoint from training).
- ``expert``: the promotion decision over the runs (inputs); ``approved`` or ``rejected`` with
  diagnostics. Only an approved expert carries ``model.zip``, the policy of its chosen seed.
"""

from __future__ import annotations

import json
import shutil

from stable_baselines3 import PPO

from harness.core.store import Artifact, Build, Store, StoreError
from harness.criteria import BlocksDownstream
from harness.envs import advice
from harness.evaluate import evaluate_families
from harness.metrics import CurvePoint
from harness.stages.expert.config import ExpertSpec
from harness.stages.expert.promotion import decide
from harness.stages.expert.records import ExpertMetrics, ExpertRunMetrics
from harness.train import ProgressFn, RunSeeds, Target, build_ppo, train_run


class ExpertNotApproved(StoreError, BlocksDownstream):
    """Something downstream asked for an expert that did not pass the promotion gate: the
    tests downstream of it are blocked (the report says the rejection once)."""

    blocker = "the expert was not approved"


def train_expert_seed(spec: ExpertSpec, seed: int, store: Store,
                      progress: ProgressFn | None = None) -> Artifact:
    """The ``expert_run`` artefact of ``seed``: reused when published, trained otherwise."""

    def build(b: Build) -> None:
        seeds = RunSeeds.of("expert_training", "expert", seed)
        model = build_ppo(spec.ppo, spec.scenario, seeds, b.dir / "tb")
        target = Target(spec.convergence.thresholds, spec.convergence.consecutive,
                        spec.convergence.early_stop, spec.convergence.stop_at)
        result = train_run(model, spec.scenario, spec.budget, spec.eval, target, b.dir, seeds,
                           progress, cfg=spec.ppo, resume_dir=b.resume_dir)
        final_set = spec.final_set()
        ev = evaluate_families(model.policy, spec.scenario, final_set.seeds(),
                               spec.final_episodes, spec.eval.n_envs)
        final = ev.pooled
        by_family = ev.families if spec.is_mix else None
        (b.dir / "final_eval.json").write_text(json.dumps(
            {**final.to_json(), **({"families": {k: v.to_json() for k, v in by_family.items()},
                                    "family_seeds": ev.seeds} if by_family else {})},
            indent=1))
        b.status = "converged" if result.converged_at is not None else "not_converged"
        b.metrics = ExpertRunMetrics(
            converged_at=result.converged_at, timesteps=result.timesteps,
            train_wall_seconds=round(result.wall_seconds, 2),
            steps_per_second=round(result.timesteps / max(result.wall_seconds, 1e-9), 1),
            final_eval=final, last_periodic_eval=CurvePoint.from_json(result.curve[-1]),
            final_by_family=by_family,
        ).to_json()
        b.extra = {"scenario": spec.scenario.name, "families": list(spec.family_names),
                   "hyperparameters_in_effect": result.hyperparameters, "init_seed": seeds.init,
                   "resumption": result.resumption(),
                   "episode_seeds": {**result.episode_seeds, "final_eval": final_set.as_dict()}}

    return store.get_or_build("expert_run", spec.run_config(), [seed], build)


def promote(spec: ExpertSpec, runs: list[Artifact], store: Store) -> Artifact:
    """The ``expert`` artefact: the promotion decision over every seed's run."""
    metrics = {a.manifest["seeds"][0]: ExpertRunMetrics.from_json(a.metrics) for a in runs}
    finals = {seed: m.final_eval for seed, m in metrics.items()}
    by_family = ({seed: m.final_by_family or {} for seed, m in metrics.items()}
                 if spec.is_mix else None)
    curves = {a.manifest["seeds"][0]: json.loads(a.file("learning_curve.json").read_text())
              for a in runs}
    converged = {seed: m.converged_at for seed, m in metrics.items()}
    decision = decide(finals, curves, converged, spec.promotion, spec.min_seeds, spec.budget,
                      spec.convergence.consecutive, by_family, spec.family_names,
                      advice(spec.scenario))
    def build(b: Build) -> None:
        (b.dir / "promotion.json").write_text(json.dumps(decision.to_json(), indent=1))
        if decision.status == "approved":
            chosen = next(a for a in runs if a.manifest["seeds"][0] == decision.chosen_seed)
            shutil.copy(chosen.file("model.zip"), b.dir / "model.zip")
        b.status = decision.status
        b.metrics = ExpertMetrics(
            decision=decision,
            converged_at={str(seed): m.converged_at for seed, m in metrics.items()},
            expert_training_steps={str(seed): m.timesteps for seed, m in metrics.items()},
        ).to_json()
        b.extra = {"scenario": spec.scenario.name, "families": list(spec.family_names),
                   "chosen_seed": decision.chosen_seed}

    return store.get_or_build("expert", spec.gate_config(), sorted(finals), build, inputs=runs)


def require_approved(expert: Artifact) -> Artifact:
    """``expert`` itself when approved; otherwise a clear error with the gate's diagnostics."""
    if expert.kind != "expert":
        raise ExpertNotApproved(f"{expert.path}: artefact '{expert.id}' is a {expert.kind}, "
                                f"not an expert; only a promoted expert may be used here")
    if expert.status != "approved":
        diagnostics = ExpertMetrics.from_json(expert.metrics).decision.diagnostics
        raise ExpertNotApproved(
            f"expert '{expert.id}' is {expert.status}, not approved: nothing may be built from "
            f"it. Diagnostics: " + (" | ".join(diagnostics) or "none recorded"))
    return expert


def load_expert_policy(expert: Artifact) -> PPO:
    """The approved expert's SB3 PPO model (raises for a rejected or unknown expert)."""
    return PPO.load(require_approved(expert).file("model.zip"), device="cpu")
