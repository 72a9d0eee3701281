"""The environment a study declares (DESIGN.md section 2, stage ``envs``).

A study runs on the built-in simulator (:mod:`harness.nav`: its scenarios and mixes, with the
native batched VecEnv and evaluation) or on any Gymnasium environment its spec declares
(:class:`GymFamily`: an id or entry point, kwargs, wrappers, an outcome rule, descriptors).
Stages ask :func:`environment` (the protocol: :mod:`harness.envs.environment`) for what
differs between the two, and never which one they have; the functions below are its shortest
uses. Nothing here knows what a stage does with the answers.
"""

from __future__ import annotations

import gymnasium as gym

from harness.envs.declared import Declared
from harness.envs.environment import Advice, DatasetLayout, Environment
from harness.envs.gym_family import Descriptor, GymFamily, load_object
from harness.envs.outcome import Condition, DeclaredOutcome, OutcomeRule
from harness.envs.simulator import NAV_ADVICE, Simulator


def environment(scenario) -> Environment:
    """The :class:`Environment` of a built-in scenario or mix, or of a declared family: the one
    place that tells the two kinds apart."""
    return Declared(scenario) if isinstance(scenario, GymFamily) else Simulator(scenario)


def from_config(config: dict):
    """A recorded family back from its config (a dataset's ``env_config`` entry, an artefact's
    ``config.scenario``): a declared family (``kind: gymnasium``) or a built-in scenario."""
    if config.get("kind") == "gymnasium":
        return GymFamily.from_dict(config)
    from harness.nav.scenario import scenario_from_dict

    return scenario_from_dict(config)


def declared_family(config) -> GymFamily | None:
    """The declared family a recorded config describes; None for anything else (a built-in
    scenario or mix, no config)."""
    if isinstance(config, dict) and config.get("kind") == "gymnasium":
        return GymFamily.from_dict(config)
    return None


def training_env(scenario, n_envs: int, seed_block: tuple[int, int]):
    """The VecEnv a training run steps: the native batched one for the built-in simulator,
    otherwise the declared environment vectorised over the run's block of episode seeds."""
    return environment(scenario).training_env(n_envs, seed_block)


def play(policy, scenario, seeds: list[int], n_envs: int, deterministic: bool,
         on_step=None, on_reset=None) -> dict:
    """One episode per seed in the environment's own runner: the simulator's batched one
    (:mod:`harness.envs.native`) or the generic one (:mod:`harness.envs.runner`). Per-episode
    arrays by name; only the simulator's include ``contact``, ``path`` and ``clear``."""
    return environment(scenario).play(policy, seeds, n_envs, deterministic, on_step, on_reset)


def observation_space(scenario) -> gym.Space:
    return environment(scenario).observation_space


def action_space(scenario) -> gym.Space:
    return environment(scenario).action_space


def advice(scenario) -> Advice:
    """The diagnostics' advice for the environment of ``scenario`` (a built-in scenario or mix,
    or a declared family): the simulator's scenario fields, or the declared environment's own
    outcome rule, episode limit, wrappers and reward scale."""
    return environment(scenario).advice


__all__ = ["NAV_ADVICE", "Advice", "Condition", "DatasetLayout", "DeclaredOutcome", "Descriptor",
           "Environment", "GymFamily", "OutcomeRule", "action_space", "advice", "declared_family",
           "environment", "from_config", "load_object", "observation_space", "play", "training_env"]
