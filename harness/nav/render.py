"""Top-down ``rgb_array`` frames: arena, walls, obstacles, pedestrians, robot, rays, goal, path."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from harness.nav.geometry import FAR

BACKGROUND = (250, 250, 247)
WALL = (40, 40, 40)
OBSTACLE = (120, 120, 128)
PEDESTRIAN = (230, 120, 30)
ROBOT = (30, 90, 200)
RAY = (220, 60, 60)
RAY_LINE = (240, 170, 170)
GOAL = (40, 160, 70)
PATH = (90, 140, 230)


def render_frame(sim, i: int, path: np.ndarray | None = None, size: int = 480) -> np.ndarray:
    """Draw slot ``i`` of a :class:`~harness.nav.core.NavBatch` as an (H, W, 3) uint8 image."""
    s = sim.family_of(i)
    w, h = s.arena
    pad = 10
    scale = (size - 2 * pad) / max(w, h)
    width, height = int(w * scale) + 2 * pad, int(h * scale) + 2 * pad
    img = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(img)

    def px(x: float, y: float) -> tuple[float, float]:
        return pad + x * scale, height - pad - y * scale  # y up

    def circle(x: float, y: float, r: float, fill, outline=None) -> None:
        cx, cy = px(x, y)
        rp = r * scale
        draw.ellipse([cx - rp, cy - rp, cx + rp, cy + rp], fill=fill, outline=outline)

    # goal
    gx, gy = sim.goal[i]
    circle(gx, gy, s.goal_radius, fill=(200, 235, 205), outline=GOAL)
    circle(gx, gy, 0.08, fill=GOAL)
    # lidar rays to their hit points
    ranges = sim.last_ranges[i]
    x, y, th = sim.pos[i, 0], sim.pos[i, 1], sim.theta[i]
    for k, off in enumerate(sim.ray_offsets):
        a = th + off
        hx, hy = x + ranges[k] * np.cos(a), y + ranges[k] * np.sin(a)
        draw.line([px(x, y), px(hx, hy)], fill=RAY_LINE, width=1)
        if ranges[k] < s.lidar.range - 1e-6:
            cx, cy = px(hx, hy)
            draw.ellipse([cx - 2, cy - 2, cx + 2, cy + 2], fill=RAY)
    # walls and obstacles
    for x0, y0, x1, y1 in sim.walls[i]:
        if x0 >= FAR / 2:  # padding of a mix's smaller family
            continue
        draw.line([px(x0, y0), px(x1, y1)], fill=WALL, width=4)
    for ox, oy, r in sim.obstacles[i]:
        if ox < FAR / 2:
            circle(ox, oy, r, fill=OBSTACLE, outline=WALL)
    # pedestrians with their velocity
    for k in np.flatnonzero(sim.ped_mask[i]):
        qx, qy = sim.ped_pos[i, k]
        circle(qx, qy, s.pedestrian_radius, fill=PEDESTRIAN, outline=(120, 60, 10))
        vx, vy = sim.ped_vel[i, k]
        draw.line([px(qx, qy), px(qx + vx * 0.8, qy + vy * 0.8)], fill=(120, 60, 10), width=2)
    # path so far
    if path is not None and len(path) > 1:
        draw.line([px(*p) for p in path], fill=PATH, width=2)
    # robot and heading
    circle(x, y, s.robot.radius, fill=ROBOT, outline=(10, 30, 90))
    hx, hy = x + 1.6 * s.robot.radius * np.cos(th), y + 1.6 * s.robot.radius * np.sin(th)
    draw.line([px(x, y), px(hx, hy)], fill=(255, 255, 255), width=3)
    return np.asarray(img, dtype=np.uint8)
