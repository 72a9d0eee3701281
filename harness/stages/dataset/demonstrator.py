"""Who records a dataset: the approved expert, or the expert degraded to a declared, measured
quality below the target (issue 24: demonstrations from a weaker controller).

A degraded demonstrator takes, at each step and with probability ``epsilon``, a uniformly
random action of the action space instead of the expert's. Its randomness is keyed by a hash
of the observation (and the demonstrator's name), so it is a deterministic function of what it
sees: each episode depends only on its seed, whatever slot of the batched runner plays it, and
a recorded episode replays from its seed and actions like any other. Its quality is *measured*,
never assumed: :func:`measure_quality` evaluates it on its own episode set of the
``demonstrator_eval`` purpose, and the dataset's metadata records the rates with their
intervals beside the demonstrator's declaration.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from harness.evaluate import Policy, run_episodes
from harness.metrics import EvalSummary
from harness.seeds import SeedRange, evaluation_set


@dataclass(frozen=True)
class Demonstrator:
    """A degraded expert: ``epsilon`` of its actions uniformly random. ``quality_episodes``
    of the fine-tuning scenario measure it."""

    name: str
    epsilon: float
    quality_episodes: int = 500

    def config(self) -> dict:
        return {"name": self.name, "epsilon": self.epsilon,
                "quality_episodes": self.quality_episodes}

    def describe(self) -> str:
        return (f"the approved expert, taking a uniformly random action with probability "
                f"{self.epsilon} at each step")

    def quality_set(self) -> SeedRange:
        """The episodes that measure every demonstrator (one set: their rates are paired)."""
        return evaluation_set("demonstrator_eval", 0, self.quality_episodes)


class DegradedPolicy:
    """``policy`` with an ``epsilon`` share of uniformly random actions, each decision and
    action a function of the observation's bytes and ``name`` alone."""

    def __init__(self, policy: Policy, action_space: gym.Space, epsilon: float, name: str):
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon {epsilon} outside [0, 1]")
        if not isinstance(action_space, (gym.spaces.Box, gym.spaces.Discrete)):
            raise TypeError(f"a degraded demonstrator needs a Box or Discrete action space, "
                            f"not {type(action_space).__name__}")
        self.policy, self.space, self.epsilon = policy, action_space, epsilon
        self.key = hashlib.blake2b(name.encode(), digest_size=16).digest()

    def _rng(self, row: np.ndarray) -> np.random.Generator:
        digest = hashlib.blake2b(np.ascontiguousarray(row).tobytes(), digest_size=16,
                                 key=self.key).digest()
        return np.random.default_rng(int.from_bytes(digest, "little"))

    def predict(self, observation: np.ndarray, state=None, episode_start=None,
                deterministic: bool = True) -> tuple[np.ndarray, object]:
        actions, state = self.policy.predict(observation, state, episode_start, deterministic)
        if self.epsilon == 0.0:
            return actions, state
        actions = np.array(actions, copy=True)
        for i, row in enumerate(np.asarray(observation)):
            rng = self._rng(row)
            if rng.random() >= self.epsilon:
                continue
            if isinstance(self.space, gym.spaces.Discrete):
                actions[i] = self.space.start + rng.integers(self.space.n)
            else:
                actions[i] = rng.uniform(self.space.low, self.space.high).astype(actions.dtype)
        return actions, state


def measure_quality(policy: Policy, scenario, demonstrator: Demonstrator, deterministic: bool,
                    n_envs: int = 64) -> EvalSummary:
    """The demonstrator's success and collision rates, with Wilson intervals, on its quality
    set of ``scenario`` (the fine-tuning scenario: where the target is defined)."""
    return run_episodes(policy, scenario, demonstrator.quality_set().seeds(), n_envs=n_envs,
                        deterministic=deterministic).summary()
