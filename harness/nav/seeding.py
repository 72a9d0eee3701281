"""Episode seeds: every episode is reproducible from (scenario, episode seed).

An environment slot seeded with ``s`` plays episode ``s`` first, then the episodes whose seeds a
``default_rng(s)`` stream draws.
Both faces (Gymnasium and VecEnv) use this same stream, so seeding
env ``i`` of a VecEnv with ``s + i`` (SB3's convention) replays the single env seeded
with ``s + i``.
"""

from __future__ import annotations

import numpy as np

SEED_BOUND = 2**31 - 1


class EpisodeSeeds:
    """The sequence of episode seeds of one environment slot."""

    def __init__(self, seed: int | None = None):
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0]) % SEED_BOUND
        self.base = int(seed)
        self._rng = np.random.default_rng(self.base)
        self._first = True

    def next(self) -> int:
        if self._first:
            self._first = False
            return self.base
        return int(self._rng.integers(0, SEED_BOUND))


class StridedSeeds:
    """Slot ``slot`` of ``stride`` slots sharing the block ``[start, stop)``: it plays episodes
    ``start + slot``, ``start + slot + stride``, ... so the slots of one vectorised run never share
    an episode, and the run never leaves its block (an error instead of a silent overlap)."""

    def __init__(self, start: int, stop: int, slot: int, stride: int):
        if not 0 <= slot < stride or start + slot >= stop:
            raise ValueError(f"slot {slot} of {stride} does not fit the block [{start}, {stop})")
        self.start, self.stop, self.stride = int(start), int(stop), int(stride)
        self._next = self.start + slot
        self.played = 0

    def next(self) -> int:
        seed = self._next
        if seed >= self.stop:
            raise RuntimeError(f"episode-seed block [{self.start}, {self.stop}) exhausted: the run "
                               f"played more episodes than its block holds")
        self._next += self.stride
        self.played += 1
        return seed

    @property
    def last(self) -> int | None:
        """The last seed played, or None before the first episode."""
        return self._next - self.stride if self.played else None
