"""The comparison's metric records: per-arm rows, target levels, the recipe against the other
arms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from harness.metrics import Record


# ----------------------------------------------------------------------------- comparison
@dataclass(frozen=True)
class ArmRow(Record):
    """One arm over the matched seeds; ratio fields are absent for the baseline."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({
        "ratio", "ratio_ci", "per_seed_ratio", "probability_of_improvement", "at_step_zero",
        "bc_success", "bc_collision", "unlearning_drop", "dataset_transitions", "grid_step",
        "target_ids", "confirmations", "unlearning_drop_ci"})

    seeds: list[int]
    time_to_target: list[float]
    """T per seed; censored runs at the budget."""
    censored: list[bool]
    iqm_time: float
    final_success: list[float]
    final_collision: list[float]
    final_episodes: int
    auc: list[float]
    run_ids: list[str]
    final_success_mean_ci: list[float]
    """(mean, lower, upper) over seeds."""
    final_collision_mean_ci: list[float]
    auc_mean_ci: list[float]
    ratio: float | None = None
    ratio_ci: list[float] | None = None
    per_seed_ratio: list[float] | None = None
    probability_of_improvement: float | None = None
    at_step_zero: int | None = None
    """Seeds with T = 0: at target before any online step."""
    bc_success: list[float] | None = None
    bc_collision: list[float] | None = None
    unlearning_drop: list[float] | None = None
    dataset_transitions: int | None = None
    grid_step: int | None = None
    """The evaluation grid's step: each T is known to lie in (T - grid_step, T]."""
    unlearning_drop_ci: list[list[float]] | None = None
    """Per seed, a simultaneous 95% interval for the largest true drop below BC
    (:func:`harness.stats.unlearning_drop_ci`)."""
    target_ids: list[str] | None = None
    """The runs' ``arm_target`` artefacts when T is confirmed (None: read from the periodic
    evaluations alone)."""
    confirmations: list[int] | None = None
    """Candidates judged on each run's own episodes before T (or the budget)."""


@dataclass(frozen=True)
class LevelRow(Record):
    """An arm's times at a sensitivity level."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({
        "ratio", "ratio_ci", "per_seed_ratio", "probability_of_improvement", "at_step_zero"})

    time_to_target: list[float]
    censored: list[bool]
    iqm_time: float
    ratio: float | None = None
    ratio_ci: list[float] | None = None
    per_seed_ratio: list[float] | None = None
    probability_of_improvement: float | None = None
    at_step_zero: int | None = None


@dataclass(frozen=True)
class Level(Record):
    label: str
    success: float
    collision: float
    consecutive: int
    deviation: str | None


@dataclass(frozen=True)
class SensitivityLevel(Record):
    level: Level
    arms: dict[str, LevelRow]


@dataclass(frozen=True)
class FinalDifference(Record):
    """Final success of an arm minus the baseline's, paired by seed."""

    difference: float
    ci: list[float]
    margin: float
    passed: bool


@dataclass(frozen=True)
class RecipeVersus(Record):
    """The recipe minus an ablation, paired by seed: largest drop below BC and IQM T."""

    drop_difference: float
    drop_ci: list[float]
    drop_verdict: str
    t_difference: float
    t_ci: list[float]
    t_verdict: str
    drop_margin: float
    t_margin: float
    passed: bool


@dataclass(frozen=True)
class Confirmed(Record):
    """The confirmation of T as run: its design, its operating characteristic (exact, from
    :mod:`harness.stats`) and its cost."""

    episodes: int
    band: float
    power: float
    screen: dict[str, float]
    screen_episodes: int
    judged_inside: float
    """P(a policy ``band`` inside the target is judged at target): screen and confirmation."""
    judged_outside: float
    """Worst case of P(a policy ``band`` outside on either rate is judged at target)."""
    confirmations: int
    """Candidates judged over every run of the comparison."""
    confirmation_steps: int
    """Environment steps those confirmations played (inference)."""
    training_steps: int
    """Online training steps of the same runs."""


@dataclass(frozen=True)
class CriterionPower(Record):
    """A criterion's margin with the power behind it, simulated for this design through the
    criterion's own decision (:mod:`harness.power`)."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"false_alarm"})

    effect: str
    """What it must detect, in words."""
    detect: float
    """P(it fails under that effect); for SC-003, P(it passes at the declared ratio)."""
    clear: float
    """P(it passes with no effect); for SC-003, P(it passes with no benefit): a false pass."""
    required: float
    design: str
    """Seeds, episodes and margin the probabilities are for."""
    met: bool
    """``detect`` >= ``required``, and ``clear`` >= it (SC-003: ``clear`` <= 1 - it)."""
    false_alarm: float | None = None
    """SC-003u: P(one seed fails with no drop)."""


@dataclass(frozen=True)
class ComparisonMetrics(Record):
    """The ``comparison`` artefact's metrics."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"confirmation", "power"})

    arms: dict[str, ArmRow]
    baseline_censored: int
    final_vs_baseline: dict[str, FinalDifference]
    recipe_vs: dict[str, RecipeVersus]
    sensitivity: dict[str, SensitivityLevel]
    expert_training_steps: dict[str, int]
    dataset_steps: int
    dataset_episodes: int
    confirmation: Confirmed | None = None
    """How T was judged, and its operating characteristic (None: from the periodic
    evaluations alone)."""
    power: dict[str, CriterionPower] | None = None
    """By criterion id (SC-003, SC-003f, SC-003u, SC-003r T, SC-003r drop): its power for
    this design (None: no power analysis declared)."""
