"""Rendered frames contain every element of the scene."""

import numpy as np
import pytest

from harness.nav import render
from harness.nav.env import NavEnv
from harness.spec.scenarios import load_scenarios


def has_colour(frame: np.ndarray, colour) -> bool:
    return bool(np.any(np.all(frame == np.array(colour, dtype=np.uint8), axis=-1)))


@pytest.mark.parametrize("name", list(load_scenarios()))
def test_frame_shows_every_element(name):
    env = NavEnv(name, render_mode="rgb_array")
    env.reset(seed=4)
    for _ in range(5):
        env.step(np.array([0.5, 0.2], dtype=np.float32))
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    s = env.scenario
    assert has_colour(frame, render.WALL)
    assert has_colour(frame, render.ROBOT)
    assert has_colour(frame, render.GOAL)
    assert has_colour(frame, render.PATH)
    assert has_colour(frame, render.RAY_LINE)
    if env.sim.ped_mask[0].any():
        assert has_colour(frame, render.PEDESTRIAN)
    if s.obstacle_count[0] > 0:
        assert has_colour(frame, render.OBSTACLE)
