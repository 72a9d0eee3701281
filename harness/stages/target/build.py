"""The ``arm_target`` artefact: a comparison run's time to target, confirmed (DESIGN.md 4).

The run's periodic evaluations (100 episodes on sets shared by every run) only screen: a grid
step whose evaluation passes the lenient screen is a candidate. Candidates are judged in grid
order, each on ``confirmation.episodes`` fresh episodes of the run's own block of the
``comparison_confirmation_eval`` purpose, against the target itself; T is the first confirmed
one. The declared episodes classify a policy ``band`` inside the target as at target, and one
``band`` outside as not, each with probability >= ``power`` (checked at load), so the error of
T is known; and no two runs share a confirmation episode, so the seed bootstrap of any
statistic of T covers the evaluation's variance as well as the runs'.
"""

from __future__ import annotations

import json

from harness.core.store import Artifact, Build, Store
from harness.evaluate import evaluate
from harness.nav.scenario import Scenario
from harness.seeds import SeedRange, training_block
from harness.spec.common import SEED_PLAN_VERSION
from harness.stages.pretraining.build import load_checkpoint
from harness.stages.pretraining.config import PretrainSpec
from harness.stages.pretraining.records import ArmRunMetrics
from harness.stages.target.records import Candidate, TargetMetrics
from harness.train import at_target

PURPOSE = "comparison_confirmation_eval"


def confirmation_block(run: Artifact) -> SeedRange:
    """The run's own block of confirmation episodes (by its arm's stream and its seed)."""
    cfg = run.manifest["config"]
    return training_block(PURPOSE, cfg.get("stream") or cfg["arm"], run.manifest["seeds"][0])


def target_config(spec: PretrainSpec, arm: str, scenario: Scenario | None = None) -> dict:
    return {"stage": "arm_target", "arm": arm, "scenario": (scenario or spec.scenario).name,
            "target": spec.target_level().as_dict(), "every": spec.eval.every,
            "confirmation": spec.confirmation.as_dict(), "seed_plan": SEED_PLAN_VERSION}


def confirm_target(spec: PretrainSpec, run: Artifact, store: Store,
                   scenario: Scenario | None = None) -> Artifact:
    """The ``arm_target`` of one comparison run (built once, reused after), judged on the
    run's own ``scenario`` (default: the comparison's)."""
    scenario = scenario or spec.scenario
    conf = spec.confirmation
    if conf is None:
        raise ValueError("the spec declares no pretraining.confirmation")
    arm, seed = run.manifest["config"]["arm"], run.manifest["seeds"][0]
    block = confirmation_block(run)
    n = conf.episodes

    def build(b: Build) -> None:
        curve = json.loads(run.file("learning_curve.json").read_text())
        candidates: list[Candidate] = []
        screened_out, steps_played, t = 0, 0, None
        for point in curve:
            if not at_target(point, conf.screen):
                screened_out += 1
                continue
            start = block.start + len(candidates) * n
            if start + n > block.stop:
                raise ValueError(f"{run.id}: confirmation {len(candidates)} of {n} episodes "
                                 f"runs past the run's block of {len(block):,}")
            step = int(point["timesteps"])
            s = evaluate(load_checkpoint(run, step).policy, scenario,
                         range(start, start + n), n_envs=spec.eval.n_envs)
            ok = spec.target.met(s.success_rate, s.collision_rate)
            steps_played += int(round(s.length.mean * s.episodes))
            candidates.append(Candidate(
                timesteps=step, screen_success=point["success_rate"],
                screen_collision=point["collision_rate"], episodes=s.episodes,
                success_rate=s.success_rate, success_ci=list(s.success_ci),
                collision_rate=s.collision_rate, collision_ci=list(s.collision_ci),
                episode_seeds=[start, start + n], confirmed=ok))
            if ok:
                t = step
                break
        b.metrics = TargetMetrics(
            arm=arm, seed=seed, time_to_target=t, censored=t is None,
            grid_step=spec.eval.every, screened_out=screened_out, candidates=candidates,
            confirmation_episodes=n * len(candidates), confirmation_steps=steps_played,
            training_steps=ArmRunMetrics.from_json(run.metrics).timesteps).to_json()
        used = SeedRange(PURPOSE, block.start, block.start + n * len(candidates))
        b.extra = {"episode_seeds": {"confirmation": used.as_dict()}, "arm": arm}

    return store.get_or_build("arm_target", target_config(spec, arm, scenario), [seed], build,
                              inputs=[run])
