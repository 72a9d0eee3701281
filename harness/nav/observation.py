"""The observation vector: its one definition (layout, names, bounds).

A flat float32 vector: ``rays`` lidar ranges, then the five entries of ``TAIL`` (goal distance,
goal bearing as sin and cos in the robot frame, and the current velocity), each normalised into
its bounds. :func:`harness.nav.dynamics.get_obs` writes it by these indices; the Gymnasium space,
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
LIDAR_LOW, LIDAR_HIGH = 0.0, 1.0
"""Lidar ranges are divided by the lidar's maximum range."""


def observation_dim(rays: int) -> int:
    """Length of the observation vector."""
    return rays + len(TAIL)


def observation_fields(rays: int) -> list[str]:
    """Human-readable layout, as recorded in dataset contracts."""
    return [f"lidar[{rays}] / range"] + [name for name, _, _ in TAIL]


def observation_bounds(rays: int) -> tuple[np.ndarray, np.ndarray]:
    """Elementwise (low, high) of the observation vector, float32."""
    low = np.array([LIDAR_LOW] * rays + [lo for _, lo, _ in TAIL], dtype=np.float32)
    high = np.array([LIDAR_HIGH] * rays + [hi for _, _, hi in TAIL], dtype=np.float32)
    return low, high
