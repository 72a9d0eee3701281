"""The simulator's mutable state (gymnax's ``EnvState``): every per-episode array of N slots.

Arrays have a leading batch axis of N. The step functions in :mod:`harness.nav.dynamics` return
a new :class:`NavState` and leave the old one as it was (arrays a step does not change, such as
the walls, are shared by both); :meth:`NavState.load` writes one slot in place, which is how a
finished episode is replaced by a new one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.nav.generator import EpisodeLayout, wall_count
from harness.nav.geometry import FAR
from harness.nav.mix import ScenarioMix, as_mix
from harness.nav.scenario import Scenario


@dataclass(slots=True)
class NavState:
    """State of N independent episodes of one scenario or scenario mix.

    For a mix, the world arrays are padded to the maxima over its families (see
    :mod:`harness.nav.mix`) and the family, arena and time limit are held per slot.
    """

    # robot
    pos: np.ndarray
    """(N, 2) position in metres."""
    theta: np.ndarray
    """(N,) heading in [-pi, pi)."""
    v: np.ndarray
    """(N,) linear speed in m/s."""
    w: np.ndarray
    """(N,) angular speed in rad/s."""
    # the episode's world
    goal: np.ndarray
    """(N, 2) goal position."""
    walls: np.ndarray
    """(N, W, 4) wall segments (x0, y0, x1, y1)."""
    obstacles: np.ndarray
    """(N, Mo, 3) circles (x, y, radius); unused slots lie at ``FAR`` with radius 0."""
    passage: np.ndarray
    """(N, 4) the only opening (x0, y0, x1, y1) of a wall dividing the arena (a doorway), inset
    at both ends by the robot radius (plus ``reward.passage_margin``) so that a path through it
    is drivable; layouts without one
    hold :data:`NO_PASSAGE`, far outside the arena. Read by the geodesic progress potential."""
    # pedestrians
    ped_pos: np.ndarray
    """(N, P, 2) positions; unused slots lie at ``FAR``."""
    ped_vel: np.ndarray
    """(N, P, 2) velocities."""
    ped_goal: np.ndarray
    """(N, P, 2) where each pedestrian is walking to."""
    ped_origin: np.ndarray
    """(N, P, 2) where it came from (it turns back there on arrival)."""
    ped_speed: np.ndarray
    """(N, P) preferred speed."""
    ped_mask: np.ndarray
    """(N, P) bool, which pedestrian slots are in use."""
    # episode bookkeeping
    t: np.ndarray
    """(N,) int64 steps taken in the episode."""
    goal_dist: np.ndarray
    """(N,) straight-line distance to the goal after the last step."""
    potential: np.ndarray
    """(N,) the progress reward's potential after the last step: ``goal_dist``, or the geodesic
    distance to the goal (:func:`harness.nav.dynamics.potential`)."""
    path_length: np.ndarray
    """(N,) distance driven."""
    min_clearance: np.ndarray
    """(N,) smallest free distance to anything so far (negative after a collision)."""
    episode_return: np.ndarray
    """(N,) sum of rewards so far."""
    episode_seed: np.ndarray
    """(N,) int64 seed the episode was sampled from."""
    family: np.ndarray
    """(N,) int64 index of the episode's family in the batch's mix (0 for a single scenario)."""
    arena: np.ndarray
    """(N, 2) width and height of the episode's arena (pedestrians are kept inside it)."""
    diagonal: np.ndarray
    """(N,) the arena's diagonal; the goal distance is normalised by it."""
    episode_steps: np.ndarray
    """(N,) int64 time-out of the episode in steps."""
    last_ranges: np.ndarray
    """(N, rays) lidar ranges in metres of the last observation (drawn by the renderer)."""
    past_ranges: np.ndarray
    """(N, history - 1, rays) lidar ranges of the observations before the last, newest first
    (empty with a lidar history of 1)."""

    @classmethod
    def zeros(cls, scenario: Scenario | ScenarioMix, n: int) -> NavState:
        """N empty slots, padded to the maxima over the scenario's (or mix's) families; load an
        episode into each before use."""
        families = as_mix(scenario).families
        s = families[0]
        P = max(f.max_pedestrians for f in families)
        Mo = max(f.max_obstacles for f in families)
        W = max(wall_count(f) for f in families)
        return cls(
            pos=np.zeros((n, 2)), theta=np.zeros(n), v=np.zeros(n), w=np.zeros(n),
            goal=np.zeros((n, 2)), walls=np.zeros((n, W, 4)), obstacles=np.zeros((n, Mo, 3)),
            passage=np.tile(np.asarray(NO_PASSAGE), (n, 1)),
            ped_pos=np.zeros((n, P, 2)), ped_vel=np.zeros((n, P, 2)),
            ped_goal=np.zeros((n, P, 2)), ped_origin=np.zeros((n, P, 2)),
            ped_speed=np.zeros((n, P)), ped_mask=np.zeros((n, P), dtype=bool),
            t=np.zeros(n, dtype=np.int64), goal_dist=np.zeros(n), potential=np.zeros(n),
            path_length=np.zeros(n),
            min_clearance=np.full(n, np.inf), episode_return=np.zeros(n),
            episode_seed=np.zeros(n, dtype=np.int64), family=np.zeros(n, dtype=np.int64),
            arena=np.tile(np.asarray(s.arena, dtype=np.float64), (n, 1)),
            diagonal=np.full(n, s.diagonal),
            episode_steps=np.full(n, s.episode_steps, dtype=np.int64),
            last_ranges=np.zeros((n, s.lidar.rays)),
            past_ranges=np.zeros((n, s.lidar.history - 1, s.lidar.rays)))

    def load(self, idx: int, ep: EpisodeLayout, seed: int, clearance: float,
             family: Scenario, family_index: int = 0) -> None:
        """Start slot ``idx`` on episode ``ep`` of ``family`` (sampled from ``seed``), in place;
        ``clearance`` is the robot's free distance at the start. Entity arrays shorter than the
        slot's (a mix's smaller family) are padded with inert entries. The potential is left for
        the caller (:meth:`harness.nav.core.NavBatch.reset`), which knows the reward's kind."""
        self.pos[idx] = ep.start
        self.theta[idx] = ep.heading
        self.v[idx] = 0.0
        self.w[idx] = 0.0
        self.goal[idx] = ep.goal
        _fill(self.walls[idx], ep.walls, FAR_WALL)
        _fill(self.obstacles[idx], ep.obstacles, (FAR, 0.0, 0.0))
        self.passage[idx] = (NO_PASSAGE if ep.passage is None
                             else inset_passage(ep.passage, family.robot.radius
                                                + family.reward.passage_margin))
        _fill(self.ped_pos[idx], ep.ped_pos, (FAR, 0.0))
        self.ped_vel[idx] = 0.0
        _fill(self.ped_goal[idx], ep.ped_goal, (FAR, 0.0))
        _fill(self.ped_origin[idx], ep.ped_pos, (FAR, 0.0))
        _fill(self.ped_speed[idx], ep.ped_speed, 0.0)
        _fill(self.ped_mask[idx], ep.ped_mask, False)
        self.t[idx] = 0
        self.goal_dist[idx] = float(np.hypot(*(ep.goal - ep.start)))
        self.path_length[idx] = 0.0
        self.min_clearance[idx] = clearance
        self.episode_return[idx] = 0.0
        self.episode_seed[idx] = seed
        self.family[idx] = family_index
        self.arena[idx] = family.arena
        self.diagonal[idx] = family.diagonal
        self.episode_steps[idx] = family.episode_steps


NO_PASSAGE = (FAR, 0.0, FAR, 1.0)
"""Passage of a layout without a dividing wall: a line far outside the arena, so the robot and
its goal are always on the same side of it and the geodesic potential is the straight line."""


def inset_passage(opening: np.ndarray, radius: float) -> np.ndarray:
    """The part of a wall's opening (x0, y0, x1, y1) the robot's centre can pass: ``radius`` in
    from each end (at most to its middle)."""
    a, b = np.asarray(opening[:2], dtype=np.float64), np.asarray(opening[2:], dtype=np.float64)
    length = float(np.hypot(*(b - a)))
    k = min(radius, length / 2) / max(length, 1e-12)
    return np.concatenate([a + k * (b - a), b - k * (b - a)])


FAR_WALL = (FAR, FAR, FAR + 1.0, FAR)
"""Padding of a slot's wall array: a 1 m segment a thousand kilometres away, never the nearest
thing to a ray, the robot or a pedestrian, and pushing with ``exp(-1e6 / range) == 0.0``."""


def _fill(row: np.ndarray, values: np.ndarray, pad: object) -> None:
    """``row[:] = values`` with the tail beyond ``len(values)`` set to ``pad``."""
    k = len(values)
    row[:k] = values
    if k < len(row):
        row[k:] = pad
