"""The dataset stage's metric records: the recording's validation and the inspection's playback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from harness.metrics import Record


# ----------------------------------------------------------------------------- datasets
@dataclass(frozen=True)
class ValidationSummary(Record):
    ok: bool
    checks: list[str]
    failures: int


@dataclass(frozen=True)
class DatasetMetrics(Record):
    """The ``dataset`` artefact's metrics (``coverage`` as recorded in its metadata)."""

    episodes: int
    steps: int
    validation: ValidationSummary
    coverage: dict


@dataclass(frozen=True)
class PlaybackRow(Record):
    episode: int
    seed: int
    outcome_recorded: str
    matches: bool | None
    """None: not replayed (the environment is not deterministic under reset(seed))."""
    gif: str | None
    """None: no frames (not replayable, or no rgb_array rendering)."""
    mp4: str | None = None

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"mp4"})


@dataclass(frozen=True)
class InspectionMetrics(Record):
    """The ``dataset_inspection`` artefact's metrics: replay checks and anomaly counts."""

    anomaly_counts: dict[str, int]
    outcomes: dict[str, int]
    replay_matches: int
    replayed_episodes: int
    replay_mismatches: int
    playback: list[PlaybackRow]
    replayable: bool | None = None
    """False when the environment is not deterministic under reset(seed): nothing replayed."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"replayable"})
