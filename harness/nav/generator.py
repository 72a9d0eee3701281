"""Episode generator: samples one episode's world from (scenario, episode seed).

Kept apart from the dynamics (as gymnax and jumanji do): everything random about an episode is
drawn here, once, from ``numpy.random.default_rng(episode_seed)``, so that an episode is fully
reproducible from its seed and the actions taken.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harness.nav.geometry import FAR
from harness.nav.scenario import Scenario

MAX_TRIES = 2000


@dataclass(frozen=True)
class EpisodeLayout:
    """One sampled world; arrays are padded to the scenario's maxima."""

    start: np.ndarray  # (2,)
    heading: float
    goal: np.ndarray  # (2,)
    walls: np.ndarray  # (W, 4)
    obstacles: np.ndarray  # (Mo, 3); padding lies at FAR with radius 0
    ped_pos: np.ndarray  # (P, 2)
    ped_goal: np.ndarray  # (P, 2)
    ped_speed: np.ndarray  # (P,)
    ped_mask: np.ndarray  # (P,) bool
    passage: np.ndarray | None = None
    """(4,) the doorway's opening as a segment (x0, y0, x1, y1) in the dividing wall, or None for
    a layout without one (open and corridor arenas are convex to the robot's progress potential;
    see :func:`harness.nav.dynamics.potential`)."""


def wall_count(scenario: Scenario) -> int:
    return 4 + (2 if scenario.layout in ("corridor", "doorway") else 0)


class _Region:
    """Axis-aligned box in which an entity may be placed."""

    def __init__(self, x0: float, y0: float, x1: float, y1: float):
        self.x0, self.y0, self.x1, self.y1 = x0, y0, x1, y1

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        return np.array([rng.uniform(self.x0, self.x1), rng.uniform(self.y0, self.y1)])

    def contains(self, p: np.ndarray) -> bool:
        return bool(self.x0 <= p[0] <= self.x1 and self.y0 <= p[1] <= self.y1)


def _point_segment_distance(p: np.ndarray, walls: np.ndarray) -> float:
    """Distance from point ``p`` to the nearest of a handful of walls (plain floats: for a few
    segments this is ~10x faster than the numpy expression, and it runs per placement try)."""
    px, py = float(p[0]), float(p[1])
    best = math.inf
    for x0, y0, x1, y1 in walls.tolist():
        ex, ey = x1 - x0, y1 - y0
        qx, qy = px - x0, py - y0
        s = min(max((qx * ex + qy * ey) / max(ex * ex + ey * ey, 1e-12), 0.0), 1.0)
        best = min(best, math.hypot(qx - s * ex, qy - s * ey))
    return best


def _wall_clear(p: np.ndarray, r: float, walls: np.ndarray, passage: float) -> bool:
    """An obstacle either leaves ``passage`` to every wall, or stands against one wall (a
    pillar, no slot behind it) and leaves ``passage`` to all the others."""
    dists = sorted(_point_segment_distance(p, walls[k:k + 1]) for k in range(len(walls)))
    if dists[0] >= r + passage:
        return True
    return r - 0.01 <= dists[0] <= r + 0.02 and (len(dists) < 2 or dists[1] >= r + passage)


def _clear_of(p: np.ndarray, radius: float, circles: list[tuple[float, float, float]],
              gap: float) -> bool:
    px, py = float(p[0]), float(p[1])
    return all(math.hypot(px - cx, py - cy) >= radius + cr + gap for cx, cy, cr in circles)


def sample_episode(scenario: Scenario, seed: int) -> EpisodeLayout:
    """Sample the world of the episode with this seed."""
    rng = np.random.default_rng(seed)
    w, h = scenario.arena
    rr = scenario.robot.radius
    margin = rr + 0.3
    walls = [(0.0, 0.0, w, 0.0), (w, 0.0, w, h), (w, h, 0.0, h), (0.0, h, 0.0, 0.0)]
    gap = scenario.layout_width
    opening = None
    if scenario.layout == "corridor":
        cy = h / 2.0
        walls += [(0.0, cy - gap / 2, w, cy - gap / 2), (0.0, cy + gap / 2, w, cy + gap / 2)]
        region = _Region(margin, cy - gap / 2 + margin, w - margin, cy + gap / 2 - margin)
        sides = [region, region]
    elif scenario.layout == "doorway":
        gy = rng.uniform(margin + gap / 2, h - margin - gap / 2)
        walls += [(w / 2, 0.0, w / 2, gy - gap / 2), (w / 2, gy + gap / 2, w / 2, h)]
        left = _Region(margin, margin, w / 2 - margin, h - margin)
        right = _Region(w / 2 + margin, margin, w - margin, h - margin)
        sides = [left, right] if rng.random() < 0.5 else [right, left]
        region = _Region(margin, margin, w - margin, h - margin)
        opening = np.array([w / 2, gy - gap / 2, w / 2, gy + gap / 2])
    else:
        region = _Region(margin, margin, w - margin, h - margin)
        sides = [region, region]
    wall_arr = np.array(walls, dtype=np.float64)

    start, goal = _sample_start_goal(rng, scenario, sides, wall_arr)
    heading = float(rng.uniform(-np.pi, np.pi))
    placed: list[tuple[float, float, float]] = []
    keep_out = [(start[0], start[1], rr + 0.5), (goal[0], goal[1], scenario.goal_radius + 0.3)]
    if scenario.layout == "doorway":
        keep_out.append((w / 2, gy, gap / 2 + 0.5))

    n_obs = int(rng.integers(scenario.obstacle_count[0], scenario.obstacle_count[1] + 1))
    # Gaps between obstacles, and between obstacles and walls, are either absent or at least
    # 2.5 robot diameters: a 0.45 m slot for a 0.4 m robot invites grazing that a 32-ray lidar
    # cannot resolve (most of an early expert's collisions were exactly that).
    passage = 5 * rr
    for _ in range(n_obs):
        for _try in range(MAX_TRIES):
            r = float(rng.uniform(*scenario.obstacle_radius))
            p = region.sample(rng)
            if scenario.layout == "corridor":  # pillars stand against a corridor wall
                p[1] = h / 2 + (gap / 2 - r) * (1.0 if rng.random() < 0.5 else -1.0)
            if (_wall_clear(p, r, wall_arr, passage)
                    and _clear_of(p, r, keep_out, 0.0) and _clear_of(p, r, placed, passage)):
                placed.append((float(p[0]), float(p[1]), r))
                break
    obstacles = np.zeros((scenario.max_obstacles, 3))
    obstacles[:, 0] = FAR
    if placed:
        obstacles[: len(placed)] = placed

    n_peds = int(rng.integers(scenario.pedestrian_count[0], scenario.pedestrian_count[1] + 1))
    pr = scenario.pedestrian_radius
    P = scenario.max_pedestrians
    ped_pos = np.zeros((P, 2))
    ped_pos[:, 0] = FAR
    ped_goal = ped_pos.copy()
    ped_speed = np.zeros(P)
    ped_mask = np.zeros(P, dtype=bool)
    ped_circles: list[tuple[float, float, float]] = []
    for i in range(n_peds):
        home = sides[i % 2] if scenario.layout == "doorway" else region
        for _try in range(MAX_TRIES):
            p = home.sample(rng)
            q = home.sample(rng)
            if (np.hypot(*(p - start)) >= rr + pr + 1.5 and np.hypot(*(q - p)) >= 2.0
                    and _point_segment_distance(p, wall_arr) >= pr + 0.1
                    and _clear_of(p, pr, placed, 0.2) and _clear_of(q, pr, placed, 0.2)
                    and _clear_of(p, pr, ped_circles, 0.2)):
                ped_circles.append((float(p[0]), float(p[1]), pr))
                ped_pos[i], ped_goal[i] = p, q
                ped_speed[i] = rng.uniform(*scenario.pedestrian_speed)
                ped_mask[i] = True
                break
    return EpisodeLayout(start=start, heading=heading, goal=goal, walls=wall_arr,
                         obstacles=obstacles, ped_pos=ped_pos, ped_goal=ped_goal,
                         ped_speed=ped_speed, ped_mask=ped_mask, passage=opening)


def _sample_start_goal(rng: np.random.Generator, scenario: Scenario, sides: list[_Region],
                       walls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = scenario.goal_distance
    rr = scenario.robot.radius
    for _ in range(MAX_TRIES):
        start = sides[0].sample(rng)
        if _point_segment_distance(start, walls) < rr + 0.2:
            continue
        for _inner in range(20):
            d = rng.uniform(lo, hi)
            a = rng.uniform(-np.pi, np.pi)
            goal = start + d * np.array([np.cos(a), np.sin(a)])
            if sides[1].contains(goal) and _point_segment_distance(goal, walls) >= rr + 0.2:
                return start, goal
    raise RuntimeError(
        f"scenario '{scenario.name}': no start-goal pair with distance in {scenario.goal_distance} "
        f"fits the {scenario.layout} layout; widen the arena or narrow goal_distance")
