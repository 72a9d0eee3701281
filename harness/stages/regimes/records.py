"""The regime map's metric records: one row per regime, each a comparison in the style of
SC-003 (issue 24)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from harness.metrics import EvalSummary, Record
from harness.stages.comparison.records import ArmRow, RecipeVersus


@dataclass(frozen=True)
class RegimeRow(Record):
    """One regime: every arm over the matched seeds against its baseline."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"demonstrator", "recipe_vs"})

    regime: str
    axis: str
    """"quality", "size" or "new task"."""
    label: str
    """What the regime is, in words."""
    scenario: str
    dataset_id: str
    dataset_episodes: int
    dataset_steps: int
    arms: dict[str, ArmRow]
    """By arm name (the baseline's included); T confirmed like the comparison's."""
    bc_below_target: dict[str, int]
    """Per pre-trained arm: seeds whose BC policy misses the target on its final evaluation."""
    pays: str
    """Whether pre-training pays here, by how much, and where the recipe matters: one
    sentence, from the numbers above."""
    demonstrator: dict | None = None
    """The degraded demonstrator and its measured quality (None: the approved expert)."""
    recipe_vs: dict[str, RecipeVersus] | None = None


@dataclass(frozen=True)
class DemonstratorQuality(Record):
    """A demonstrator's measured quality beside what its dataset recorded."""

    name: str
    epsilon: float
    quality: EvalSummary
    recorded_success: float
    recorded_collision: float
    recorded_episodes: int


@dataclass(frozen=True)
class RegimeMapMetrics(Record):
    """The ``regime_map`` artefact's metrics."""

    rows: list[RegimeRow]
    demonstrators: list[DemonstratorQuality]
    expert_training_steps: int
    """What the expert (every demonstrator's source) cost, reported beside every ratio."""
