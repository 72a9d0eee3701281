"""The size study's metric records: per-size rows and the demonstrations each arm needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from harness.metrics import Record
from harness.stages.comparison.records import ArmRow, RecipeVersus


# ----------------------------------------------------------------------------- size study
@dataclass(frozen=True)
class SizeRow(Record):
    """One dataset size of the size study: every arm over the size's matched seeds."""

    episodes: int
    """Demonstration episodes (the largest row is the full dataset: the comparison's runs)."""
    transitions: int
    dataset: str
    """The artefact the arms cloned (a ``dataset_subset``, or the full ``dataset``)."""
    seeds: list[int]
    arms: dict[str, ArmRow]
    """The pre-trained arms and the baseline (its runs on these seeds)."""
    iqm_time_ci: dict[str, list[float]]
    """Per arm: 95% percentile bootstrap interval of IQM(T) over seeds."""
    meets_sc003: dict[str, bool]
    """Per pre-trained arm: IQM ratio <= ratio_max and its interval's upper bound < 1."""
    recipe_vs: dict[str, RecipeVersus]
    """The recipe against each other pre-trained arm at this size."""


@dataclass(frozen=True)
class DemonstrationsNeeded(Record):
    """The smallest size at which an arm meets SC-003 (None: at none of the sizes)."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"episodes", "ratio", "ratio_ci",
                                                    "at_floor"})

    arm: str
    episodes: int | None = None
    ratio: float | None = None
    ratio_ci: list[float] | None = None
    holds_above: bool = False
    """Whether SC-003 also holds at every larger size."""
    at_floor: bool = False
    """Met at the smallest size tried: the boundary lies at or below it, not inside the grid
    (issue 24: "demonstrations needed" is then the grid's floor, not a finding)."""


@dataclass(frozen=True)
class SizeStudyMetrics(Record):
    """The ``size_study`` artefact's metrics."""

    sizes: list[SizeRow]
    needed: dict[str, DemonstrationsNeeded]
    recipe_beats: dict[str, list[int]]
    """Per other arm: the sizes at which the recipe is better (an interval of T or of the drop
    below BC that excludes no difference, in the recipe's favour)."""
