"""The batched simulator: N robots of one scenario stepped in one numpy call.

:class:`NavBatch` owns the mutable state; it never resets by itself. The Gymnasium face
(:mod:`harness.nav.env`) is a batch of one, the SB3 face (:mod:`harness.nav.vec_env`) adds SB3's
auto-reset on top, and evaluation and recording drive it directly with chosen episode seeds.

Per step, all agents move simultaneously from the state at the start of the step: pedestrians
(social force: drive to their goal, repulsion from each other, the robot, obstacles and walls;
they walk back and forth between their start and goal) and the robot (unicycle with acceleration
limits). Then collisions, goal arrival, reward and the observation are computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.nav.generator import EpisodeLayout, sample_episode, wall_count
from harness.nav.geometry import FAR, cast_rays, wrap_angle
from harness.nav.kernels import integrate_pedestrians, robot_clearance, social_force
from harness.nav.scenario import Scenario

# Social-force constants (Helbing & Molnar 1995, simplified): relaxation time, interaction
# strength and range, and the speed cap relative to the preferred speed.
PED_TAU = 0.5
PED_A, PED_B = 2.0, 0.3
PED_ROBOT_A, PED_ROBOT_B = 4.0, 0.4
PED_WALL_A, PED_WALL_B = 3.0, 0.2
PED_MAX_SPEED_FACTOR = 1.3
PED_GOAL_TOLERANCE = 0.3

OUTCOME_NONE, OUTCOME_SUCCESS, OUTCOME_COLLISION, OUTCOME_TIMEOUT = 0, 1, 2, 3
OUTCOMES = ("running", "success", "collision", "timeout")
CONTACT_NONE, CONTACT_WALL, CONTACT_OBSTACLE, CONTACT_PEDESTRIAN = 0, 1, 2, 3
CONTACTS = ("none", "wall", "obstacle", "pedestrian")


@dataclass
class StepResult:
    """What one batched step returns; arrays have a leading batch axis of N."""

    obs: np.ndarray  # (N, obs_dim) float32
    reward: np.ndarray  # (N,) float64
    terminated: np.ndarray  # (N,) bool
    truncated: np.ndarray  # (N,) bool
    outcome: np.ndarray  # (N,) int, OUTCOME_*
    contact: np.ndarray  # (N,) int, CONTACT_* (what the robot hit, if anything)


class NavBatch:
    """State and dynamics of N independent episodes of one scenario."""

    def __init__(self, scenario: Scenario, n: int):
        self.scenario = scenario
        self.n = n
        s = scenario
        P, Mo, W = s.max_pedestrians, s.max_obstacles, wall_count(s)
        self.pos = np.zeros((n, 2))
        self.theta = np.zeros(n)
        self.v = np.zeros(n)
        self.w = np.zeros(n)
        self.goal = np.zeros((n, 2))
        self.walls = np.zeros((n, W, 4))
        self.obstacles = np.zeros((n, Mo, 3))
        self.ped_pos = np.zeros((n, P, 2))
        self.ped_vel = np.zeros((n, P, 2))
        self.ped_goal = np.zeros((n, P, 2))
        self.ped_origin = np.zeros((n, P, 2))
        self.ped_speed = np.zeros((n, P))
        self.ped_mask = np.zeros((n, P), dtype=bool)
        self.t = np.zeros(n, dtype=np.int64)
        self.path_length = np.zeros(n)
        self.min_clearance = np.full(n, np.inf)
        self.goal_dist = np.zeros(n)
        self.episode_seed = np.zeros(n, dtype=np.int64)
        self.episode_return = np.zeros(n)
        self.ray_offsets = np.linspace(0.0, 2.0 * np.pi, s.lidar.rays, endpoint=False)
        self.diag = float(np.hypot(*s.arena))
        self.last_ranges = np.zeros((n, s.lidar.rays))

    # ----------------------------------------------------------------------------- reset
    def reset(self, idx: int, seed: int) -> np.ndarray:
        """Start a new episode in slot ``idx`` from ``seed``; returns its first observation."""
        self.load(idx, sample_episode(self.scenario, seed))
        self.episode_seed[idx] = seed
        return self.observe(np.array([idx]))[0]

    def load(self, idx: int, ep: EpisodeLayout) -> None:
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
        self.path_length[idx] = 0.0
        self.goal_dist[idx] = float(np.hypot(*(ep.goal - ep.start)))
        self.episode_return[idx] = 0.0
        self.min_clearance[idx] = self.clearance(np.array([idx]))[0][0]

    # ----------------------------------------------------------------------------- sensing
    def circles(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Obstacles and pedestrians as circles (n, Mo + P, 3)."""
        peds = np.concatenate(
            [self.ped_pos[rows], np.full(self.ped_pos[rows].shape[:2] + (1,),
                                         self.scenario.pedestrian_radius)], axis=2)
        return np.concatenate([self.obstacles[rows], peds], axis=1)

    def observe(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        s = self.scenario
        angles = self.theta[rows, None] + self.ray_offsets[None, :]
        ranges = cast_rays(self.pos[rows], angles, self.circles(rows), self.walls[rows],
                           s.lidar.range)
        self.last_ranges[rows] = ranges
        rel = self.goal[rows] - self.pos[rows]
        dist = np.hypot(rel[:, 0], rel[:, 1])
        bearing = np.arctan2(rel[:, 1], rel[:, 0]) - self.theta[rows]
        out = np.empty((ranges.shape[0], s.obs_dim), dtype=np.float32)
        out[:, : s.lidar.rays] = ranges / s.lidar.range
        out[:, -5] = np.minimum(dist / self.diag, 1.0)
        out[:, -4] = np.sin(bearing)
        out[:, -3] = np.cos(bearing)
        out[:, -2] = self.v[rows] / s.robot.max_speed
        out[:, -1] = self.w[rows] / s.robot.max_angular
        return out

    def clearance(self, rows: np.ndarray | slice = slice(None)) -> tuple[np.ndarray, np.ndarray]:
        """Free distance between the robot's body and the nearest thing, and what that thing is
        (CONTACT_WALL, CONTACT_OBSTACLE or CONTACT_PEDESTRIAN); negative means a collision."""
        return robot_clearance(self.pos[rows], float(self.scenario.robot.radius),
                               self.walls[rows], self.obstacles[rows], self.ped_pos[rows],
                               float(self.scenario.pedestrian_radius))

    # ----------------------------------------------------------------------------- dynamics
    def _step_pedestrians(self, robot_pos: np.ndarray) -> None:
        if not self.ped_pos.shape[1]:
            return
        s = self.scenario
        dt, pr = s.dt, s.pedestrian_radius
        pos, vel, mask = self.ped_pos, self.ped_vel, self.ped_mask
        force = social_force(pos, vel, self.ped_goal, self.ped_speed, mask, robot_pos,
                             s.robot.radius, self.obstacles, self.walls, pr, PED_TAU, PED_A,
                             PED_B, PED_ROBOT_A, PED_ROBOT_B, PED_WALL_A, PED_WALL_B)
        w, h = s.arena
        integrate_pedestrians(self.ped_pos, self.ped_vel, force, self.ped_goal, self.ped_origin,
                              self.ped_speed, mask, dt, PED_MAX_SPEED_FACTOR, pr, w, h,
                              PED_GOAL_TOLERANCE)

    def step(self, actions: np.ndarray) -> StepResult:
        """Advance every slot by one step. Slots whose episode ended must be reset by the caller."""
        s = self.scenario
        r = s.robot
        a = np.clip(np.asarray(actions, dtype=np.float64).reshape(self.n, 2), -1.0, 1.0)
        robot_before = self.pos.copy()
        self._step_pedestrians(robot_before)
        dv = np.clip(a[:, 0] * r.max_speed - self.v, -r.max_accel * s.dt, r.max_accel * s.dt)
        dw = np.clip(a[:, 1] * r.max_angular - self.w, -r.max_angular_accel * s.dt,
                     r.max_angular_accel * s.dt)
        self.v = self.v + dv
        self.w = self.w + dw
        self.theta = wrap_angle(self.theta + self.w * s.dt)
        step = np.stack([np.cos(self.theta), np.sin(self.theta)], axis=1) * (self.v * s.dt)[:, None]
        self.pos = self.pos + step
        self.path_length += np.abs(self.v) * s.dt
        self.t += 1

        gap, kind = self.clearance()
        self.min_clearance = np.minimum(self.min_clearance, gap)
        collided = gap < 0.0
        rel = self.goal - self.pos
        dist = np.hypot(rel[:, 0], rel[:, 1])
        success = (dist <= s.goal_radius) & ~collided
        terminated = collided | success
        truncated = ~terminated & (self.t >= s.episode_steps)
        w = s.reward
        reward = w.progress * (self.goal_dist - dist) + w.time
        if w.proximity:
            reward = reward - w.proximity * np.clip((w.margin - gap) / w.margin, 0.0, 1.0)
        reward = reward + np.where(success, w.success, 0.0) + np.where(collided, w.collision, 0.0)
        self.goal_dist = dist
        self.episode_return += reward
        outcome = np.full(self.n, OUTCOME_NONE)
        outcome[success] = OUTCOME_SUCCESS
        outcome[collided] = OUTCOME_COLLISION
        outcome[truncated] = OUTCOME_TIMEOUT
        contact = np.where(collided, kind, CONTACT_NONE)
        return StepResult(obs=self.observe(), reward=reward, terminated=terminated,
                          truncated=truncated, outcome=outcome, contact=contact)

    def layout_info(self, i: int) -> dict:
        """What defines slot ``i``'s episode: seed, start-goal distance, entity counts."""
        return {"episode_seed": int(self.episode_seed[i]), "scenario": self.scenario.name,
                "start_goal_distance": float(self.goal_dist[i]) if self.t[i] == 0 else None,
                "clearance": float(self.min_clearance[i]),
                "pedestrians": int(self.ped_mask[i].sum()),
                "obstacles": int((self.obstacles[i, :, 0] < FAR / 2).sum())}

    def info(self, i: int, outcome: int, contact: int = CONTACT_NONE) -> dict:
        """The Gymnasium ``info`` of slot ``i`` after a step that produced ``outcome``."""
        return {
            "is_success": outcome == OUTCOME_SUCCESS,
            "is_collision": outcome == OUTCOME_COLLISION,
            "is_timeout": outcome == OUTCOME_TIMEOUT,
            "collision_with": CONTACTS[contact],
            "path_length": float(self.path_length[i]),
            "min_clearance": float(self.min_clearance[i]),
            "goal_distance": float(self.goal_dist[i]),
            "steps": int(self.t[i]),
            "episode_seed": int(self.episode_seed[i]),
            "scenario": self.scenario.name,
        }
