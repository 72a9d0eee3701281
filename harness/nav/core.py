"""The batched simulator: N robots of one scenario, or of a scenario mix, stepped in one call.

:class:`NavBatch` holds one :class:`~harness.nav.state.NavState` (gymnax's ``EnvState``) of a
frozen :class:`~harness.nav.scenario.Scenario` (gymnax's ``EnvParams``) and advances it with
:func:`~harness.nav.dynamics.step_env`; it never resets by itself. The Gymnasium face
(:mod:`harness.nav.env`) is a batch of one, the SB3 face (:mod:`harness.nav.vec_env`) adds SB3's
auto-reset on top, and evaluation and recording drive it directly with chosen episode seeds.
Given a :class:`~harness.nav.mix.ScenarioMix`, each reset draws the slot's family from the
episode seed; every slot still steps in the same single call (design in :mod:`harness.nav.mix`).

Per step, all agents move simultaneously from the state at the start of the step: pedestrians
(social force: drive to their goal, repulsion from each other, the robot, obstacles and walls;
they walk back and forth between their start and goal) and the robot (unicycle with acceleration
limits). Then collisions, goal arrival, reward and the observation are computed.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from harness.nav import dynamics
from harness.nav.dynamics import StepResult
from harness.nav.generator import sample_episode
from harness.nav.geometry import FAR
from harness.nav.mix import ScenarioMix, as_mix
from harness.nav.outcomes import (  # noqa: F401  (re-exported: callers import them from here)
    CONTACT_NONE,
    CONTACT_OBSTACLE,
    CONTACT_PEDESTRIAN,
    CONTACT_WALL,
    CONTACTS,
    OUTCOME_COLLISION,
    OUTCOME_NONE,
    OUTCOME_SUCCESS,
    OUTCOME_TIMEOUT,
    OUTCOMES,
    outcome_flags,
)
from harness.nav.scenario import Scenario
from harness.nav.state import NavState

__all__ = ["NavBatch", "StepResult"]


class NavBatch:
    """N independent episodes of one scenario or scenario mix.

    ``scenario`` is what was given (a :class:`Scenario` or a :class:`ScenarioMix`); ``mix`` is
    it as a mix (a single scenario is the one-family mix of itself). Every :class:`NavState`
    field reads as an attribute (``sim.pos`` is ``sim.state.pos``); the arrays may be written in
    place (tests build hand-made worlds that way).
    """

    def __init__(self, scenario: Scenario | ScenarioMix, n: int):
        self.scenario = scenario
        self.mix = as_mix(scenario)
        self.params = self.mix.template  # the step parameters, shared by every family
        self.n = n
        self.state = NavState.zeros(scenario, n)
        self.ray_offsets = self.params.ray_offsets

    def reset(self, idx: int, seed: int) -> np.ndarray:
        """Start a new episode in slot ``idx`` from ``seed`` (which also picks a mix's family);
        returns its first observation."""
        k = self.mix.family_index(seed)
        family = self.mix.families[k]
        episode = sample_episode(family, seed)
        self.state.load(idx, episode, seed, dynamics.layout_clearance(episode, family), family, k)
        rows = np.array([idx])
        self.state.potential[idx] = dynamics.potential(self.state, self.state.goal_dist[rows],
                                                       self.params, rows)[0]
        if self.state.past_ranges.shape[1]:  # the episode's past scans repeat its first one
            _, ranges = dynamics.get_obs(self.state, self.params, rows)
            self.state.past_ranges[idx] = ranges[0]
        return self.observe(rows)[0]

    def family_of(self, i: int) -> Scenario:
        """The scenario family slot ``i``'s episode is playing."""
        return self.mix.families[int(self.state.family[i])]

    def step(self, actions: np.ndarray) -> StepResult:
        """Advance every slot by one step. Slots whose episode ended must be reset by the caller."""
        self.state, result = dynamics.step_env(self.state, actions, self.params)
        return result

    def observe(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Observations of ``rows`` (all slots by default) in the current state."""
        obs, ranges = dynamics.get_obs(self.state, self.params, rows)
        self.state.last_ranges[rows] = ranges
        return obs

    def clearance(self, rows: np.ndarray | slice = slice(None)) -> tuple[np.ndarray, np.ndarray]:
        """Free distance of the robot to the nearest thing and its ``CONTACT_*`` kind."""
        return dynamics.clearance(self.state, self.params, rows)

    def layout_info(self, i: int) -> dict:
        """What defines slot ``i``'s episode: seed, start-goal distance, entity counts."""
        st = self.state
        return {"episode_seed": int(st.episode_seed[i]), "scenario": self.family_of(i).name,
                **self._mix_info(),
                "start_goal_distance": float(st.goal_dist[i]) if st.t[i] == 0 else None,
                "clearance": float(st.min_clearance[i]),
                "pedestrians": int(st.ped_mask[i].sum()),
                "obstacles": int((st.obstacles[i, :, 0] < FAR / 2).sum())}

    def info(self, i: int, outcome: int, contact: int = CONTACT_NONE) -> dict:
        """The Gymnasium ``info`` of slot ``i`` after a step that produced ``outcome``."""
        st = self.state
        return {
            **outcome_flags(outcome),
            "collision_with": CONTACTS[contact],
            "path_length": float(st.path_length[i]),
            "min_clearance": float(st.min_clearance[i]),
            "goal_distance": float(st.goal_dist[i]),
            "steps": int(st.t[i]),
            "episode_seed": int(st.episode_seed[i]),
            "scenario": self.family_of(i).name,
            **self._mix_info(),
        }

    def _mix_info(self) -> dict:
        """``{"mix": name}`` when playing a mix (a single scenario's info is as it always was)."""
        return {"mix": self.mix.name} if isinstance(self.scenario, ScenarioMix) else {}


def _state_field(name: str) -> property:
    return property(lambda self: getattr(self.state, name),
                    doc=f"``state.{name}`` (see :class:`~harness.nav.state.NavState`).")


for _field in fields(NavState):
    setattr(NavBatch, _field.name, _state_field(_field.name))
