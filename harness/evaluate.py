"""Deterministic evaluation on fixed episode seeds, with Wilson intervals (DESIGN.md section 4).

:func:`run_episodes` plays an explicit list of episode seeds in the environment's own runner
(:func:`harness.envs.play`): each of ``k`` slots starts the next seed of the list as soon as its
episode ends, so the result of each episode depends only on its seed and the (deterministic)
policy, never on which slot played it or what ran beside it. Recording (datasets) hooks into the
same loop through ``on_step``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Protocol

import numpy as np

from harness.envs import play
from harness.metrics import EvalSummary
from harness.nav.mix import ScenarioMix, as_mix
from harness.nav.outcomes import (
    CONTACT_WALL,
    CONTACTS,
    OUTCOME_COLLISION,
    OUTCOME_SUCCESS,
    OUTCOME_TIMEOUT,
)
from harness.nav.scenario import Scenario
from harness.stats import distribution, wilson_interval


class Policy(Protocol):
    def predict(self, observation: np.ndarray, state=None, episode_start=None,
                deterministic: bool = False) -> tuple[np.ndarray, object]: ...


@dataclass(frozen=True)
class EpisodeTable:
    """Per-episode outcomes, in the order of the requested seeds."""

    seeds: np.ndarray
    outcome: np.ndarray  # OUTCOME_SUCCESS / _COLLISION / _TIMEOUT
    contact: np.ndarray  # CONTACT_* of the collision, CONTACT_NONE otherwise
    episode_return: np.ndarray
    length: np.ndarray
    path_length: np.ndarray
    min_clearance: np.ndarray

    def subset(self, rows: np.ndarray) -> EpisodeTable:
        """The episodes at ``rows`` (an index or boolean array), in order."""
        return EpisodeTable(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    def summary(self) -> EvalSummary:
        n = len(self.seeds)
        succ = int((self.outcome == OUTCOME_SUCCESS).sum())
        coll = int((self.outcome == OUTCOME_COLLISION).sum())
        tout = int((self.outcome == OUTCOME_TIMEOUT).sum())
        return EvalSummary(
            episodes=n,
            success_rate=succ / n if n else float("nan"),
            success_ci=list(wilson_interval(succ, n)),
            collision_rate=coll / n if n else float("nan"),
            collision_ci=list(wilson_interval(coll, n)),
            timeout_rate=tout / n if n else float("nan"),
            timeout_ci=list(wilson_interval(tout, n)),
            successes=succ, collisions=coll, timeouts=tout,
            collisions_by_kind={CONTACTS[k]: int((self.contact == k).sum())
                                for k in range(CONTACT_WALL, len(CONTACTS))},
            return_=distribution(self.episode_return), length=distribution(self.length),
            min_clearance=distribution(self.min_clearance))


StepHook = Callable[[int, np.ndarray, np.ndarray, float, np.ndarray, bool, bool, dict], None]
"""(episode index, observation, action, reward, next observation, terminated, truncated, info)."""


def run_episodes(policy: Policy, scenario: Scenario, seeds: Sequence[int], n_envs: int = 64,
                 deterministic: bool = True, on_step: StepHook | None = None,
                 on_reset: Callable[[int, np.ndarray, dict], None] | None = None) -> EpisodeTable:
    """Play one episode per seed with ``policy`` and return their outcomes, through the
    environment's own runner (:func:`harness.envs.play`: the simulator's batched one, or the
    generic one of a declared environment, which measures no contact kind, path length or
    clearance: NaN there, never zero)."""
    seeds = [int(s) for s in seeds]
    res = play(policy, scenario, seeds, n_envs, deterministic, on_step, on_reset)
    missing = np.full(len(seeds), np.nan)
    return EpisodeTable(seeds=np.array(seeds), outcome=res["outcome"],
                        contact=res.get("contact", np.zeros(len(seeds), dtype=np.int64)),
                        episode_return=res["ret"], length=res["len"],
                        path_length=res.get("path", missing),
                        min_clearance=res.get("clear", missing.copy()))


def evaluate(policy: Policy, scenario: Scenario, seeds: Sequence[int], n_envs: int = 64
             ) -> EvalSummary:
    """Deterministic evaluation summary: rates with Wilson intervals, reward distribution."""
    return run_episodes(policy, scenario, seeds, n_envs=n_envs, deterministic=True).summary()


@dataclass(frozen=True)
class FamilyEvaluation:
    """A deterministic evaluation of every family of a scenario (mix): ``per_family`` episodes
    of each, all genuine episodes of the mix drawn from one reserved window of seeds."""

    pooled: EvalSummary
    """Over every episode played (each family equally represented)."""
    families: dict[str, EvalSummary]
    """By family name, in the mix's order (one entry, equal to ``pooled``, for a scenario)."""
    seeds: dict[str, list[int]]
    """The episode seeds each family played."""


def evaluate_families(policy: Policy, scenario: Scenario | ScenarioMix, window: Sequence[int],
                      per_family: int, n_envs: int = 64) -> FamilyEvaluation:
    """Evaluate ``per_family`` episodes of each family, taken from the seeds of ``window``
    (:meth:`ScenarioMix.pick`), in one batched run; a single scenario plays the first
    ``per_family`` seeds of the window."""
    mix = as_mix(scenario)
    chosen = mix.pick(list(window), per_family)
    seeds = [s for own in chosen.values() for s in own]
    table = run_episodes(policy, scenario, seeds, n_envs=n_envs, deterministic=True)
    families, offset = {}, 0
    for name, own in chosen.items():
        families[name] = table.subset(np.arange(offset, offset + len(own))).summary()
        offset += len(own)
    pooled = table.summary()
    return FamilyEvaluation(pooled=pooled, families=families, seeds=chosen)
