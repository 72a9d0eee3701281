"""One step of N episodes as a sequence of small pure functions (gymnax's ``step_env``).

``step_env(state, actions, scenario)`` calls, in turn: :func:`step_pedestrians` and
:func:`step_robot` (all agents move simultaneously from the state at the start of the step),
:func:`clearance` (what the robot touches), :func:`is_terminal` (success, collision, time-out),
:func:`reward`, :func:`outcome_codes` and :func:`get_obs`. Each takes arrays or the frozen
:class:`Scenario` and returns new arrays; none changes its inputs. The compiled kernels take
arrays only (numba cannot take a dataclass), so the arrays are unpacked at the call.

The scenario passed here holds the batch-wide step parameters (for a mix, any of its families:
they agree on :data:`harness.nav.mix.STEP_FIELDS`); what differs between a mix's episodes (arena,
diagonal, time limit) is read per slot from the state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.nav.generator import EpisodeLayout
from harness.nav.geometry import cast_rays, wrap_angle
from harness.nav.kernels import (
    geodesic_distance,
    geodesic_path,
    robot_clearance,
    social_force,
    walk_pedestrians,
)
from harness.nav.observation import (
    ANGULAR_SPEED,
    GOAL_COS,
    GOAL_DISTANCE,
    GOAL_SIN,
    SPEED,
    WAYPOINT_COS,
    WAYPOINT_DISTANCE,
    WAYPOINT_SIN,
)
from harness.nav.outcomes import (
    CONTACT_NONE,
    OUTCOME_COLLISION,
    OUTCOME_NONE,
    OUTCOME_SUCCESS,
    OUTCOME_TIMEOUT,
)
from harness.nav.scenario import Scenario
from harness.nav.state import NavState

Rows = np.ndarray | slice


@dataclass
class StepResult:
    """What one batched step returns; arrays have a leading batch axis of N."""

    obs: np.ndarray  # (N, obs_dim) float32
    reward: np.ndarray  # (N,) float64
    terminated: np.ndarray  # (N,) bool
    truncated: np.ndarray  # (N,) bool
    outcome: np.ndarray  # (N,) int, OUTCOME_*
    contact: np.ndarray  # (N,) int, CONTACT_* (what the robot hit, if anything)


# ----------------------------------------------------------------------------------- motion
def step_pedestrians(state: NavState, s: Scenario) -> tuple[np.ndarray, ...]:
    """Social-force step of every pedestrian, reacting to the robot where it stands now.
    Returns new (ped_pos, ped_vel, ped_goal, ped_origin)."""
    if not state.ped_pos.shape[1]:
        return state.ped_pos, state.ped_vel, state.ped_goal, state.ped_origin
    model = s.pedestrian_model
    force = social_force(state.ped_pos, state.ped_vel, state.ped_goal, state.ped_speed,
                         state.ped_mask, state.pos, state.obstacles, state.walls, model)
    pos, vel = state.ped_pos.copy(), state.ped_vel.copy()
    goal, origin = state.ped_goal.copy(), state.ped_origin.copy()
    walk_pedestrians(pos, vel, force, goal, origin, state.ped_speed, state.ped_mask, state.arena,
                     model)
    return pos, vel, goal, origin


def step_robot(state: NavState, actions: np.ndarray,
               s: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unicycle with acceleration limits: normalised (v, omega) commands in [-1, 1] (clipped).
    Returns new (pos, theta, v, w)."""
    r = s.robot
    a = _clip(np.asarray(actions, dtype=np.float64).reshape(len(state.v), 2), -1.0, 1.0)
    dv = _clip(a[:, 0] * r.max_speed - state.v, -r.max_accel * s.dt, r.max_accel * s.dt)
    dw = _clip(a[:, 1] * r.max_angular - state.w, -r.max_angular_accel * s.dt,
               r.max_angular_accel * s.dt)
    v = state.v + dv
    w = state.w + dw
    theta = wrap_angle(state.theta + w * s.dt)
    heading = np.empty((len(theta), 2))
    heading[:, 0] = np.cos(theta)
    heading[:, 1] = np.sin(theta)
    return state.pos + heading * (v * s.dt)[:, None], theta, v, w


def _clip(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``np.clip`` without its ~3 us of argument handling per call (a third of a step at N = 1).
    Same values: the clip ufunc is max-then-min too, and the two differ only in the sign of a
    zero equal to a zero bound, which no bound here is (all are non-zero, or 0.0 against a
    quotient that cannot be -0.0)."""
    return np.minimum(np.maximum(x, lo), hi)


# --------------------------------------------------------------------------------- contacts
def clearance(state: NavState, s: Scenario,
              rows: Rows = slice(None)) -> tuple[np.ndarray, np.ndarray]:
    """Free distance between the robot's body and the nearest thing, and what that thing is
    (a ``CONTACT_*`` code); negative means a collision."""
    return robot_clearance(state.pos[rows], float(s.robot.radius), state.walls[rows],
                           state.obstacles[rows], state.ped_pos[rows], float(s.pedestrian_radius))


def layout_clearance(ep: EpisodeLayout, s: Scenario) -> float:
    """The robot's free distance at the start of a sampled episode."""
    gap, _ = robot_clearance(ep.start[None], float(s.robot.radius), ep.walls[None],
                             ep.obstacles[None], ep.ped_pos[None], float(s.pedestrian_radius))
    return float(gap[0])


def goal_distance(state: NavState) -> np.ndarray:
    rel = state.goal - state.pos
    return np.hypot(rel[:, 0], rel[:, 1])


def potential(state: NavState, dist: np.ndarray, s: Scenario,
              rows: Rows = slice(None)) -> np.ndarray:
    """The progress reward's potential of ``rows`` (``dist`` is their straight-line goal
    distance): that distance itself, or (``reward.potential == "geodesic"``) the length of the
    shortest path to the goal around the layout's dividing wall, through its opening inset by
    the robot radius (``state.passage``). Circular obstacles and pedestrians are ignored: they
    move or are small, and the robot drives around them. Open and corridor arenas are convex
    here (the corridor's walls run along it), so the geodesic is the straight line there."""
    if s.reward.potential == "geodesic":
        return geodesic_distance(state.pos[rows], state.goal[rows], state.passage[rows])
    return dist


# ---------------------------------------------------------------------- termination, reward
def is_terminal(gap: np.ndarray, dist: np.ndarray, t: np.ndarray, limit: np.ndarray,
                s: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(collided, success, terminated, truncated): a collision or reaching the goal without one
    terminates; the step limit (per slot: a mix's families differ) truncates what did not
    terminate (Gymnasium semantics)."""
    collided = gap < 0.0
    success = (dist <= s.goal_radius) & ~collided
    terminated = collided | success
    truncated = ~terminated & (t >= limit)
    return collided, success, terminated, truncated


def reward(potential_before: np.ndarray, potential_after: np.ndarray, gap: np.ndarray,
           success: np.ndarray, collided: np.ndarray, s: Scenario) -> np.ndarray:
    """Potential-based progress (the drop of :func:`potential`), time penalty, optional
    proximity penalty, terminal bonuses."""
    w = s.reward
    out = w.progress * (potential_before - potential_after) + w.time
    if w.proximity:
        out = out - w.proximity * _clip((w.margin - gap) / w.margin, 0.0, 1.0)
    return out + np.where(success, w.success, 0.0) + np.where(collided, w.collision, 0.0)


def outcome_codes(success: np.ndarray, collided: np.ndarray,
                  truncated: np.ndarray) -> np.ndarray:
    """``OUTCOME_*`` code of every slot after this step."""
    outcome = np.full(len(success), OUTCOME_NONE)
    outcome[success] = OUTCOME_SUCCESS
    outcome[collided] = OUTCOME_COLLISION
    outcome[truncated] = OUTCOME_TIMEOUT
    return outcome


# ------------------------------------------------------------------------------ observation
def get_obs(state: NavState, s: Scenario,
            rows: Rows = slice(None)) -> tuple[np.ndarray, np.ndarray]:
    """Observation (layout in :mod:`harness.nav.observation`) and lidar ranges of ``rows``."""
    angles = state.theta[rows, None] + s.ray_offsets[None, :]
    circles = _circles(state, s, rows)
    ranges = cast_rays(state.pos[rows], angles, circles, state.walls[rows], s.lidar.range)
    rel = state.goal[rows] - state.pos[rows]
    dist = np.hypot(rel[:, 0], rel[:, 1])
    bearing = np.arctan2(rel[:, 1], rel[:, 0]) - state.theta[rows]
    out = np.empty((ranges.shape[0], s.obs_dim), dtype=np.float32)
    rays = s.lidar.rays
    out[:, :rays] = ranges / s.lidar.range
    if s.lidar.history > 1:
        out[:, rays: rays * s.lidar.history] = (state.past_ranges[rows].reshape(len(ranges), -1)
                                                / s.lidar.range)
    if s.observation.waypoint:
        path = geodesic_path(state.pos[rows], state.goal[rows], state.passage[rows])
        to_waypoint = path[:, 1:] - state.pos[rows]
        heading = np.arctan2(to_waypoint[:, 1], to_waypoint[:, 0]) - state.theta[rows]
        out[:, WAYPOINT_DISTANCE] = np.minimum(path[:, 0] / state.diagonal[rows], 1.0)
        out[:, WAYPOINT_SIN] = np.sin(heading)
        out[:, WAYPOINT_COS] = np.cos(heading)
    out[:, GOAL_DISTANCE] = np.minimum(dist / state.diagonal[rows], 1.0)
    out[:, GOAL_SIN] = np.sin(bearing)
    out[:, GOAL_COS] = np.cos(bearing)
    out[:, SPEED] = state.v[rows] / s.robot.max_speed
    out[:, ANGULAR_SPEED] = state.w[rows] / s.robot.max_angular
    return out, ranges


def shift_scans(state: NavState) -> np.ndarray:
    """The past scans after a step: the last observation's scan joins them, the oldest leaves."""
    past = state.past_ranges
    if not past.shape[1]:
        return past
    return np.concatenate([state.last_ranges[:, None], past[:, :-1]], axis=1)


def _circles(state: NavState, s: Scenario, rows: Rows) -> np.ndarray:
    """Obstacles and pedestrians as circles (n, Mo + P, 3), what the lidar sees."""
    ped_pos = state.ped_pos[rows]
    peds = np.concatenate([ped_pos, np.full(ped_pos.shape[:2] + (1,), s.pedestrian_radius)],
                          axis=2)
    return np.concatenate([state.obstacles[rows], peds], axis=1)


# ------------------------------------------------------------------------------------- step
def step_env(state: NavState, actions: np.ndarray,
             s: Scenario) -> tuple[NavState, StepResult]:
    """Advance every slot by one step. Slots whose episode ended must be reset by the caller."""
    ped_pos, ped_vel, ped_goal, ped_origin = step_pedestrians(state, s)
    pos, theta, v, w = step_robot(state, actions, s)
    t = state.t + 1
    moved = NavState(
        pos=pos, theta=theta, v=v, w=w, goal=state.goal, walls=state.walls,
        obstacles=state.obstacles, passage=state.passage, ped_pos=ped_pos, ped_vel=ped_vel,
        ped_goal=ped_goal, ped_origin=ped_origin, ped_speed=state.ped_speed,
        ped_mask=state.ped_mask, t=t, goal_dist=state.goal_dist, potential=state.potential,
        path_length=state.path_length + np.abs(v) * s.dt,
        min_clearance=state.min_clearance, episode_return=state.episode_return,
        episode_seed=state.episode_seed, family=state.family, arena=state.arena,
        diagonal=state.diagonal, episode_steps=state.episode_steps, last_ranges=state.last_ranges,
        past_ranges=shift_scans(state))
    gap, kind = clearance(moved, s)
    dist = goal_distance(moved)
    collided, success, terminated, truncated = is_terminal(gap, dist, t, state.episode_steps, s)
    phi = potential(moved, dist, s)
    r = reward(state.potential, phi, gap, success, collided, s)
    moved.goal_dist = dist
    moved.potential = phi
    moved.min_clearance = np.minimum(state.min_clearance, gap)
    moved.episode_return = state.episode_return + r
    obs, moved.last_ranges = get_obs(moved, s)
    return moved, StepResult(obs=obs, reward=r, terminated=terminated, truncated=truncated,
                             outcome=outcome_codes(success, collided, truncated),
                             contact=np.where(collided, kind, CONTACT_NONE))
