"""Compiled inner loops of the simulator (numba, ``nopython``; no fastmath, so results are exact
IEEE and batch-invariant: row ``i`` of every output depends only on row ``i`` of the inputs).

Profiling the pure-numpy version showed 80% of a crowd step in ray casting and the social force,
dominated by short reductions over (N, R, M) temporaries; these loops do the same arithmetic
without temporaries, ~5x faster at N = 64.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from harness.nav.outcomes import CONTACT_OBSTACLE, CONTACT_PEDESTRIAN, CONTACT_WALL

FAR = 1.0e6


PEDESTRIAN_MODEL = np.dtype([
    ("tau", np.float64), ("pedestrian_strength", np.float64), ("pedestrian_range", np.float64),
    ("robot_strength", np.float64), ("robot_range", np.float64), ("wall_strength", np.float64),
    ("wall_range", np.float64), ("max_speed_factor", np.float64), ("goal_tolerance", np.float64),
    ("pedestrian_radius", np.float64), ("robot_radius", np.float64), ("dt", np.float64)])
"""The scalars the pedestrian kernels read, by name, as a one-element structured array (built
once per scenario by :attr:`harness.nav.scenario.Scenario.pedestrian_model`; the arena, which
differs between the families of a mix, comes per slot from the state). Numba takes no
dataclass, and a NamedTuple costs a type check of every field on every call (+2 us per step at
N = 1, measured); an array is dispatched as fast as a float."""


@numba.njit(cache=True)
def cast_rays(origin, angles, circles, walls, max_range):  # pragma: no cover - compiled
    """origin (N, 2), angles (N, R), circles (N, M, 3), walls (N, W, 4) -> ranges (N, R)."""
    n, rays = angles.shape
    out = np.empty((n, rays))
    for i in range(n):
        ox = origin[i, 0]
        oy = origin[i, 1]
        for k in range(rays):
            dx = math.cos(angles[i, k])
            dy = math.sin(angles[i, k])
            best = max_range
            for m in range(circles.shape[1]):
                fx = circles[i, m, 0] - ox
                fy = circles[i, m, 1] - oy
                rad = circles[i, m, 2]
                c = fx * fx + fy * fy - rad * rad
                if c < 0.0:  # the origin is inside the circle
                    best = 0.0
                    continue
                b = fx * dx + fy * dy
                disc = b * b - c
                if disc >= 0.0:
                    t = b - math.sqrt(disc)
                    if 0.0 <= t < best:
                        best = t
            for m in range(walls.shape[1]):
                px = walls[i, m, 0] - ox
                py = walls[i, m, 1] - oy
                ex = walls[i, m, 2] - walls[i, m, 0]
                ey = walls[i, m, 3] - walls[i, m, 1]
                denom = dx * ey - dy * ex
                if abs(denom) < 1e-12:
                    continue
                t = (px * ey - py * ex) / denom
                u = (px * dy - py * dx) / denom
                if t >= 0.0 and 0.0 <= u <= 1.0 and t < best:
                    best = t
            out[i, k] = best
    return out


@numba.njit(cache=True)
def _segment_vector(px, py, x0, y0, x1, y1):  # pragma: no cover - compiled
    """Vector from the closest point of segment (x0, y0)-(x1, y1) to (px, py)."""
    ex = x1 - x0
    ey = y1 - y0
    qx = px - x0
    qy = py - y0
    l2 = ex * ex + ey * ey
    s = (qx * ex + qy * ey) / max(l2, 1e-12)
    s = min(max(s, 0.0), 1.0)
    return qx - s * ex, qy - s * ey


@numba.njit(cache=True)
def wall_distances(points, walls):  # pragma: no cover - compiled
    """Distance from each point to each segment: (N, K, 2), (N, W, 4) -> (N, K, W)."""
    n, kk = points.shape[0], points.shape[1]
    out = np.empty((n, kk, walls.shape[1]))
    for i in range(n):
        for k in range(kk):
            for m in range(walls.shape[1]):
                rx, ry = _segment_vector(points[i, k, 0], points[i, k, 1], walls[i, m, 0],
                                         walls[i, m, 1], walls[i, m, 2], walls[i, m, 3])
                out[i, k, m] = math.sqrt(rx * rx + ry * ry)
    return out


@numba.njit(cache=True)
def social_force(pos, vel, goal, speed, mask, robot_pos, obstacles, walls,
                 model):  # pragma: no cover - compiled
    """Acceleration of every pedestrian (N, P, 2) under the social-force model.

    Drive toward the goal at the preferred speed (relaxation ``model.tau``), exponential
    repulsion from other pedestrians, the robot, obstacles and walls. Inactive slots get zero.
    """
    model = model[0]
    n, p = pos.shape[0], pos.shape[1]
    ped_radius = model.pedestrian_radius
    acc = np.zeros((n, p, 2))
    for i in range(n):
        for j in range(p):
            if not mask[i, j]:
                continue
            x = pos[i, j, 0]
            y = pos[i, j, 1]
            gx = goal[i, j, 0] - x
            gy = goal[i, j, 1] - y
            gd = max(math.sqrt(gx * gx + gy * gy), 1e-9)
            fx = (gx / gd * speed[i, j] - vel[i, j, 0]) / model.tau
            fy = (gy / gd * speed[i, j] - vel[i, j, 1]) / model.tau
            for q in range(p):
                if q == j or not mask[i, q]:
                    continue
                dx = x - pos[i, q, 0]
                dy = y - pos[i, q, 1]
                d = max(math.sqrt(dx * dx + dy * dy), 1e-9)
                mag = model.pedestrian_strength * math.exp((2.0 * ped_radius - d)
                                                           / model.pedestrian_range)
                fx += mag * dx / d
                fy += mag * dy / d
            dx = x - robot_pos[i, 0]
            dy = y - robot_pos[i, 1]
            d = max(math.sqrt(dx * dx + dy * dy), 1e-9)
            mag = model.robot_strength * math.exp(-(d - ped_radius - model.robot_radius)
                                                  / model.robot_range)
            fx += mag * dx / d
            fy += mag * dy / d
            for m in range(obstacles.shape[1]):
                dx = x - obstacles[i, m, 0]
                dy = y - obstacles[i, m, 1]
                d = max(math.sqrt(dx * dx + dy * dy), 1e-9)
                gap = max(d - ped_radius - obstacles[i, m, 2], -1.0)
                mag = model.wall_strength * math.exp(-gap / model.wall_range)
                fx += mag * dx / d
                fy += mag * dy / d
            for m in range(walls.shape[1]):
                dx, dy = _segment_vector(x, y, walls[i, m, 0], walls[i, m, 1], walls[i, m, 2],
                                         walls[i, m, 3])
                d = max(math.sqrt(dx * dx + dy * dy), 1e-9)
                gap = max(d - ped_radius, -1.0)
                mag = model.wall_strength * math.exp(-gap / model.wall_range)
                fx += mag * dx / d
                fy += mag * dy / d
            acc[i, j, 0] = fx
            acc[i, j, 1] = fy
    return acc


@numba.njit(cache=True)
def walk_pedestrians(pos, vel, acc, goal, origin, speed, mask, arena,
                     model):  # pragma: no cover - compiled
    """One step of every pedestrian, in place on pos, vel, goal and origin: velocity capped at
    ``max_speed_factor`` * preferred speed, positions kept inside the slot's arena (N, 2); on
    arrival a pedestrian turns back toward where it came from."""
    model = model[0]
    dt = model.dt
    ped_radius = model.pedestrian_radius
    n, p = pos.shape[0], pos.shape[1]
    for i in range(n):
        for j in range(p):
            if not mask[i, j]:
                vel[i, j, 0] = 0.0
                vel[i, j, 1] = 0.0
                continue
            vx = vel[i, j, 0] + acc[i, j, 0] * dt
            vy = vel[i, j, 1] + acc[i, j, 1] * dt
            sp = math.sqrt(vx * vx + vy * vy)
            cap = model.max_speed_factor * speed[i, j]
            if sp > cap:
                vx = vx * cap / max(sp, 1e-9)
                vy = vy * cap / max(sp, 1e-9)
            vel[i, j, 0] = vx
            vel[i, j, 1] = vy
            x = min(max(pos[i, j, 0] + vx * dt, ped_radius), arena[i, 0] - ped_radius)
            y = min(max(pos[i, j, 1] + vy * dt, ped_radius), arena[i, 1] - ped_radius)
            pos[i, j, 0] = x
            pos[i, j, 1] = y
            gx = goal[i, j, 0] - x
            gy = goal[i, j, 1] - y
            if math.sqrt(gx * gx + gy * gy) < model.goal_tolerance:
                for c in range(2):
                    tmp = origin[i, j, c]
                    origin[i, j, c] = goal[i, j, c]
                    goal[i, j, c] = tmp


@numba.njit(cache=True)
def robot_clearance(pos, robot_radius, walls, obstacles, peds, ped_radius):  # pragma: no cover
    """Free distance from the robot body to the nearest wall, obstacle or pedestrian, and which
    kind it is (a ``CONTACT_*`` code). Negative distance = collision."""
    n = pos.shape[0]
    gap = np.empty(n)
    kind = np.empty(n, dtype=np.int64)
    for i in range(n):
        x = pos[i, 0]
        y = pos[i, 1]
        best = 1e18
        which = CONTACT_WALL
        for m in range(walls.shape[1]):
            dx, dy = _segment_vector(x, y, walls[i, m, 0], walls[i, m, 1], walls[i, m, 2],
                                     walls[i, m, 3])
            g = math.sqrt(dx * dx + dy * dy) - robot_radius
            if g < best:
                best = g
                which = CONTACT_WALL
        for m in range(obstacles.shape[1]):
            dx = x - obstacles[i, m, 0]
            dy = y - obstacles[i, m, 1]
            g = math.sqrt(dx * dx + dy * dy) - obstacles[i, m, 2] - robot_radius
            if g < best:
                best = g
                which = CONTACT_OBSTACLE
        for m in range(peds.shape[1]):
            dx = x - peds[i, m, 0]
            dy = y - peds[i, m, 1]
            g = math.sqrt(dx * dx + dy * dy) - ped_radius - robot_radius
            if g < best:
                best = g
                which = CONTACT_PEDESTRIAN
        gap[i] = best
        kind[i] = which
    return gap, kind


@numba.njit(cache=True)
def geodesic_path(pos, goal, passage):  # pragma: no cover - compiled
    """Shortest path from each robot (N, 2) to its goal (N, 2) when a wall, whose only opening
    is the segment ``passage`` (N, 4) = (x0, y0, x1, y1), divides the arena: the straight line
    if both are on the same side of the wall's line or the line crosses the opening, else the
    path over the nearer end of the opening. ``|p - c| + |c - g|`` is convex in the point ``c``
    along the opening and least where the straight line crosses it, so the clamped crossing is
    the exact minimiser. A passage far outside the arena has everything on one side: the
    Euclidean distance, bit for bit (``math.hypot`` is ``np.hypot``).

    Returns (N, 3): the path's length and its next waypoint (x, y) (the goal, or the end of the
    opening the path goes over)."""
    n = pos.shape[0]
    out = np.empty((n, 3))
    for i in range(n):
        px = pos[i, 0]
        py = pos[i, 1]
        gx = goal[i, 0]
        gy = goal[i, 1]
        dx = gx - px
        dy = gy - py
        out[i, 0] = math.hypot(dx, dy)
        out[i, 1] = gx
        out[i, 2] = gy
        ax = passage[i, 0]
        ay = passage[i, 1]
        ex = passage[i, 2] - ax
        ey = passage[i, 3] - ay
        side_p = ex * (py - ay) - ey * (px - ax)
        side_g = ex * (gy - ay) - ey * (gx - ax)
        if side_p * side_g >= 0.0:  # same side, or on the wall's line (inside the opening)
            continue
        u = side_p / (side_p - side_g)  # where the straight line crosses the wall's line
        s = ((px + u * dx - ax) * ex + (py + u * dy - ay) * ey) / max(ex * ex + ey * ey, 1e-12)
        if 0.0 <= s <= 1.0:
            continue
        s = min(max(s, 0.0), 1.0)
        cx = ax + s * ex
        cy = ay + s * ey
        out[i, 0] = math.hypot(cx - px, cy - py) + math.hypot(gx - cx, gy - cy)
        out[i, 1] = cx
        out[i, 2] = cy
    return out


@numba.njit(cache=True)
def geodesic_distance(pos, goal, passage):  # pragma: no cover - compiled
    """Length of :func:`geodesic_path`, (N,)."""
    return geodesic_path(pos, goal, passage)[:, 0].copy()
