"""Small hand-built worlds for tests whose expected values can be computed by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from harness.nav.core import NavBatch
from harness.nav.geometry import FAR
from harness.nav.scenario import Scenario


def bare_scenario(**overrides) -> Scenario:
    """A 20 x 20 m arena, one obstacle and one pedestrian slot, long episodes."""
    base = Scenario(name="bare", difficulty=0, arena=(20.0, 20.0), episode_steps=500,
                    goal_distance=(2.0, 5.0), obstacle_count=(0, 1), pedestrian_count=(0, 1))
    return replace(base, **overrides)


def place(sim: NavBatch, i: int = 0, *, robot=(10.0, 10.0), heading: float = 0.0,
          goal=(18.0, 18.0), obstacle=None, pedestrian=None) -> None:
    """Overwrite slot ``i`` with a hand-made world (no obstacle/pedestrian unless given)."""
    sim.reset(i, 0)
    sim.pos[i] = robot
    sim.theta[i] = heading
    sim.v[i] = sim.w[i] = 0.0
    sim.goal[i] = goal
    sim.goal_dist[i] = float(np.hypot(*(np.asarray(goal) - np.asarray(robot))))
    sim.potential[i] = sim.goal_dist[i]  # an open world: the geodesic is the straight line
    sim.obstacles[i] = 0.0
    sim.obstacles[i, :, 0] = FAR
    if obstacle is not None:
        sim.obstacles[i, 0] = obstacle
    sim.ped_mask[i] = False
    sim.ped_pos[i] = 0.0
    sim.ped_pos[i, :, 0] = FAR
    sim.ped_vel[i] = 0.0
    if pedestrian is not None:
        sim.ped_mask[i, 0] = True
        sim.ped_pos[i, 0] = pedestrian
        sim.ped_goal[i, 0] = pedestrian
        sim.ped_origin[i, 0] = pedestrian
        sim.ped_speed[i, 0] = 0.0
    sim.min_clearance[i] = np.inf


def replay_faces(vec, singles: list, actions: np.ndarray, reset_single=None) -> list[tuple]:
    """Step a VecEnv and one single env per slot with the same actions, asserting that rewards,
    dones, observations and terminal observations agree bit for bit across auto-resets.

    ``reset_single(i, env)`` restarts single env ``i`` when its episode ends (default: plain
    ``reset()``, which continues its own seed stream). Returns ``(vec info, single info,
    truncated)`` of every episode that ended, for the caller's own checks."""
    ended = []
    for t in range(len(actions)):
        vobs, vrew, vdone, vinfo = vec.step(actions[t])
        for i, env in enumerate(singles):
            obs, rew, te, tr, info = env.step(actions[t, i])
            assert np.float32(rew) == vrew[i]
            assert (te or tr) == vdone[i]
            if te or tr:
                np.testing.assert_array_equal(vinfo[i]["terminal_observation"], obs)
                ended.append((vinfo[i], info, tr))
                obs, _ = reset_single(i, env) if reset_single else env.reset()
            np.testing.assert_array_equal(vobs[i], obs)
    return ended
