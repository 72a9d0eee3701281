"""The environment a study declares (DESIGN.md section 2, stage ``envs``).

A study runs on the built-in simulator (:mod:`harness.nav`: its scenarios and mixes, with the
native batched VecEnv and evaluation) or on any Gymnasium environment its spec declares
(:class:`GymFamily`: an id or entry point, kwargs, wrappers, an outcome rule, descriptors).
Stages ask this module for what differs between the two: the training VecEnv, the spaces and
the episode runner (:func:`play`). Nothing here knows what a stage does with them.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym

from harness.envs.gym_family import Descriptor, GymFamily, is_declared, load_object
from harness.envs.outcome import Condition, DeclaredOutcome, OutcomeRule


def training_env(scenario, n_envs: int, seed_block: tuple[int, int]):
    """The VecEnv a training run steps: the native batched one for the built-in simulator,
    otherwise the declared environment vectorised over the run's block of episode seeds."""
    if is_declared(scenario):
        from harness.envs.vec import BlockSeededVecEnv

        return BlockSeededVecEnv(scenario, n_envs, seed_block)
    from harness.nav.vec_env import NavVecEnv

    return NavVecEnv(scenario, n_envs, seed_block=seed_block)


def play(policy, scenario, seeds: list[int], n_envs: int, deterministic: bool,
         on_step=None, on_reset=None) -> dict:
    """One episode per seed in the environment's own runner: the simulator's batched one
    (:mod:`harness.envs.native`) or the generic one (:mod:`harness.envs.runner`). Per-episode
    arrays by name; only the simulator's include ``contact``, ``path`` and ``clear``."""
    if is_declared(scenario):
        from harness.envs.runner import run_family_episodes

        return run_family_episodes(policy, scenario, seeds, n_envs, deterministic, on_step,
                                   on_reset)
    from harness.envs.native import run_native_episodes

    return run_native_episodes(policy, scenario, seeds, n_envs, deterministic, on_step,
                               on_reset)


def observation_space(scenario) -> gym.Space:
    if is_declared(scenario):
        return scenario.observation_space
    from harness.nav.env import observation_space as nav_space

    return nav_space(scenario)


def action_space(scenario) -> gym.Space:
    if is_declared(scenario):
        return scenario.action_space
    from harness.nav.env import action_space as nav_space

    return nav_space()


@dataclass(frozen=True)
class Advice:
    """What a rejected expert's diagnostics may suggest, in the environment's own terms (never
    the knobs of another environment)."""

    collisions: str
    """What to try when too many episodes end in a collision."""
    timeouts: str
    """What to try when too many episodes end neither in success nor in collision."""


NAV_ADVICE = Advice(
    collisions="make reward.collision more negative in the scenario, or lower robot.max_speed",
    timeouts="raise episode_steps or reward.progress in the scenario")


def advice(scenario) -> Advice:
    """The diagnostics' advice for the environment of ``scenario`` (a built-in scenario or mix,
    or a declared family): the simulator's scenario fields, or the declared environment's own
    outcome rule, episode limit, wrappers and reward scale."""
    if not is_declared(scenario):
        return NAV_ADVICE
    rule = scenario.outcome.describe()
    limit = (f"environment.max_episode_steps = {scenario.max_episode_steps:,}"
             if scenario.max_episode_steps else "the registered episode limit")
    return Advice(
        collisions=(f"the outcome rule counts '{rule['collision']}' as a collision: check that "
                    f"it names the environment's failures; make them cost more than the "
                    f"return of ending early (a reward-scaling wrapper in "
                    f"environment.wrappers), or give PPO more expert.budget"),
        timeouts=(f"no episode ending met '{rule['success']}' before {limit}: check the "
                  f"outcome rule's success clause against what the environment reports at the "
                  f"goal, raise the episode limit if the task needs longer, shape or scale the "
                  f"reward with a wrapper, or give PPO more expert.budget"))


__all__ = ["Advice", "Condition", "DeclaredOutcome", "Descriptor", "GymFamily", "OutcomeRule",
           "action_space", "advice", "is_declared", "load_object", "observation_space", "play",
           "training_env"]
