"""Small Gymnasium environments of a "user's package", for the tests of declared environments.

``LineWorld``: a robot on a line must reach the goal at +1 without touching the wall at -1
(deterministic under ``reset(seed)``; Box or Discrete actions; ``info`` reports ``reached``,
``crashed`` and the start position). ``NoisyLineWorld`` ignores the seed (not replayable).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np


class LineWorld(gym.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(self, discrete: bool = False, start_spread: float = 0.5,
                 render_mode: str | None = None):
        self.discrete = discrete
        self.start_spread = start_spread
        self.render_mode = render_mode
        self.observation_space = gym.spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(3) if discrete else \
            gym.spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
        self.x = 0.0
        self.v = 0.0

    def _obs(self) -> np.ndarray:
        return np.array([self.x, self.v], dtype=np.float32)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.x = float(self.np_random.uniform(-self.start_spread, self.start_spread))
        self.v = 0.0
        return self._obs(), {"start": self.x}

    def _push(self, action) -> float:
        if self.discrete:
            return float(int(action) - 1)
        return float(np.clip(np.asarray(action, dtype=np.float64).reshape(-1)[0], -1.0, 1.0))

    def step(self, action):
        self.v = float(np.clip(0.8 * self.v + 0.05 * self._push(action), -1.0, 1.0))
        self.x = float(np.clip(self.x + 0.1 * self.v, -1.0, 1.0))
        reached, crashed = self.x >= 0.95, self.x <= -0.95
        reward = 1.0 if reached else (-1.0 if crashed else -0.01)
        info = {"reached": reached, "crashed": crashed, "start": None}
        return self._obs(), reward, reached or crashed, False, info

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        frame = np.full((32, 64, 3), 255, dtype=np.uint8)
        col = int((self.x + 1.0) / 2.0 * 63)
        frame[12:20, max(0, col - 1):col + 2] = (200, 40, 40)
        return frame


class NoisyLineWorld(LineWorld):
    """Ignores the seed of ``reset``: its episodes cannot be replayed."""

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        obs, info = super().reset(seed=None)
        self.x = float(np.random.default_rng().uniform(-self.start_spread, self.start_spread))
        return self._obs(), {"start": self.x}


class DictWorld(LineWorld):
    """A Dict observation space (refused unless flattened by a declared wrapper)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.observation_space = gym.spaces.Dict({"x": gym.spaces.Box(-1, 1, (2,), np.float32)})

    def reset(self, *, seed=None, options=None):
        obs, info = super().reset(seed=seed)
        return {"x": obs}, info

    def step(self, action):
        obs, *rest = super().step(action)
        return ({"x": obs}, *rest)


def start_distance(env, obs, info) -> float:
    """A descriptor function (``tests.toy_envs:start_distance``): distance from start to goal."""
    return float(1.0 - env.x)


class LegacySeededLineWorld(LineWorld):
    """Seeds NumPy's legacy generator with the episode seed, as many simulators do:
    ``np.random.RandomState(seed)`` rejects seeds of 2**32 and above (``ValueError: Seed must be
    between 0 and 2**32 - 1``)."""

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            legacy = np.random.RandomState(seed)  # raises for seed >= 2**32
            seed = int(legacy.randint(0, 2**31 - 1))
        return super().reset(seed=seed, options=options)


class Int31LineWorld(LineWorld):
    """Takes only seeds below 2**31 (a C library's signed 32-bit seed): the harness's seed plan
    uses larger ones, so the spec's probe must refuse it before any training."""

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if seed is not None and not 0 <= seed < 2**31:
            raise ValueError(f"seed {seed} does not fit a signed 32-bit int")
        return super().reset(seed=seed, options=options)


class RespacingLineWorld(LineWorld):
    """Builds a new action space in every ``reset``, as highway-env does: a probe that seeds the
    space before ``reset`` plays unseeded actions."""

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        self.action_space = gym.spaces.Discrete(3) if self.discrete else \
            gym.spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
        return super().reset(seed=seed, options=options)


class DeadlineCrashWorld(LineWorld):
    """Crashes on its 5th step whatever the actions: with ``max_episode_steps: 5`` Gymnasium's
    time limit truncates the same step, so the episode ends terminated and truncated at once
    (highway-env does this when a crash falls on the last step)."""

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        self.t = 0
        return super().reset(seed=seed, options=options)

    def step(self, action):
        obs, _, _, _, info = super().step(action)
        self.t += 1
        crashed = self.t >= 5
        info = {**info, "reached": False, "crashed": crashed}
        return obs, (-1.0 if crashed else -0.01), crashed, False, info
