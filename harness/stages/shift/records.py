"""The shift experiment's metric records: per-run evaluations, per-family differences and
regressions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from harness.metrics import DatasetCoverage, Record


# ----------------------------------------------------------------------------- shift
@dataclass(frozen=True)
class ShiftCell(Record):
    """One arm of the shift experiment on one evaluated family, over the shift seeds.

    Rates pool every seed's episodes (``seeds x episodes``) with Wilson 95% intervals; T and
    curve area are per seed (index ``i`` = ``seeds[i]``) with bootstrap intervals over seeds.
    The BC fields (the policy before any online step) are absent for the baseline."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({
        "bc_success", "bc_success_ci", "bc_collision", "bc_collision_ci", "bc_per_seed"})

    final_success: float
    final_success_ci: list[float]
    final_collision: float
    final_collision_ci: list[float]
    final_per_seed: list[float]
    """Final success per seed."""
    time_to_target: list[float]
    """T per seed on this family's learning curve; censored runs at the budget."""
    censored: list[bool]
    iqm_time: list[float]
    """(IQM, lower, upper) over seeds."""
    auc: list[float]
    """Area under this family's success curve per seed, normalised to [0, 1]."""
    auc_mean_ci: list[float]
    """(mean, lower, upper) over seeds."""
    bc_success: float | None = None
    bc_success_ci: list[float] | None = None
    bc_collision: float | None = None
    bc_collision_ci: list[float] | None = None
    bc_per_seed: list[float] | None = None


@dataclass(frozen=True)
class ShiftRunMetrics(Record):
    """One arm run's ``shift_run`` evaluation (per-episode outcomes in its ``outcomes.json``):
    success per evaluated family of its final and (pre-trained arms) BC policy."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"bc_success"})

    arm: str
    seed: int
    final_success: dict[str, float]
    bc_success: dict[str, float] | None = None


@dataclass(frozen=True)
class ShiftDifference(Record):
    """The shifted-data arm minus a reference arm on one family: success (per-episode pairs,
    :func:`harness.stats.paired_rate_ci`), and for the fine-tuned policies T and curve area
    (paired by seed)."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({
        "t_difference", "t_ci", "t_verdict", "auc_difference", "auc_ci", "auc_verdict"})

    family: str
    stage: str
    """"fine-tuned" (the final policies: asserted) or "bc" (before fine-tuning: reported)."""
    reference: str
    """"matched" (the matched-data arm) or "baseline"."""
    success: float
    reference_success: float
    difference: float
    ci: list[float]
    margin: float
    verdict: str
    """"regression", "within margin" or "inconclusive" (:func:`harness.stats.shift_verdict`)."""
    t_difference: float | None = None
    """IQM(T shifted) - IQM(T reference) in online steps, paired by seed."""
    t_ci: list[float] | None = None
    t_verdict: str | None = None
    auc_difference: float | None = None
    auc_ci: list[float] | None = None
    auc_verdict: str | None = None


@dataclass(frozen=True)
class Regression(Record):
    """A named regression: the shifted-data arm worse than ``reference`` on ``family`` by more
    than the margin, the 95% interval of the difference below 0."""

    arm: str
    family: str
    stage: str
    reference: str
    success: float
    reference_success: float
    drop: float
    ci: list[float]
    margin: float


@dataclass(frozen=True)
class ShiftMetrics(Record):
    """The ``shift`` artefact's metrics: every arm on every evaluated family, the shifted-data
    arm against the matched-data arm and the baseline, coverage, and the regressions."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"power"})

    cells: dict[str, dict[str, ShiftCell]]
    """arm ("baseline", "matched", "shifted") -> family -> cell."""
    differences: list[ShiftDifference]
    regressions: list[Regression]
    margin: float
    seeds: list[int]
    episodes: int
    budget: int
    target: dict
    """The target T is measured at (success, collision, consecutive), as the runs declared it."""
    fine_tuning_scenario: str
    declared: dict
    """The fine-tuning scenario's declared ranges (layout, counts, start-goal distance)."""
    coverage: dict[str, DatasetCoverage]
    """"shifted" and "matched" datasets."""
    run_ids: dict[str, list[str]]
    power: dict | None = None
    """The declared power analysis and the power simulated for this design (seeds, episodes,
    margin) through the study's own decision (:func:`harness.power.shift_power`)."""
