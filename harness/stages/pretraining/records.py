"""The metric record of one pre-training run (one arm, one seed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from harness.metrics import EvalSummary, Record


@dataclass(frozen=True)
class ArmRunMetrics(Record):
    """One (arm, seed) run of the comparison (``arm_run``); the BC fields are absent for the
    baseline."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({
        "bc_curve", "bc_eval", "critic_curve", "bc_success_on_periodic_sets",
        "dataset_transitions", "bc_train_episodes", "bc_val_episodes"})

    time_to_target: int | None
    censored: bool
    budget: int
    timesteps: int
    final_eval: EvalSummary
    train_wall_seconds: float
    auc: float
    bc_curve: list[dict] | None = None
    bc_eval: EvalSummary | None = None
    critic_curve: list[dict] | None = None
    bc_success_on_periodic_sets: list[float] | None = None
    """The BC policy's success on the episode sets of evaluations 1..N (paired with them)."""
    dataset_transitions: int | None = None
    bc_train_episodes: int | None = None
    bc_val_episodes: int | None = None
