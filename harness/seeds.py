"""The episode-seed plan of a study (DESIGN.md section 4, "Seeds, by purpose").

Every purpose draws its episode seeds from a range of its own, so no evaluation reuses an episode
that another purpose trained, selected or recorded on; and inside a training purpose every run (an
expert seed, an arm and seed of the comparison, a shift run), like every recorded dataset, owns a
block of its own, so no two runs share an episode stream.

Every episode seed lies in ``[0, 2**32)`` (:data:`SEED_LIMIT`): many environments seed NumPy's
legacy generator (``np.random.seed``, ``RandomState``) with the seed ``reset`` receives, and that
generator takes nothing larger. The layout of those 2**32 seeds (:data:`LAYOUT`):

=========================  ===================  ========================================
purpose                    range                holds
=========================  ===================  ========================================
expert_training            [0, 2**30)           32 run seeds x a block of 2**25 episodes
comparison_training        [2**30, 3 * 2**30)   64 streams x 32 run seeds x 2**20 episodes
dataset_recording          2**26 seeds          128 streams x 32 run seeds x 2**14 episodes
each evaluation purpose    2**26 seeds          67,108,864 evaluation episodes
comparison_confirmation..  2**26 seeds          64 streams x 32 run seeds x 2**15 episodes
demonstrator_eval          2**26 seeds          the degraded demonstrators' quality (issue 24)
(7 slots of 2**26 free for purposes to come)
=========================  ===================  ========================================

- a training run or a dataset owns a block, numbered by its stream (:data:`STREAMS`) and its run
  seed; a run plays at most one episode per environment step, so a block of ``B`` seeds outlasts
  any budget below ``B`` steps (the spec checks this: an expert's budget is at most ~33.5M steps,
  a comparison run's ~1.05M steps, a dataset at most 16,384 episodes);
- evaluation ``i`` of a purpose with ``n`` episodes per evaluation plays ``[base + i * n, base +
  (i + 1) * n)``: consecutive evaluations are disjoint, and every run of the purpose is evaluated
  on the same sets (matched evaluation);
- the confirmations of time to target (``comparison_confirmation_eval``) are the exception: a
  run's candidate T is confirmed on episodes of the run's own block, so no two runs share an
  evaluation set there, and the seed bootstrap of T covers the evaluation's variance too.

The network initialisation of a run is seeded from the same identity (:func:`init_seed`), so no
two runs start from the same parameters either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.names import ArmName

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
    "comparison_confirmation_eval",
    "demonstrator_eval",
)
"""Every purpose of the study's episodes; each draws from its own disjoint range (LAYOUT)."""
TRAINING_PURPOSES = ("expert_training", "comparison_training")
OWN_BLOCK_PURPOSES = (*TRAINING_PURPOSES, "dataset_recording", "comparison_confirmation_eval")
"""The purposes in which every run (or dataset) owns a block: no two may share a seed."""
SEED_LIMIT = 2**32
"""Every episode seed handed to ``reset`` is below this (NumPy's legacy generator's bound)."""
MAX_RUN_SEED = 32
"""Run seeds (``expert.seeds``, ``pretraining.seeds``) must lie in ``[0, MAX_RUN_SEED)``."""
SMALL_SPAN = 2**26
"""The range of the recording purpose and of each evaluation purpose."""


@dataclass(frozen=True)
class Region:
    """Where one purpose's seeds lie: ``[start, start + span)``; a training or recording purpose
    splits it into blocks of ``block`` seeds, ``MAX_RUN_SEED`` per stream."""

    start: int
    span: int
    block: int | None = None
    streams: tuple[str, ...] = ()
    """The named streams of a blocked purpose (slot = index)."""

    @property
    def stop(self) -> int:
        return self.start + self.span


MAX_DEMONSTRATORS = 8
"""Degraded demonstrators a study may declare (issue 24), each recording its own dataset."""
DEMONSTRATOR_STREAMS = tuple(f"demonstrator{k}" for k in range(MAX_DEMONSTRATORS))
"""The recording streams of the demonstrators' datasets, in declaration order."""
REGIME_STREAMS = tuple(f"regime{k}" for k in range(11))
"""The comparison_training (and confirmation) streams of the regime map's runs (issue 24): one
per (regime, arm), in declaration order; the named slots 5-15 below :data:`SIZED_BASE`."""
STREAMS = ("expert", ArmName.BASELINE, ArmName.PRETRAINED, ArmName.NAIVE, ArmName.SHIFTED,
           "dataset", "shift_dataset", ArmName.MATCHED, "shift_matched_dataset",
           *DEMONSTRATOR_STREAMS, *REGIME_STREAMS)
"""Named streams of the training and recording purposes; a new arm needs a new name here (and
in its purpose's entry of :data:`LAYOUT`, appended: the blocks of the others stay where they
are). The shift experiment has two arms (``shifted``, ``matched``) and two datasets
(``shift_dataset`` recorded on ``shift.dataset_scenarios``, ``shift_matched_dataset`` on the
fine-tuning scenario)."""
SIZED_BASE = 16
"""Stream slots of comparison_training below this are named streams (room to add names); above
lie the streams of the dataset-size study: arm ``a`` at size index ``k`` is slot
``SIZED_BASE + SIZABLE.index(a) * MAX_SIZES + k`` (:func:`sized_stream`)."""
MAX_SIZES = 24
"""Sizes a dataset-size study may declare."""
SIZABLE = (ArmName.PRETRAINED, ArmName.NAIVE)
"""The streams that may have sized variants (the pre-trained arms)."""
SIZED_PURPOSES = ("comparison_training", "comparison_confirmation_eval")
"""The purposes whose blocks follow the comparison's streams, sized variants included."""
STREAM_SLOTS = 64
"""Streams comparison_training has room for: ``SIZED_BASE + len(SIZABLE) * MAX_SIZES``."""


def _small(index: int) -> int:
    return 3 * 2**30 + index * SMALL_SPAN


LAYOUT: dict[str, Region] = {
    "expert_training": Region(0, 2**30, block=2**25, streams=("expert",)),
    "comparison_training": Region(2**30, 2**31, block=2**20,
                                  streams=(ArmName.BASELINE, ArmName.PRETRAINED, ArmName.NAIVE,
                                           ArmName.SHIFTED, ArmName.MATCHED, *REGIME_STREAMS)),
    "dataset_recording": Region(_small(0), SMALL_SPAN, block=2**14,
                                streams=("dataset", "shift_dataset", "shift_matched_dataset",
                                         *DEMONSTRATOR_STREAMS)),
    "expert_periodic_eval": Region(_small(1), SMALL_SPAN),
    "expert_final_eval": Region(_small(2), SMALL_SPAN),
    "comparison_periodic_eval": Region(_small(3), SMALL_SPAN),
    "comparison_final_eval": Region(_small(4), SMALL_SPAN),
    "shift_eval": Region(_small(5), SMALL_SPAN),
    "audit_eval": Region(_small(6), SMALL_SPAN),
    "comparison_confirmation_eval": Region(_small(7), SMALL_SPAN, block=2**15,
                                           streams=(ArmName.BASELINE, ArmName.PRETRAINED,
                                                    ArmName.NAIVE, ArmName.SHIFTED,
                                                    ArmName.MATCHED, *REGIME_STREAMS)),
    "demonstrator_eval": Region(_small(8), SMALL_SPAN),
}
"""Every purpose's region (see the module docstring's table)."""
BLOCK = max(r.block for r in LAYOUT.values() if r.block)
"""The largest block of any purpose (a run's budget is checked against its own purpose's)."""


def block_size(purpose: str) -> int:
    """Episode seeds one run or dataset of ``purpose`` owns."""
    region = _region(purpose)
    if region.block is None:
        raise ValueError(f"{purpose!r} is not a training or recording purpose")
    return region.block


def capacity() -> dict[str, str]:
    """What each purpose holds, in words (README, report's definitions)."""
    out = {}
    for name, r in LAYOUT.items():
        if r.block is None:
            out[name] = f"{r.span:,} evaluation episodes"
        else:
            runs = r.span // r.block
            out[name] = (f"{runs // MAX_RUN_SEED} streams x {MAX_RUN_SEED} run seeds, "
                         f"{r.block:,} episodes each")
    return out


def _region(purpose: str) -> Region:
    if purpose not in LAYOUT:
        raise ValueError(f"unknown seed purpose {purpose!r}; known: {PURPOSES}")
    return LAYOUT[purpose]


def sized_stream(arm: str, size_index: int) -> str:
    """The stream of ``arm``'s runs at the ``size_index``-th size of the dataset-size study
    (its own block per seed: no sized run shares an episode stream with any other run)."""
    if arm not in SIZABLE:
        raise ValueError(f"seed stream {arm!r} has no sized variants; those of {SIZABLE} do")
    if not 0 <= size_index < MAX_SIZES:
        raise ValueError(f"size index {size_index} outside [0, {MAX_SIZES})")
    return f"{arm}/size{size_index}"


def _stream_slot(purpose: str, stream: str) -> int:
    region = _region(purpose)
    if stream in region.streams:
        return region.streams.index(stream)
    arm, _, size = stream.partition("/size")
    if purpose in SIZED_PURPOSES and arm in SIZABLE and size.isdigit() \
            and int(size) < MAX_SIZES:
        return SIZED_BASE + SIZABLE.index(arm) * MAX_SIZES + int(size)
    sized = " and '<stream>/size<k>' of " + str(SIZABLE) if purpose in SIZED_PURPOSES else ""
    raise ValueError(f"unknown seed stream {stream!r} of {purpose!r}; known: "
                     f"{region.streams}{sized}")


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
        if self.stop > SEED_LIMIT:
            raise ValueError(f"seed range [{self.start}, {self.stop}) reaches past 2**32: "
                             f"environments that seed NumPy's legacy generator reject it")

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
    """The first episode seed of ``purpose``'s region."""
    return _region(purpose).start


def _block_index(purpose: str, stream: str, seed: int) -> int:
    slot = _stream_slot(purpose, stream)
    if not 0 <= int(seed) < MAX_RUN_SEED:
        raise ValueError(f"run seed {seed} outside [0, {MAX_RUN_SEED}) of the seed plan")
    return slot * MAX_RUN_SEED + int(seed)


def training_block(purpose: str, stream: str, seed: int) -> SeedRange:
    """The block of episode seeds reserved for run ``seed`` of ``stream`` in ``purpose``."""
    region = _region(purpose)
    if region.block is None:
        raise ValueError(f"{purpose!r} is not a training or recording purpose")
    start = region.start + _block_index(purpose, stream, seed) * region.block
    if start + region.block > region.stop:
        raise ValueError(f"stream {stream!r} seed {seed} lies outside {purpose!r}")
    return SeedRange(purpose, start, start + region.block)


def own_evaluations(purpose: str, stream: str, seed: int, count: int, episodes: int
                    ) -> SeedRange:
    """The first ``count`` evaluations of ``episodes`` each in run ``seed``'s own block of
    ``purpose`` (a run's confirmations of time to target)."""
    block = training_block(purpose, stream, seed)
    if count * episodes > len(block):
        raise ValueError(f"{count} evaluations of {episodes} episodes exceed the {len(block):,} "
                         f"seeds of a {purpose} block")
    return SeedRange(purpose, block.start, block.start + count * episodes)


def recording_seeds(stream: str, episodes: int) -> SeedRange:
    """The episodes of the dataset recorded under ``stream`` (its first ``episodes`` seeds)."""
    block = training_block("dataset_recording", stream, 0)
    if episodes > len(block):
        raise ValueError(f"{episodes} episodes exceed the {len(block)} seeds of a dataset block")
    return SeedRange("dataset_recording", block.start, block.start + episodes)


def evaluation_set(purpose: str, index: int, episodes: int) -> SeedRange:
    """Evaluation ``index`` of ``purpose``: its own ``episodes`` seeds, disjoint from the other
    evaluations' of the purpose."""
    region = _region(purpose)
    if region.block is not None:
        raise ValueError(f"{purpose!r} is not an evaluation purpose")
    start = region.start + index * episodes
    if index < 0 or start + episodes > region.stop:
        raise ValueError(f"evaluation {index} of {episodes} episodes outside {purpose!r} "
                         f"({region.span:,} seeds)")
    return SeedRange(purpose, start, start + episodes)


def evaluation_span(purpose: str, count: int, episodes: int) -> SeedRange:
    """The union of evaluations ``0 .. count - 1`` of ``purpose`` (one contiguous range)."""
    first = evaluation_set(purpose, 0, episodes)
    if count > 0:
        evaluation_set(purpose, count - 1, episodes)  # the last one fits too
    return SeedRange(purpose, first.start, first.start + count * episodes)


def init_seed(purpose: str, stream: str, seed: int) -> int:
    """The seed of a run's network initialisation and sampling RNGs: a function of the run's
    identity, so that no two runs of a study start from the same parameters."""
    entropy = [PURPOSES.index(purpose), _block_index(purpose, stream, seed)]
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
