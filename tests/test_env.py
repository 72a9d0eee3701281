"""The simulator's two faces: API conformance, episode semantics, determinism, equivalence."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import harness.nav  # noqa: F401  (registers the env ids)
from harness.nav import env_id, observation
from harness.nav.core import NavBatch
from harness.nav.dynamics import step_env
from harness.nav.env import NavEnv, observation_space
from harness.nav.outcomes import (
    OUTCOME_COLLISION,
    OUTCOME_NONE,
    OUTCOME_SUCCESS,
    OUTCOME_TIMEOUT,
    outcome_flags,
    outcome_of_info,
)
from harness.nav.vec_env import NavVecEnv
from harness.spec.scenarios import load_scenarios
from tests.helpers import bare_scenario, place, replay_faces

SCENARIOS = list(load_scenarios())
FORWARD = np.array([1.0, 0.0], dtype=np.float32)


@pytest.mark.parametrize("name", SCENARIOS)
def test_gymnasium_and_sb3_checkers_pass(name):
    env = gym.make(env_id(name)).unwrapped
    gym_check_env(env, skip_render_check=False)
    sb3_check_env(NavEnv(name), warn=True)


def test_at_least_four_families_of_rising_difficulty():
    scenarios = load_scenarios()
    assert len({s.difficulty for s in scenarios.values()}) >= 4
    crowd = scenarios["crowd"]
    assert crowd.pedestrian_count[1] > 0 and crowd.obstacle_count[1] > 0
    assert scenarios["open"].difficulty < crowd.difficulty


def _drive(env: NavEnv, action=FORWARD, limit=1000):
    for _ in range(limit):
        obs, reward, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            return obs, reward, terminated, truncated, info
    raise AssertionError("episode did not end")


def _env_with(**world):
    env = NavEnv(bare_scenario())
    env.reset(seed=0)
    place(env.sim, **world)
    return env


def test_driving_into_an_obstacle_is_a_terminal_collision():
    env = _env_with(obstacle=(12.0, 10.0, 0.5))
    _, reward, terminated, truncated, info = _drive(env)
    assert terminated and not truncated
    assert info["is_collision"] and not info["is_success"] and not info["is_timeout"]
    assert info["collision_with"] == "obstacle"
    assert info["min_clearance"] < 0.0
    assert reward < env.scenario.reward.collision + 1.0


def test_driving_into_a_pedestrian_is_a_terminal_collision():
    env = _env_with(pedestrian=(12.0, 10.0))
    _, _, terminated, _, info = _drive(env)
    assert terminated and info["is_collision"] and info["collision_with"] == "pedestrian"


def test_driving_into_a_wall_is_a_terminal_collision():
    env = _env_with(robot=(18.0, 10.0))
    _, _, terminated, _, info = _drive(env)
    assert terminated and info["is_collision"] and info["collision_with"] == "wall"


def test_reaching_the_goal_is_a_terminal_success_with_bonus():
    env = _env_with(goal=(11.5, 10.0))
    _, reward, terminated, truncated, info = _drive(env)
    assert terminated and not truncated and info["is_success"] and not info["is_collision"]
    assert reward > env.scenario.reward.success
    assert info["path_length"] == pytest.approx(1.5 - env.scenario.goal_radius, abs=0.15)


def test_step_limit_truncates_and_does_not_terminate():
    env = NavEnv(bare_scenario(episode_steps=12))
    env.reset(seed=0)
    place(env.sim)
    for step in range(1, 13):
        _, _, terminated, truncated, info = env.step(np.zeros(2, dtype=np.float32))
        assert not terminated
        assert truncated == (step == 12)
    assert info["is_timeout"] and not info["is_success"] and not info["is_collision"]


def test_progress_reward_is_potential_based():
    """Moving 0.1 m closer earns progress * 0.1 + time: hand-computed for one step at 1 m/s."""
    s = bare_scenario()
    sim = NavBatch(s, 1)
    place(sim, goal=(15.0, 10.0))
    sim.v[0] = 1.0  # already at full speed: one step moves exactly 0.1 m toward the goal
    res = sim.step(np.array([[1.0, 0.0]]))
    assert res.reward[0] == pytest.approx(s.reward.progress * 0.1 + s.reward.time)


def test_acceleration_limits_bound_the_speed_change():
    s = bare_scenario()
    sim = NavBatch(s, 1)
    place(sim)
    sim.step(np.array([[1.0, 1.0]]))
    assert sim.v[0] == pytest.approx(s.robot.max_accel * s.dt)
    assert sim.w[0] == pytest.approx(s.robot.max_angular_accel * s.dt)


def test_info_carries_the_documented_keys():
    env = NavEnv("crowd")
    _, info = env.reset(seed=1)
    _, _, _, _, info = env.step(env.action_space.sample())
    for key in ("is_success", "is_collision", "is_timeout", "path_length", "min_clearance",
                "scenario", "episode_seed"):
        assert key in info
    assert info["scenario"] == "crowd"


def _rollout(env: NavEnv, seed: int, actions: np.ndarray):
    obs, _ = env.reset(seed=seed)
    out = [obs]
    for a in actions:
        obs, r, te, tr, _ = env.step(a)
        out.append(np.append(obs, [r, te, tr]))
        if te or tr:
            break
    return out


@pytest.mark.parametrize("name", SCENARIOS)
def test_same_seed_reproduces_the_same_episode(name):
    actions = np.random.default_rng(0).uniform(-1, 1, (300, 2)).astype(np.float32)
    a = _rollout(NavEnv(name), 123, actions)
    b = _rollout(NavEnv(name), 123, actions)
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", SCENARIOS)
def test_batched_face_equals_single_face(name):
    """Env i of a VecEnv seeded s replays the single env seeded s + i, across auto-resets."""
    n, seed, steps = 4, 77, 400
    rng = np.random.default_rng(1)
    actions = rng.uniform(-1, 1, (steps, n, 2)).astype(np.float32)
    vec = NavVecEnv(name, n)
    vec.seed(seed)
    vobs = vec.reset()
    singles = [NavEnv(name) for _ in range(n)]
    sobs = np.stack([e.reset(seed=seed + i)[0] for i, e in enumerate(singles)])
    np.testing.assert_array_equal(vobs, sobs)
    ended = replay_faces(vec, singles, actions)
    for vi, info, truncated in ended:
        assert vi["TimeLimit.truncated"] == truncated
        assert vi["is_success"] == info["is_success"]
    assert ended  # the comparison crossed at least one auto-reset


def test_observations_stay_inside_the_space():
    vec = NavVecEnv("crowd", 16, seed=3)
    obs = vec.reset()
    space = vec.observation_space
    rng = np.random.default_rng(0)
    for _ in range(200):
        assert all(space.contains(o) for o in obs)
        obs, _, _, _ = vec.step(rng.uniform(-1, 1, (16, 2)))


def test_episode_seed_is_recorded_and_replays():
    env = NavEnv("cluttered")
    env.reset(seed=5)
    env.reset()
    _, info = env.reset()
    seed = info["episode_seed"]
    first = env.sim.observe().copy()
    other = NavEnv("cluttered")
    obs, _ = other.reset(seed=seed)
    np.testing.assert_array_equal(obs, first[0])


def test_step_env_returns_a_new_state_and_leaves_its_input_alone():
    sim = NavBatch(load_scenarios()["crowd"], 4)
    for i in range(4):
        sim.reset(i, 10 + i)
    before = {k: np.copy(getattr(sim.state, k)) for k in sim.state.__slots__}
    new, _ = step_env(sim.state, np.full((4, 2), 0.7), sim.scenario)
    assert new is not sim.state
    for key, value in before.items():
        np.testing.assert_array_equal(getattr(sim.state, key), value)
    assert not np.array_equal(new.pos, sim.state.pos)
    assert not np.array_equal(new.ped_pos, sim.state.ped_pos)


def test_observation_layout_has_one_definition():
    s = load_scenarios()["crowd"]
    space = observation_space(s)
    layout = (s.lidar.rays, s.lidar.history, s.observation.waypoint)
    assert space.shape == (s.obs_dim,) == (observation.observation_dim(*layout),)
    assert len(observation.observation_fields(*layout)) == (
        s.lidar.history + len(observation.WAYPOINT) * s.observation.waypoint
        + len(observation.TAIL))
    assert space.low[observation.GOAL_DISTANCE] == 0.0
    assert space.low[observation.GOAL_SIN] == -1.0


@pytest.mark.parametrize("code, name", [(OUTCOME_SUCCESS, "success"),
                                        (OUTCOME_COLLISION, "collision"),
                                        (OUTCOME_TIMEOUT, "timeout")])
def test_outcome_names_and_info_flags_agree(code, name):
    flags = outcome_flags(code)
    assert sum(flags.values()) == 1
    assert outcome_of_info(flags) == name
    assert not any(outcome_flags(OUTCOME_NONE).values())
