"""The observation vector: its one definition (layout, names, bounds).

A flat float32 vector: ``rays`` lidar ranges, then (with a lidar ``history`` of H > 1) the
``rays`` ranges of each of the H - 1 previous observations of the episode, newest first (at an
episode's start they repeat its first scan), then (with ``observation.waypoint``) the three
entries of ``WAYPOINT`` (the next waypoint of the shortest path to the goal around the layout's
walls: path length, bearing as sin and cos in the robot frame), then the five entries of
``TAIL`` (goal distance, goal bearing as sin and cos in the robot frame, and the current
velocity), each normalised into its bounds. The past scans let a feed-forward policy see how
pedestrians move (frame stacking, Mnih et al. 2015; issue 11).
:func:`harness.nav.dynamics.get_obs` writes the vector by these indices; the Gymnasium space,
the observation dimension and the dataset contract read them from here.
"""

from __future__ import annotations

import numpy as np

TAIL = (
    ("goal_distance / arena_diagonal", 0.0, 1.0),
    ("sin(goal_bearing)", -1.0, 1.0),
    ("cos(goal_bearing)", -1.0, 1.0),
    ("v / max_speed", -1.0, 1.0),
    ("omega / max_angular", -1.0, 1.0),
)
"""(name, low, high) of the entries after the lidar, in order."""
GOAL_DISTANCE, GOAL_SIN, GOAL_COS, SPEED, ANGULAR_SPEED = range(-len(TAIL), 0)
"""Indices of the tail entries, counted from the end (independent of the number of rays)."""
WAYPOINT = (
    ("path_length / arena_diagonal", 0.0, 1.0),
    ("sin(waypoint_bearing)", -1.0, 1.0),
    ("cos(waypoint_bearing)", -1.0, 1.0),
)
"""(name, low, high) of the optional waypoint entries, in order, just before ``TAIL``."""
WAYPOINT_DISTANCE, WAYPOINT_SIN, WAYPOINT_COS = range(-len(TAIL) - len(WAYPOINT), -len(TAIL))
"""Indices of the waypoint entries when present, counted from the end."""
LIDAR_LOW, LIDAR_HIGH = 0.0, 1.0
"""Lidar ranges are divided by the lidar's maximum range."""


def _entries(waypoint: bool) -> tuple[tuple[str, float, float], ...]:
    return (WAYPOINT if waypoint else ()) + TAIL


def observation_dim(rays: int, history: int = 1, waypoint: bool = False) -> int:
    """Length of the observation vector."""
    return rays * history + len(_entries(waypoint))


def observation_fields(rays: int, history: int = 1, waypoint: bool = False) -> list[str]:
    """Human-readable layout, as recorded in dataset contracts."""
    past = [f"lidar[{rays}] / range, {k} step{'s' if k > 1 else ''} ago"
            for k in range(1, history)]
    return [f"lidar[{rays}] / range"] + past + [name for name, _, _ in _entries(waypoint)]


def observation_bounds(rays: int, history: int = 1,
                       waypoint: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Elementwise (low, high) of the observation vector, float32."""
    entries = _entries(waypoint)
    low = np.array([LIDAR_LOW] * rays * history + [lo for _, lo, _ in entries], dtype=np.float32)
    high = np.array([LIDAR_HIGH] * rays * history + [hi for _, _, hi in entries],
                    dtype=np.float32)
    return low, high
