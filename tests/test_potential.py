"""The progress potential (issue 11): geodesic around a doorway's wall, Euclidean elsewhere; and
the lidar history in the observation. Expected values are hand-computed."""

from dataclasses import replace

import numpy as np
import pytest

from harness.nav.core import NavBatch
from harness.nav.env import NavEnv
from harness.nav.generator import sample_episode
from harness.nav.kernels import geodesic_distance, geodesic_path
from harness.nav.observation import (
    WAYPOINT_COS,
    WAYPOINT_DISTANCE,
    WAYPOINT_SIN,
    observation_dim,
    observation_fields,
)
from harness.nav.state import NO_PASSAGE, inset_passage
from harness.nav.vec_env import NavVecEnv
from harness.spec.scenarios import load_scenarios
from tests.helpers import replay_faces

DOOR = np.array([5.0, 4.6, 5.0, 5.4])  # a wall at x = 5 whose drivable opening is y in [4.6, 5.4]


def geodesic(p, g, passage=DOOR) -> float:
    return float(geodesic_distance(np.array([p], float), np.array([g], float),
                                   np.array([passage], float))[0])


def with_potential(name: str, potential: str = "geodesic", history: int = 1,
                   waypoint: bool = False, passage_margin: float = 0.0):
    s = load_scenarios()[name]
    return replace(s, reward=replace(s.reward, potential=potential,
                                     passage_margin=passage_margin),
                   lidar=replace(s.lidar, history=history),
                   observation=replace(s.observation, waypoint=waypoint))


@pytest.mark.parametrize("p, g", [((2.0, 5.0), (8.0, 5.0)), ((2.0, 9.0), (8.0, 1.0)),
                                  ((1.0, 1.0), (3.0, 8.0)), ((7.0, 2.0), (9.0, 9.0))])
def test_geodesic_is_euclidean_when_the_line_crosses_the_opening_or_stays_on_one_side(p, g):
    assert geodesic(p, g) == np.hypot(g[0] - p[0], g[1] - p[1])  # bit for bit


@pytest.mark.parametrize("p, g", [((2.0, 5.0), (8.0, 1.0)), ((1.0, 1.0), (9.0, 9.0))])
def test_geodesic_is_euclidean_on_open_layouts(p, g):
    assert geodesic(p, g, NO_PASSAGE) == np.hypot(g[0] - p[0], g[1] - p[1])  # bit for bit


@pytest.mark.parametrize("p, g, corner", [((2.0, 1.0), (8.0, 1.0), (5.0, 4.6)),
                                          ((8.0, 9.0), (2.0, 6.0), (5.0, 5.4)),
                                          ((4.5, 0.5), (5.5, 2.0), (5.0, 4.6))])
def test_geodesic_goes_over_the_nearer_end_of_the_opening_otherwise(p, g, corner):
    expected = np.hypot(*np.subtract(corner, p)) + np.hypot(*np.subtract(g, corner))
    assert geodesic(p, g) == pytest.approx(expected, abs=1e-12)
    assert geodesic(p, g) > np.hypot(*np.subtract(g, p))


def test_geodesic_is_continuous_across_the_doorway():
    """Driving through the opening (and along the wall up to it) changes the potential by no
    more than the distance driven: it is 1-Lipschitz, with no jump at the wall's line."""
    goal = (8.0, 1.0)
    xs = np.linspace(2.0, 8.0, 6001)
    for y in (4.6, 5.0, 5.4):
        phi = np.array([geodesic((x, y), goal) for x in xs])
        assert np.all(np.abs(np.diff(phi)) <= np.diff(xs) + 1e-9)
    ys = np.linspace(0.5, 4.6, 4101)
    phi = np.array([geodesic((4.9, y), goal) for y in ys])
    assert np.all(np.abs(np.diff(phi)) <= np.diff(ys) + 1e-9)


def test_the_opening_is_inset_by_the_robot_radius():
    np.testing.assert_allclose(inset_passage(np.array([5.0, 4.4, 5.0, 5.6]), 0.2), DOOR)
    np.testing.assert_allclose(inset_passage(np.array([5.0, 4.9, 5.0, 5.1]), 0.2),
                               [5.0, 5.0, 5.0, 5.0])


def test_doorway_layout_names_its_opening_and_others_none():
    s = load_scenarios()["doorway"]
    for seed in range(20):
        ep = sample_episode(s, seed)
        x0, y0, x1, y1 = ep.passage
        assert x0 == x1 == s.arena[0] / 2 and y1 - y0 == pytest.approx(s.layout_width)
        walls_on_line = ep.walls[(ep.walls[:, 0] == x0) & (ep.walls[:, 2] == x0)]
        assert sorted(walls_on_line[:, 3].tolist()) == pytest.approx([y0, s.arena[1]])
    assert sample_episode(load_scenarios()["corridor"], 0).passage is None


@pytest.mark.parametrize("name, potential", [("doorway", "geodesic"), ("doorway", "euclidean"),
                                             ("crowd", "geodesic")])
def test_progress_terms_telescope_over_an_episode(name, potential):
    """Sum of the progress terms = potential at the start - potential at the end, and the
    potential at the start is the geodesic of the layout (longer than the straight line when
    the doorway is not on the way)."""
    s = with_potential(name, potential)
    sim = NavBatch(s, 1)
    rng = np.random.default_rng(0)
    for seed in range(5):
        sim.reset(0, seed)
        phi0 = float(sim.potential[0])
        assert phi0 >= sim.goal_dist[0] - 1e-12
        progress = 0.0
        for _ in range(s.episode_steps):
            obs = sim.observe()
            seek = np.array([[obs[0, -3], 3.0 * obs[0, -4]]]) + 0.3 * rng.normal(size=(1, 2))
            res = sim.step(seek)
            w = s.reward
            bonus = (w.success * (res.outcome[0] == 1) + w.collision * (res.outcome[0] == 2))
            progress += float(res.reward[0]) - w.time - bonus
            if res.terminated[0] or res.truncated[0]:
                break
        assert progress == pytest.approx(w.progress * (phi0 - float(sim.potential[0])),
                                         abs=1e-9)


def test_doorway_start_potential_exceeds_the_straight_line_when_the_door_is_off_the_way():
    s = with_potential("doorway")
    sim = NavBatch(s, 1)
    longer = 0
    for seed in range(50):
        sim.reset(0, seed)
        assert sim.potential[0] >= sim.goal_dist[0] - 1e-12
        longer += sim.potential[0] > sim.goal_dist[0] + 1e-6
    assert longer > 10


@pytest.mark.parametrize("name", ["doorway", "crowd"])
def test_faces_replay_each_other_with_geodesic_potential_and_lidar_history(name):
    s = with_potential(name, history=3, waypoint=True, passage_margin=0.2)
    n, seed = 3, 11
    actions = np.random.default_rng(2).uniform(-1, 1, (400, n, 2)).astype(np.float32)
    vec = NavVecEnv(s, n)
    vec.seed(seed)
    vobs = vec.reset()
    singles = [NavEnv(s) for _ in range(n)]
    sobs = np.stack([e.reset(seed=seed + i)[0] for i, e in enumerate(singles)])
    np.testing.assert_array_equal(vobs, sobs)
    assert replay_faces(vec, singles, actions)


def test_lidar_history_stacks_the_previous_scans_newest_first():
    s = with_potential("crowd", history=3)
    rays = s.lidar.rays
    assert s.obs_dim == observation_dim(rays, 3) == 3 * rays + 5
    assert len(observation_fields(rays, 3)) == 3 + 5
    env = NavEnv(s)
    obs0, _ = env.reset(seed=4)
    assert env.observation_space.contains(obs0)
    np.testing.assert_array_equal(obs0[rays:2 * rays], obs0[:rays])  # the start repeats
    np.testing.assert_array_equal(obs0[2 * rays:3 * rays], obs0[:rays])
    obs1, *_ = env.step(np.array([1.0, 0.5], dtype=np.float32))
    obs2, *_ = env.step(np.array([1.0, 0.5], dtype=np.float32))
    np.testing.assert_array_equal(obs2[rays:2 * rays], obs1[:rays])
    np.testing.assert_array_equal(obs2[2 * rays:3 * rays], obs0[:rays])
    np.testing.assert_array_equal(obs2[3 * rays:], obs2[-5:])


def test_passage_margin_insets_the_opening_further():
    s = with_potential("doorway", passage_margin=0.2)
    sim = NavBatch(s, 1)
    sim.reset(0, 3)
    opening = sample_episode(s, 3).passage
    np.testing.assert_allclose(sim.passage[0], inset_passage(opening, 0.4))


def test_waypoint_is_the_goal_unless_the_path_goes_over_the_door_frame():
    path = geodesic_path(np.array([[2.0, 1.0], [2.0, 5.0]]), np.array([[8.0, 1.0], [8.0, 5.0]]),
                         np.array([DOOR, DOOR]))
    np.testing.assert_allclose(path[:, 1:], [[5.0, 4.6], [8.0, 5.0]])


@pytest.mark.parametrize("name", ["crowd", "doorway"])
def test_waypoint_entries_sit_before_the_tail(name):
    """On an open layout they repeat the goal entries; in a doorway they point at the door
    frame whenever the potential exceeds the straight line."""
    s = with_potential(name, waypoint=True)
    assert s.obs_dim == observation_dim(s.lidar.rays, 1, True) == s.lidar.rays + 8
    assert observation_fields(s.lidar.rays, 1, True)[1] == "path_length / arena_diagonal"
    env = NavEnv(s)
    detours = 0
    for seed in range(20):
        obs, _ = env.reset(seed=seed)
        assert env.observation_space.contains(obs)
        wp = obs[[WAYPOINT_DISTANCE, WAYPOINT_SIN, WAYPOINT_COS]]
        goal = obs[[-5, -4, -3]]
        detour = env.sim.potential[0] > env.sim.goal_dist[0]
        detours += detour
        if not detour:
            np.testing.assert_allclose(wp, goal, atol=1e-6)
        else:
            assert wp[0] > goal[0]
    assert (detours > 0) == (name == "doorway")
