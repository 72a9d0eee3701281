"""Scenario parameters: frozen data, separate from the mutable simulator state.

A scenario is everything needed to sample an episode (arena, layout, obstacles, pedestrians,
start-goal distance, episode length) plus the robot, lidar and reward parameters. Scenarios are
declared in ``specs/scenarios/*.yaml`` and loaded by :mod:`harness.spec.scenarios`; this module only
defines their shape so that the simulator never depends on YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LAYOUTS = ("open", "corridor", "doorway")


@dataclass(frozen=True)
class RobotParams:
    """Differential-drive (unicycle) robot."""

    radius: float = 0.2
    """Body radius in metres; collisions are measured against it."""
    max_speed: float = 1.0
    """Maximum linear speed in m/s; action[0] = 1 commands it, -1 commands full reverse."""
    max_angular: float = 2.0
    """Maximum angular speed in rad/s; action[1] = +-1 commands it."""
    max_accel: float = 2.0
    """Linear acceleration limit in m/s^2."""
    max_angular_accel: float = 8.0
    """Angular acceleration limit in rad/s^2."""


@dataclass(frozen=True)
class LidarParams:
    """Planar 360-degree lidar centred on the robot."""

    rays: int = 32
    """Number of evenly spaced rays; ray 0 points along the robot heading."""
    range: float = 5.0
    """Maximum range in metres; readings are normalised by it into [0, 1]."""


@dataclass(frozen=True)
class RewardWeights:
    """Weights of the reward terms (per step unless stated)."""

    progress: float = 1.0
    """Potential-based progress: weight * (previous goal distance - goal distance)."""
    success: float = 10.0
    """Bonus on reaching the goal (terminal)."""
    collision: float = -10.0
    """Penalty on a collision (terminal)."""
    time: float = -0.01
    """Constant per-step penalty."""
    proximity: float = 0.0
    """Per-step penalty weight for intruding into the safety margin around anything:
    ``proximity * max(0, margin - clearance) / margin`` (discourages grazing obstacles)."""
    margin: float = 0.3
    """Safety margin in metres used by ``proximity``."""


@dataclass(frozen=True)
class Scenario:
    """One scenario family: the distribution that episodes are sampled from."""

    name: str
    difficulty: int
    """Rank of the family, 0 = easiest; used to order reports and held-out evaluations."""
    description: str = ""
    arena: tuple[float, float] = (10.0, 10.0)
    """Width and height in metres; the arena border is a wall."""
    episode_steps: int = 250
    """Time-out in steps (dt each); reaching it truncates the episode."""
    dt: float = 0.1
    goal_distance: tuple[float, float] = (3.0, 8.0)
    """Range of the straight-line start-goal distance in metres."""
    goal_radius: float = 0.3
    layout: str = "open"
    """One of ``LAYOUTS``: open arena, a corridor, or a wall with a doorway."""
    layout_width: float = 2.0
    """Corridor width or doorway gap in metres (ignored for ``open``)."""
    obstacle_count: tuple[int, int] = (0, 0)
    obstacle_radius: tuple[float, float] = (0.2, 0.5)
    pedestrian_count: tuple[int, int] = (0, 0)
    pedestrian_speed: tuple[float, float] = (0.5, 1.0)
    pedestrian_radius: float = 0.25
    robot: RobotParams = field(default_factory=RobotParams)
    lidar: LidarParams = field(default_factory=LidarParams)
    reward: RewardWeights = field(default_factory=RewardWeights)

    @property
    def max_obstacles(self) -> int:
        return self.obstacle_count[1]

    @property
    def max_pedestrians(self) -> int:
        return self.pedestrian_count[1]

    @property
    def obs_dim(self) -> int:
        return observation_dim(self.lidar.rays)


def observation_dim(rays: int) -> int:
    """Length of the observation vector: lidar, goal (distance, sin, cos), velocity (v, omega)."""
    return rays + 5
