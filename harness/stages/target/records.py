"""The target stage's metric records: one run's candidates and its confirmed time to target."""

from __future__ import annotations

from dataclasses import dataclass

from harness.metrics import Record


@dataclass(frozen=True)
class Candidate(Record):
    """A grid step whose periodic evaluation passed the screen, judged on its own episodes."""

    timesteps: int
    screen_success: float
    screen_collision: float
    episodes: int
    success_rate: float
    success_ci: list[float]
    collision_rate: float
    collision_ci: list[float]
    episode_seeds: list[int]
    """[start, stop) of the run's own confirmation episodes for this candidate."""
    confirmed: bool


@dataclass(frozen=True)
class TargetMetrics(Record):
    """One run's time to target: the first candidate confirmed at the target (None: none was,
    censored at the budget), every candidate judged on the way, and what the judging cost."""

    arm: str
    seed: int
    time_to_target: int | None
    censored: bool
    grid_step: int
    """The evaluation grid's step: T is known to lie in (T - grid_step, T]."""
    screened_out: int
    """Grid steps before T whose periodic evaluation failed the screen (judged not at target
    without a confirmation)."""
    candidates: list[Candidate]
    confirmation_episodes: int
    confirmation_steps: int
    """Environment steps the confirmations played (inference only)."""
    training_steps: int
    """The run's online training steps, for the confirmation's relative cost."""
