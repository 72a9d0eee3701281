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
