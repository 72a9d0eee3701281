"""Batched 2D geometry over a leading batch axis (thin, typed wrappers of the compiled kernels).

Shapes: ``N`` environments, ``R`` rays, ``M`` circles (x, y, radius), ``W`` wall segments
(x0, y0, x1, y1), ``K`` query points. Row ``i`` of every result depends only on row ``i`` of the
inputs, which is what makes the batched and single-env faces produce identical numbers.
"""

from __future__ import annotations

import numpy as np

from harness.nav import kernels

FAR = kernels.FAR


def _f64(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64)


def cast_rays(origin: np.ndarray, angles: np.ndarray, circles: np.ndarray, walls: np.ndarray,
              max_range: float) -> np.ndarray:
    """Distance along each ray to the first circle or wall, clipped to ``max_range``.

    origin (N, 2), angles (N, R) in world frame, circles (N, M, 3), walls (N, W, 4) -> (N, R).
    A ray starting inside a circle reads 0.
    """
    return kernels.cast_rays(_f64(origin), _f64(angles), _f64(circles), _f64(walls),
                             float(max_range))


def segment_distance(points: np.ndarray, walls: np.ndarray) -> np.ndarray:
    """Euclidean distance from each point to each segment: (N, K, 2), (N, W, 4) -> (N, K, W)."""
    return kernels.wall_distances(_f64(points), _f64(walls))


def wrap_angle(a: np.ndarray) -> np.ndarray:
    """Map angles to [-pi, pi)."""
    return (a + np.pi) % (2.0 * np.pi) - np.pi
