"""The one interface every stage uses to reach the environment a study runs on.

:func:`harness.envs.environment` wraps what a spec names (a built-in scenario or mix, or a
declared Gymnasium family) in an :class:`Environment`: :class:`~harness.envs.simulator.Simulator`
or :class:`~harness.envs.declared.Declared`. A stage asks it for what it needs (training envs,
episodes, spaces, the dataset layout, coverage, the diagnostics' advice) and never asks which
kind it has: the answers differ, the questions do not. That function is the only place that
tells the two kinds apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import gymnasium as gym

from harness.metrics import DatasetCoverage

COVERAGE_TOLERANCE = 0.10
"""A continuous range (start-goal distance, a descriptor) counts as covered when the dataset's
observed range reaches each end of the declared range to within this fraction of its width: a
finite sample of a uniform range never touches its ends exactly (200 episodes leave about 0.5%
of the width at each end), while a family drawn from another range leaves a whole band."""


@dataclass(frozen=True)
class Advice:
    """What a rejected expert's diagnostics may suggest, in the environment's own terms (never
    the knobs of another environment)."""

    collisions: str
    """What to try when too many episodes end in a collision."""
    timeouts: str
    """What to try when too many episodes end neither in success nor in collision."""


@dataclass(frozen=True)
class DatasetLayout:
    """How the episodes of an environment are written into a dataset (Minari layout plus our
    metadata): spaces with their dtypes, contracts, the per-step info keys, the episode
    attributes, the env spec that recreates the environment and the coverage summary."""

    observation_space: gym.Space
    action_space: gym.Space
    observation_contract: dict
    action_contract: dict
    info_keys: tuple[str, ...]
    env_spec: str
    """``EnvSpec.to_json()`` of the environment (``minari ... recover_environment()``)."""
    metadata: dict
    """Entries of ``metadata.json`` that only this kind of environment has (``env_config``...)."""
    attributes: Callable[[Any], dict]
    """An episode's attributes in the HDF5 group (besides id, seed, steps, outcome, return)."""
    coverage: Callable[[list], dict]
    """The dataset's ``coverage`` metadata from its episodes."""


class Environment(Protocol):
    """What a stage may ask of the environment of a scenario (or mix, or declared family)."""

    name: str

    @property
    def observation_space(self) -> gym.Space: ...

    @property
    def action_space(self) -> gym.Space: ...

    @property
    def advice(self) -> Advice:
        """The diagnostics' advice for a rejected expert, in this environment's terms."""

    @property
    def info_keys(self) -> tuple[str, ...]:
        """The ``info`` keys a dataset records at every step."""

    @property
    def dataset_prefix(self) -> str:
        """The environment part of a dataset id (``harness/<prefix>-...``)."""

    def training_env(self, n_envs: int, seed_block: tuple[int, int]):
        """The VecEnv a training run steps, over the run's own block of episode seeds."""

    def make(self, render_mode: str | None = None) -> gym.Env:
        """A single-episode environment (playback re-simulates recorded episodes in it)."""

    def play(self, policy, seeds: Sequence[int], n_envs: int, deterministic: bool,
             on_step=None, on_reset=None) -> dict:
        """One episode per seed; per-episode arrays by name (``outcome``, ``ret``, ``len``;
        the simulator also ``contact``, ``path`` and ``clear``)."""

    def episode_end(self, info: dict) -> dict:
        """Episode attributes known only at its end (a declared family's end descriptors)."""

    def lidar_layout(self) -> tuple[int, float] | None:
        """(lidar entries at the start of the observation, lidar range in metres), which the
        policy's proximity features read (``ppo.lidar_proximity``); None: no known lidar."""

    def replay_check(self) -> bool | None:
        """Whether ``reset(seed)`` with the same actions replays an episode; None when it does
        by construction (nothing to record)."""

    def contract_problems(self, contract: dict) -> list[str]:
        """How a dataset's observation contract differs from this environment's (empty: none)."""

    def declared_ranges(self, seeds: Sequence[int]) -> dict:
        """The ranges the environment declares, as the shift coverage compares them."""

    def coverage(self, dataset_id: str, meta: dict, seeds: Sequence[int]) -> DatasetCoverage:
        """A dataset's contents from its metadata, and its gaps against this environment."""

    def dataset_layout(self, scenarios: list, episodes: list, mix) -> DatasetLayout:
        """How ``episodes`` recorded on ``scenarios`` (this environment first; ``mix`` when
        recorded over a mix) are written."""
