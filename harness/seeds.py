"""The episode-seed plan of a study (DESIGN.md section 4, "Seeds, by purpose").

Every purpose draws its episode seeds from a range of its own, so no evaluation reuses an episode
that another purpose trained, selected or recorded on; and inside a training purpose every run (an
expert seed, an arm and seed of the comparison, a shift run), like every recorded dataset, owns a
block of its own, so no two runs share an episode stream.

Layout (episode seeds are non-negative 64-bit integers; an episode is reproducible from
(scenario, episode seed)):

- purpose ``p`` (its index in :data:`PURPOSES`, from 1) owns ``[p * PURPOSE_SPAN, (p + 1) *
  PURPOSE_SPAN)``: every range lies above the seeds a default-seeded environment draws
  (< 2**31), so ad-hoc episodes never collide with a study's either;
- a training run or a dataset owns a block of :data:`BLOCK` consecutive seeds, numbered by its
  stream (:data:`STREAMS`) and its run seed; a run plays at most one episode per environment
  step, so a block outlasts any budget below :data:`BLOCK` steps (the spec checks this);
- evaluation ``i`` of a purpose with ``n`` episodes per evaluation plays ``[base + i * n, base +
  (i + 1) * n)``: consecutive evaluations are disjoint, and every run of the purpose is evaluated
  on the same sets (matched evaluation).

The network initialisation of a run is seeded from the same identity (:func:`init_seed`), so no
two runs start from the same parameters either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PURPOSES = (
    "expert_training",
    "expert_periodic_eval",
    "expert_final_eval",
    "dataset_recording",
    "comparison_training",
    "comparison_periodic_eval",
    "comparison_final_eval",
    "shift_eval",
    "audit_eval",
)
"""Every purpose of the study's episodes; each draws from its own disjoint range."""
TRAINING_PURPOSES = ("expert_training", "comparison_training")
PURPOSE_SPAN = 2**48
BLOCK = 2**24
"""Episode seeds reserved for one training run or one dataset."""
MAX_RUN_SEED = 2**16
"""Run seeds (``expert.seeds``, ``pretraining.seeds``) must lie in ``[0, MAX_RUN_SEED)``."""
STREAMS = ("expert", "baseline", "pretrained", "naive", "shifted", "dataset", "shift_dataset",
           "matched", "shift_matched_dataset")
"""Named streams inside the training and recording purposes; a new arm needs a new name here.
The shift experiment has two arms (``shifted``, ``matched``) and two datasets (``shift_dataset``
recorded on ``shift.dataset_scenarios``, ``shift_matched_dataset`` on the fine-tuning scenario);
names are only ever appended, so the blocks of the earlier streams stay where they were."""
SIZED_BASE = 16
"""Stream slots below this are the named :data:`STREAMS` (room to add names); above it lie the
streams of the dataset-size study: arm ``a`` at size index ``k`` is slot
``SIZED_BASE + STREAMS.index(a) * MAX_SIZES + k`` (:func:`sized_stream`)."""
MAX_SIZES = 32
"""Sizes a dataset-size study may declare."""
STREAM_SLOTS = PURPOSE_SPAN // BLOCK // MAX_RUN_SEED
"""Streams a purpose has room for (256)."""
SIZABLE = STREAMS[:7]
"""The streams that may have sized variants: ``SIZED_BASE + 7 * MAX_SIZES`` slots fit in
:data:`STREAM_SLOTS`; names appended later (the shift experiment's ``matched`` arm and its
dataset) are never sized, so that no sized slot moves when a name is added."""


def sized_stream(arm: str, size_index: int) -> str:
    """The stream of ``arm``'s runs at the ``size_index``-th size of the dataset-size study
    (its own block per seed: no sized run shares an episode stream with any other run)."""
    if arm not in SIZABLE:
        raise ValueError(f"seed stream {arm!r} has no sized variants; those of {SIZABLE} do")
    if not 0 <= size_index < MAX_SIZES:
        raise ValueError(f"size index {size_index} outside [0, {MAX_SIZES})")
    return f"{arm}/size{size_index}"


def _stream_slot(stream: str) -> int:
    if stream in STREAMS:
        return STREAMS.index(stream)
    arm, _, size = stream.partition("/size")
    if arm in SIZABLE and size.isdigit() and int(size) < MAX_SIZES:
        return SIZED_BASE + SIZABLE.index(arm) * MAX_SIZES + int(size)
    raise ValueError(f"unknown seed stream {stream!r}; known: {STREAMS} and "
                     f"'<stream>/size<k>' for k < {MAX_SIZES}")


@dataclass(frozen=True)
class SeedRange:
    """A half-open range ``[start, stop)`` of episode seeds used for one purpose."""

    purpose: str
    start: int
    stop: int

    def __post_init__(self) -> None:
        if self.purpose not in PURPOSES:
            raise ValueError(f"unknown seed purpose {self.purpose!r}; known: {PURPOSES}")
        if not 0 <= self.start <= self.stop:
            raise ValueError(f"seed range [{self.start}, {self.stop}) is not a range")

    def __len__(self) -> int:
        return self.stop - self.start

    def seeds(self) -> list[int]:
        return list(range(self.start, self.stop))

    def overlaps(self, other: SeedRange) -> bool:
        return self.start < other.stop and other.start < self.stop

    def as_dict(self) -> dict:
        return {"purpose": self.purpose, "start": self.start, "stop": self.stop}

    @classmethod
    def from_dict(cls, d: dict) -> SeedRange:
        return cls(d["purpose"], int(d["start"]), int(d["stop"]))


def purpose_base(purpose: str) -> int:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown seed purpose {purpose!r}; known: {PURPOSES}")
    return (PURPOSES.index(purpose) + 1) * PURPOSE_SPAN


def _block_index(stream: str, seed: int) -> int:
    slot = _stream_slot(stream)
    if not 0 <= int(seed) < MAX_RUN_SEED:
        raise ValueError(f"run seed {seed} outside [0, {MAX_RUN_SEED}) of the seed plan")
    return slot * MAX_RUN_SEED + int(seed)


def training_block(purpose: str, stream: str, seed: int) -> SeedRange:
    """The block of episode seeds reserved for run ``seed`` of ``stream`` in ``purpose``."""
    if purpose not in TRAINING_PURPOSES + ("dataset_recording",):
        raise ValueError(f"{purpose!r} is not a training or recording purpose")
    start = purpose_base(purpose) + _block_index(stream, seed) * BLOCK
    return SeedRange(purpose, start, start + BLOCK)


def recording_seeds(stream: str, episodes: int) -> SeedRange:
    """The episodes of the dataset recorded under ``stream`` (its first ``episodes`` seeds)."""
    if episodes > BLOCK:
        raise ValueError(f"{episodes} episodes exceed the {BLOCK} seeds of a dataset block")
    block = training_block("dataset_recording", stream, 0)
    return SeedRange("dataset_recording", block.start, block.start + episodes)


def evaluation_set(purpose: str, index: int, episodes: int) -> SeedRange:
    """Evaluation ``index`` of ``purpose``: its own ``episodes`` seeds, disjoint from the other
    evaluations' of the purpose."""
    if purpose in TRAINING_PURPOSES + ("dataset_recording",):
        raise ValueError(f"{purpose!r} is not an evaluation purpose")
    start = purpose_base(purpose) + index * episodes
    if index < 0 or start + episodes > purpose_base(purpose) + PURPOSE_SPAN:
        raise ValueError(f"evaluation {index} of {episodes} episodes outside {purpose!r}")
    return SeedRange(purpose, start, start + episodes)


def evaluation_span(purpose: str, count: int, episodes: int) -> SeedRange:
    """The union of evaluations ``0 .. count - 1`` of ``purpose`` (one contiguous range)."""
    first = evaluation_set(purpose, 0, episodes)
    return SeedRange(purpose, first.start, first.start + count * episodes)


def init_seed(purpose: str, stream: str, seed: int) -> int:
    """The seed of a run's network initialisation and sampling RNGs: a function of the run's
    identity, so that no two runs of a study start from the same parameters."""
    entropy = [PURPOSES.index(purpose), _block_index(stream, seed)]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0] & 0x7FFFFFFF)


def disjoint_pairs(ranges: list[tuple[str, SeedRange]]) -> list[tuple[str, str]]:
    """Every pair of labelled ranges that overlap (empty = pairwise disjoint)."""
    ordered = sorted(ranges, key=lambda lr: (lr[1].start, lr[1].stop))
    clashes = []
    for i, (label, r) in enumerate(ordered):
        for other_label, other in ordered[i + 1:]:
            if other.start >= r.stop:
                break
            if r.overlaps(other):
                clashes.append((label, other_label))
    return clashes
