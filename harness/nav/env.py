"""The Gymnasium face of the simulator: one robot, one episode at a time (a batch of one).

It plays a scenario or a scenario mix (:mod:`harness.nav.mix`); for a mix, each episode's family
follows from its seed and is named in ``info["scenario"]``.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from harness.nav.core import NavBatch
from harness.nav.mix import ScenarioMix
from harness.nav.observation import observation_bounds
from harness.nav.outcomes import CONTACT_NONE, OUTCOME_NONE
from harness.nav.render import render_frame
from harness.nav.scenario import Scenario
from harness.nav.seeding import EpisodeSeeds


def resolve_scenario(scenario: Scenario | ScenarioMix | str) -> Scenario | ScenarioMix:
    """A scenario or mix object as it is; a string names a scenario in ``specs/scenarios``."""
    if isinstance(scenario, (Scenario, ScenarioMix)):
        return scenario
    from harness.spec.scenarios import load_scenario  # scenarios are data in specs/

    return load_scenario(scenario)


def resolve_mix(mix: ScenarioMix | str) -> ScenarioMix:
    """A mix object as it is; a string names a mix in ``specs/mixes``."""
    if isinstance(mix, ScenarioMix):
        return mix
    from harness.spec.mixes import load_mix  # mixes are data in specs/

    return load_mix(mix)


def observation_space(scenario: Scenario | ScenarioMix) -> gym.spaces.Box:
    """The observation vector's bounds (layout in :mod:`harness.nav.observation`)."""
    low, high = observation_bounds(scenario.lidar.rays, scenario.lidar.history,
                                   scenario.observation.waypoint)
    return gym.spaces.Box(low=low, high=high, dtype=np.float32)


def action_space() -> gym.spaces.Box:
    """Normalised (v, omega) commands; scaled by the robot's max speeds."""
    return gym.spaces.Box(low=-1.0, high=1.0, shape=(2,), dtype=np.float32)


class NavEnv(gym.Env):
    """Robot navigation among obstacles and pedestrians, one episode at a time.

    ``scenario`` is a :class:`Scenario`, a :class:`ScenarioMix` or a scenario's name; ``mix``
    names a mix instead (how the registered ``harness/NavMix-<name>-v0`` ids make theirs).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(self, scenario: Scenario | ScenarioMix | str = "open",
                 render_mode: str | None = None, mix: ScenarioMix | str | None = None):
        self.scenario = resolve_scenario(scenario) if mix is None else resolve_mix(mix)
        self.observation_space = observation_space(self.scenario)
        self.action_space = action_space()
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, "
                             f"got {render_mode!r}")
        self.render_mode = render_mode
        self.sim = NavBatch(self.scenario, 1)
        self._seeds: EpisodeSeeds | None = None
        self._path: list[np.ndarray] = []

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None or self._seeds is None:
            self._seeds = EpisodeSeeds(seed)
        obs = self.sim.reset(0, self._seeds.next())
        self._path = [self.sim.pos[0].copy()]
        return obs, self.sim.info(0, OUTCOME_NONE, CONTACT_NONE)

    def step(self, action: Any):
        res = self.sim.step(np.asarray(action).reshape(1, 2))
        self._path.append(self.sim.pos[0].copy())
        info = self.sim.info(0, int(res.outcome[0]), int(res.contact[0]))
        return (res.obs[0], float(res.reward[0]), bool(res.terminated[0]),
                bool(res.truncated[0]), info)

    def render(self):
        if self.render_mode == "rgb_array":
            return render_frame(self.sim, 0, np.array(self._path))
        return None
