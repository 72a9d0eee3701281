"""The expert stage's metric records: each seed run's, and the promotion decision's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from harness.metrics import CurvePoint, EvalSummary, Record


# ----------------------------------------------------------------------------- expert
@dataclass(frozen=True)
class SeedCheck(Record):
    """One expert seed against the promotion gate: over all its final episodes, or (with
    ``family``) over one scenario family's."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"family"})

    seed: int
    episodes: int
    success_rate: float
    success_ci: tuple[float, float]
    collision_rate: float
    collision_ci: tuple[float, float]
    timeout_rate: float
    passed: bool
    failures: tuple[str, ...]
    family: str | None = None


@dataclass(frozen=True)
class Decision(Record):
    """The promotion decision over every expert seed."""

    status: str
    """"approved" or "rejected"."""
    seeds: tuple[SeedCheck, ...]
    diagnostics: tuple[str, ...] = ()
    chosen_seed: int | None = None
    """The seed whose policy is published as the expert (best final success, then collisions)."""
    families: tuple[SeedCheck, ...] = ()
    """Of an expert trained on a scenario mix: every (seed, family) against the gate, which
    holds per family (a seed passes only when each of its families does)."""


@dataclass(frozen=True)
class ExpertMetrics(Record):
    """The ``expert`` artefact's metrics."""

    decision: Decision
    converged_at: dict[str, int | None]
    expert_training_steps: dict[str, int]


# ----------------------------------------------------------------------------- runs
@dataclass(frozen=True)
class ExpertRunMetrics(Record):
    """One expert seed's training (``expert_run``). Of a scenario mix, ``final_eval`` pools
    every family's final episodes and ``final_by_family`` has each family's."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"final_by_family"})

    converged_at: int | None
    """Step of the first of K consecutive evaluations at the thresholds (None: never)."""
    timesteps: int
    train_wall_seconds: float
    steps_per_second: float
    final_eval: EvalSummary
    last_periodic_eval: CurvePoint
    final_by_family: dict[str, EvalSummary] | None = None
