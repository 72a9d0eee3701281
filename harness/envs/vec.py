"""Training vectorisation of a declared environment, on the run's own block of episode seeds.

Every slot is wrapped in :class:`SeedStream`: each reset takes the slot's next seed of the run's
block (``start + slot``, ``start + slot + N``, ... as the built-in simulator's native VecEnv
does), so two runs never share an episode and a run never leaves its block. The slots live in
this process (SB3's ``DummyVecEnv``) or one process each (``SubprocVecEnv``); either way the
episodes depend only on their seeds. :class:`BlockSeededVecEnv` gives the run the same
``seeds_played`` / ``stream_state`` / ``restore_streams`` the native VecEnv has.
"""

from __future__ import annotations

import gymnasium as gym
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecEnvWrapper

from harness.envs.gym_family import GymFamily
from harness.nav.seeding import StridedSeeds


class SeedStream(gym.Wrapper):
    """Slot ``slot`` of ``stride``: every reset plays the slot's next seed of the block; an
    explicit ``reset(seed=...)`` is refused (it would replace the run's streams)."""

    def __init__(self, env: gym.Env, start: int, stop: int, slot: int, stride: int):
        super().__init__(env)
        self.stream = StridedSeeds(start, stop, slot=slot, stride=stride)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            raise RuntimeError(f"this env plays the episode-seed block [{self.stream.start}, "
                               f"{self.stream.stop}) of its run; reseeding it (e.g. "
                               f"PPO(seed=...)) would share streams with other runs")
        return self.env.reset(seed=self.stream.next(), options=options)

    def stream_state(self) -> list[int]:
        return [self.stream._next, self.stream.played]

    def restore_stream(self, state: list[int]) -> None:
        self.stream._next, self.stream.played = int(state[0]), int(state[1])

    def last_seed(self) -> int | None:
        return self.stream.last


def _slot(family: GymFamily, block: tuple[int, int], slot: int, stride: int):
    def make() -> gym.Env:
        return SeedStream(Monitor(family.make()), *block, slot=slot, stride=stride)
    return make


class BlockSeededVecEnv(VecEnvWrapper):
    """The slots of one run; what the trainer asks of a block-seeded env."""

    def __init__(self, family: GymFamily, num_envs: int, seed_block: tuple[int, int]):
        fns = [_slot(family, seed_block, i, num_envs) for i in range(num_envs)]
        venv = SubprocVecEnv(fns) if family.vectorise == "subproc" else DummyVecEnv(fns)
        super().__init__(venv)
        self.family = family
        self.seed_block = seed_block

    def reset(self):
        return self.venv.reset()

    def step_wait(self):
        return self.venv.step_wait()

    def seed(self, seed: int | None = None):
        raise RuntimeError(f"this env plays the episode-seed block {self.seed_block} of its run; "
                           f"reseeding it (e.g. PPO(seed=...)) would share streams with other "
                           f"runs")

    def stream_state(self) -> list[list[int]]:
        return self.venv.env_method("stream_state")

    def restore_streams(self, state: list[list[int]]) -> None:
        if len(state) != self.num_envs:
            raise RuntimeError("stream state does not fit this env")
        for i, s in enumerate(state):
            self.venv.env_method("restore_stream", s, indices=[i])

    def seeds_played(self) -> tuple[int, int]:
        last = [s for s in self.venv.env_method("last_seed") if s is not None]
        return (self.seed_block[0], max(last) + 1 if last else self.seed_block[0])
