"""Episode generator: every sampled world satisfies the scenario's constraints."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.nav.generator import sample_episode
from harness.nav.geometry import FAR, segment_distance
from harness.spec.scenarios import load_scenarios

SCENARIOS = load_scenarios()


@pytest.mark.parametrize("name", list(SCENARIOS))
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**40))
def test_sampled_worlds_respect_the_scenario(name, seed):
    s = SCENARIOS[name]
    ep = sample_episode(s, seed)
    rr = s.robot.radius
    d = float(np.hypot(*(ep.goal - ep.start)))
    assert s.goal_distance[0] - 1e-9 <= d <= s.goal_distance[1] + 1e-9
    obs = ep.obstacles[ep.obstacles[:, 0] < FAR / 2]
    assert s.obstacle_count[0] <= len(obs) <= s.obstacle_count[1]
    walls = ep.walls[None]
    for x, y, r in obs:
        assert np.hypot(x - ep.start[0], y - ep.start[1]) >= r + rr + 0.5 - 1e-9
        assert np.hypot(x - ep.goal[0], y - ep.goal[1]) >= r + s.goal_radius - 1e-9
    for i in range(len(obs)):  # any slot between two obstacles is wide enough to drive through
        for j in range(i + 1, len(obs)):
            gap = np.hypot(*(obs[i, :2] - obs[j, :2])) - obs[i, 2] - obs[j, 2]
            assert gap >= 5 * rr - 1e-9
    start_wall = segment_distance(ep.start[None, None], walls).min()
    assert start_wall >= rr + 0.2 - 1e-9
    peds = ep.ped_pos[ep.ped_mask]
    assert s.pedestrian_count[0] <= len(peds) <= s.pedestrian_count[1]
    for p in peds:
        assert np.hypot(*(p - ep.start)) >= rr + s.pedestrian_radius + 1.5 - 1e-9


def test_doorway_puts_start_and_goal_on_opposite_sides():
    s = SCENARIOS["doorway"]
    for seed in range(50):
        ep = sample_episode(s, seed)
        mid = s.arena[0] / 2
        assert (ep.start[0] - mid) * (ep.goal[0] - mid) < 0
