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
from harness.nav.scenario import Scenario


@dataclass(slots=True)
class NavState:
    """State of N independent episodes of one scenario."""

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
    """(N,) distance to the goal after the last step (the progress reward's potential)."""
    path_length: np.ndarray
    """(N,) distance driven."""
    min_clearance: np.ndarray
    """(N,) smallest free distance to anything so far (negative after a collision)."""
    episode_return: np.ndarray
    """(N,) sum of rewards so far."""
    episode_seed: np.ndarray
    """(N,) int64 seed the episode was sampled from."""
    last_ranges: np.ndarray
    """(N, rays) lidar ranges in metres of the last observation (drawn by the renderer)."""

    @classmethod
    def zeros(cls, scenario: Scenario, n: int) -> NavState:
        """N empty slots, padded to the scenario's maxima; load an episode into each before use."""
        s = scenario
        P, Mo, W = s.max_pedestrians, s.max_obstacles, wall_count(s)
        return cls(
            pos=np.zeros((n, 2)), theta=np.zeros(n), v=np.zeros(n), w=np.zeros(n),
            goal=np.zeros((n, 2)), walls=np.zeros((n, W, 4)), obstacles=np.zeros((n, Mo, 3)),
            ped_pos=np.zeros((n, P, 2)), ped_vel=np.zeros((n, P, 2)),
            ped_goal=np.zeros((n, P, 2)), ped_origin=np.zeros((n, P, 2)),
            ped_speed=np.zeros((n, P)), ped_mask=np.zeros((n, P), dtype=bool),
            t=np.zeros(n, dtype=np.int64), goal_dist=np.zeros(n), path_length=np.zeros(n),
            min_clearance=np.full(n, np.inf), episode_return=np.zeros(n),
            episode_seed=np.zeros(n, dtype=np.int64), last_ranges=np.zeros((n, s.lidar.rays)))

    def load(self, idx: int, ep: EpisodeLayout, seed: int, clearance: float) -> None:
        """Start slot ``idx`` on episode ``ep`` (sampled from ``seed``), in place;
        ``clearance`` is the robot's free distance at the start."""
        self.pos[idx] = ep.start
        self.theta[idx] = ep.heading
        self.v[idx] = 0.0
        self.w[idx] = 0.0
        self.goal[idx] = ep.goal
        self.walls[idx] = ep.walls
        self.obstacles[idx] = ep.obstacles
        self.ped_pos[idx] = ep.ped_pos
        self.ped_vel[idx] = 0.0
        self.ped_goal[idx] = ep.ped_goal
        self.ped_origin[idx] = ep.ped_pos
        self.ped_speed[idx] = ep.ped_speed
        self.ped_mask[idx] = ep.ped_mask
        self.t[idx] = 0
        self.goal_dist[idx] = float(np.hypot(*(ep.goal - ep.start)))
        self.path_length[idx] = 0.0
        self.min_clearance[idx] = clearance
        self.episode_return[idx] = 0.0
        self.episode_seed[idx] = seed
