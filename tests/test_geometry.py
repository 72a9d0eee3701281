"""Lidar ray casting against hand-computed distances, and its invariants under hypothesis."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.nav.core import NavBatch
from harness.nav.geometry import cast_rays, segment_distance
from tests.helpers import bare_scenario, place

NO_CIRCLES = np.zeros((1, 0, 3))
NO_WALLS = np.zeros((1, 0, 4))
ORIGIN = np.zeros((1, 2))


def rays(*angles):
    return np.array([angles], dtype=float)


def test_one_wall_at_known_distance():
    wall = np.array([[[2.0, -5.0, 2.0, 5.0]]])
    a = math.radians(30)
    out = cast_rays(ORIGIN, rays(0.0, a, math.pi), NO_CIRCLES, wall, 10.0)
    assert out[0, 0] == pytest.approx(2.0)
    assert out[0, 1] == pytest.approx(2.0 / math.cos(a))
    assert out[0, 2] == 10.0  # pointing away: nothing hit


def test_one_circle_at_known_distance():
    circle = np.array([[[3.0, 0.0, 0.5]]])
    a = math.radians(5)
    out = cast_rays(ORIGIN, rays(0.0, a, math.pi / 2), circle, NO_WALLS, 10.0)
    assert out[0, 0] == pytest.approx(2.5)
    b, c = 3.0 * math.cos(a), 9.0 - 0.25
    assert out[0, 1] == pytest.approx(b - math.sqrt(b * b - c))
    assert out[0, 2] == 10.0


def test_origin_inside_circle_reads_zero():
    circle = np.array([[[0.1, 0.0, 0.5]]])
    assert cast_rays(ORIGIN, rays(0.0, 2.0), circle, NO_WALLS, 5.0).max() == 0.0


def test_pedestrian_is_seen_by_the_lidar():
    s = bare_scenario()
    sim = NavBatch(s, 1)
    place(sim, robot=(10.0, 10.0), heading=0.0, pedestrian=(12.0, 10.0))
    obs = sim.observe()
    expected = (2.0 - s.pedestrian_radius) / s.lidar.range
    assert obs[0, 0] == pytest.approx(expected, abs=1e-6)
    # the ray pointing backwards sees nothing within range
    assert obs[0, s.lidar.rays // 2] == pytest.approx(1.0)


def test_nothing_in_range_reads_max():
    s = bare_scenario()
    sim = NavBatch(s, 1)
    place(sim, robot=(10.0, 10.0))  # walls are 10 m away, the range is 5 m
    obs = sim.observe()
    assert np.all(obs[0, : s.lidar.rays] == 1.0)


def test_segment_distance_hand_values():
    walls = np.array([[[0.0, 0.0, 4.0, 0.0]]])
    pts = np.array([[[2.0, 3.0], [-3.0, 4.0], [5.0, 0.0]]])
    np.testing.assert_allclose(segment_distance(pts, walls)[0, :, 0], [3.0, 5.0, 1.0])


coord = st.floats(-8.0, 8.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    origin=st.tuples(coord, coord),
    circles=st.lists(st.tuples(coord, coord, st.floats(0.1, 2.0)), max_size=5),
    walls=st.lists(st.tuples(coord, coord, coord, coord), max_size=4),
    angle=st.floats(-math.pi, math.pi),
)
def test_reading_is_the_first_hit_and_never_exceeds_range(origin, circles, walls, angle):
    max_range = 6.0
    o = np.array([origin])
    c = np.array([circles]).reshape(1, -1, 3)
    w = np.array([walls]).reshape(1, -1, 4)
    t = cast_rays(o, rays(angle), c, w, max_range)[0, 0]
    assert 0.0 <= t <= max_range
    d = np.array([math.cos(angle), math.sin(angle)])
    # nothing lies strictly before the reading ...
    for frac in np.linspace(0.0, 0.98, 25):
        p = o[0] + frac * t * d
        for cx, cy, r in circles:
            if math.hypot(origin[0] - cx, origin[1] - cy) >= r:
                assert math.hypot(p[0] - cx, p[1] - cy) >= r - 1e-6
    # ... and a reading below the range lies on a circle or a wall
    if 0.0 < t < max_range:
        hit = o[0] + t * d
        on_circle = any(abs(math.hypot(hit[0] - cx, hit[1] - cy) - r) < 1e-6
                        for cx, cy, r in circles)
        on_wall = len(walls) and segment_distance(hit[None, None], w)[0, 0].min() < 1e-6
        assert on_circle or on_wall
