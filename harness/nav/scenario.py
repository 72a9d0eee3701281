"""Scenario parameters: frozen data, separate from the mutable simulator state (gymnax's
``EnvParams``; the state is :class:`harness.nav.state.NavState`).

A scenario is everything needed to sample an episode (arena, layout, obstacles, pedestrians,
start-goal distance, episode length) plus the robot, lidar, pedestrian-behaviour and reward
parameters. Scenarios are declared in ``specs/scenarios/*.yaml`` and parsed by
:mod:`harness.spec.scenarios`; this module only defines their shape. The simulator itself
(:mod:`harness.nav.core`, :mod:`harness.nav.dynamics`) takes a :class:`Scenario` object and never
reads a file; only the Gymnasium entry points reach ``specs/``: ``harness/nav/__init__.py`` lists
the scenario files to register one env id each, and :func:`harness.nav.env.resolve_scenario`
loads a scenario given by name.
"""

from __future__ import annotations

import functools
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from typing import Any

import numpy as np

from harness.nav.observation import observation_dim

LAYOUTS = ("open", "corridor", "doorway")
POTENTIALS = ("euclidean", "geodesic")
"""What the progress reward's potential measures (:attr:`RewardWeights.potential`)."""


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
    history: int = 1
    """Scans in the observation: the current one and the ``history - 1`` before it (layout in
    :mod:`harness.nav.observation`)."""


@dataclass(frozen=True)
class ObservationParams:
    """Optional entries of the observation beyond lidar, goal and velocity (layout in
    :mod:`harness.nav.observation`)."""

    waypoint: bool = False
    """Observe the next waypoint of the shortest path to the goal around the layout's walls
    (the goal itself, or the end of a doorway's opening the path goes over; the opening inset
    as for the geodesic potential): path length and the waypoint's bearing. What a global
    planner hands a local navigation policy; without it, a robot behind the wall whose doorway
    is out of lidar range cannot tell which way the door is (issue 11)."""


@dataclass(frozen=True)
class PedestrianParams:
    """How pedestrians walk: a simplified social-force model (Helbing & Molnar 1995).

    Each pedestrian relaxes toward its preferred velocity (toward its goal at its sampled speed)
    and is pushed away from other pedestrians, the robot, obstacles and walls by forces
    ``strength * exp(-gap / range)``. How many there are, how fast and how large is sampled from
    ``Scenario.pedestrian_count``, ``pedestrian_speed`` and ``pedestrian_radius``.
    """

    tau: float = 0.5
    """Relaxation time in s toward the preferred velocity."""
    pedestrian_strength: float = 2.0
    """Repulsion between pedestrians in m/s^2 at contact."""
    pedestrian_range: float = 0.3
    """Decay length in m of the repulsion between pedestrians."""
    robot_strength: float = 4.0
    """Repulsion from the robot in m/s^2 at contact."""
    robot_range: float = 0.4
    """Decay length in m of the repulsion from the robot."""
    wall_strength: float = 3.0
    """Repulsion from obstacles and walls in m/s^2 at contact."""
    wall_range: float = 0.2
    """Decay length in m of the repulsion from obstacles and walls."""
    max_speed_factor: float = 1.3
    """Speed cap relative to the pedestrian's preferred speed."""
    goal_tolerance: float = 0.3
    """Distance in m at which a pedestrian has arrived and turns back toward where it came from."""


@dataclass(frozen=True)
class RewardWeights:
    """Weights of the reward terms (per step unless stated)."""

    progress: float = 1.0
    """Potential-based progress: weight * (previous potential - potential), the potential being
    the distance to the goal measured as ``potential`` says."""
    potential: str = "euclidean"
    """One of ``POTENTIALS``: ``euclidean`` is the straight-line goal distance; ``geodesic`` the
    shortest path to the goal around the layout's walls (through a doorway's opening; circular
    obstacles and pedestrians are ignored), which has no local minimum behind a wall, as
    Habitat PointNav's geodesic-distance reward (Savva et al. 2019). Issue 11: with the
    straight-line potential, doorway episodes time out behind the wall."""
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
    passage_margin: float = 0.0
    """Clearance in metres, beyond the robot radius, that the geodesic potential's path keeps
    from the ends of a wall's opening (the opening is inset by radius + this, at most to its
    middle): with 0 the shortest path grazes the door frame, and so does a greedy policy."""


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
    pedestrians: PedestrianParams = field(default_factory=PedestrianParams)
    observation: ObservationParams = field(default_factory=ObservationParams)

    @property
    def max_obstacles(self) -> int:
        return self.obstacle_count[1]

    @property
    def max_pedestrians(self) -> int:
        return self.pedestrian_count[1]

    @property
    def obs_dim(self) -> int:
        return observation_dim(self.lidar.rays, self.lidar.history, self.observation.waypoint)

    # Derived constants the simulator needs every step: computed once per scenario object
    # (cached_property writes the instance __dict__, which a frozen dataclass allows).
    @functools.cached_property
    def diagonal(self) -> float:
        """Arena diagonal in metres; goal distances are normalised by it."""
        return float(np.hypot(*self.arena))

    @functools.cached_property
    def ray_offsets(self) -> np.ndarray:
        """Lidar ray directions relative to the heading, (rays,) read-only."""
        offsets = np.linspace(0.0, 2.0 * np.pi, self.lidar.rays, endpoint=False)
        offsets.setflags(write=False)
        return offsets

    @functools.cached_property
    def pedestrian_model(self) -> np.ndarray:
        """Everything the compiled pedestrian kernels read: a read-only one-element array of
        dtype :data:`harness.nav.kernels.PEDESTRIAN_MODEL`."""
        from harness.nav.kernels import PEDESTRIAN_MODEL  # numba loads only when simulating

        p = self.pedestrians
        values = {"pedestrian_radius": self.pedestrian_radius, "robot_radius": self.robot.radius,
                  "dt": self.dt}
        model = np.array([tuple(float(values[name]) if name in values else float(getattr(p, name))
                                for name in PEDESTRIAN_MODEL.names)], dtype=PEDESTRIAN_MODEL)
        model.setflags(write=False)
        return model


def scenario_from_dict(data: dict[str, Any]) -> Scenario:
    """Rebuild a :class:`Scenario` from ``dataclasses.asdict`` output, e.g. a JSON record.

    Nested parameter groups become their dataclasses again, lists become tuples, and groups the
    record does not have (written before they existed) take their defaults.
    """
    known = {f.name for f in fields(Scenario)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"scenario record has unknown fields {unknown}; known: {sorted(known)}")
    kwargs: dict[str, Any] = {}
    for f in fields(Scenario):
        if f.name not in data:
            continue
        value = data[f.name]
        group = f.default_factory
        if group is not MISSING and is_dataclass(group) and isinstance(value, dict):
            value = group(**value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[f.name] = value
    return Scenario(**kwargs)
