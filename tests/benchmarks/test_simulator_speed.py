"""Simulator and PPO throughput (opt-in: ``make bench`` or ``pytest -m benchmark --benchmark``)."""

import time

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv

from harness.core.benchmark import publish
from harness.nav.env import NavEnv
from harness.nav.vec_env import NavVecEnv
from harness.spec.loader import load_study
from harness.spec.mixes import load_mixes
from harness.spec.scenarios import load_scenarios
from harness.train import lidar_layout

pytestmark = pytest.mark.benchmark


def steps_per_second(env, n: int, seconds: float = 2.0) -> float:
    env.seed(0)
    env.reset()
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (64, n, 2)).astype(np.float32)
    env.step(actions[0])  # compile / warm up
    steps, start, k = 0, time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        env.step(actions[k % 64])
        steps += n
        k += 1
    return steps / (time.perf_counter() - start)


def test_batched_env_throughput(capsys):
    rows = []
    sims = {**load_scenarios(), **{f"mix:{k}": m for k, m in load_mixes().items()}}
    for name, scenario in sims.items():
        row = {"scenario": name}
        for n in (1, 16, 64, 256):
            row[f"N={n}"] = steps_per_second(NavVecEnv(scenario, n), n)
        dummy = DummyVecEnv([lambda s=scenario: NavEnv(s)] * 64)
        row["dummy N=64"] = steps_per_second(dummy, 64)
        row["ratio@64"] = row["N=64"] / row["dummy N=64"]
        rows.append(row)
    with capsys.disabled():
        publish("env_steps_per_second", rows)
    assert all(r["ratio@64"] > 1.0 for r in rows)


def test_ppo_training_throughput(capsys):
    """PPO env steps per second on one core with the expert's settings: on its mix (what the
    full study trains on) and on crowd alone (the earlier expert's, for comparison)."""
    torch.set_num_threads(1)
    expert = load_study("full").expert
    cfg = expert.ppo  # the study's expert hyperparameters
    rows = []
    for name, scenario in (("mix:" + expert.scenario.name, expert.scenario),
                           ("crowd", load_scenarios()["crowd"])):
        env = NavVecEnv(scenario, cfg.n_envs, seed=0)
        model = PPO("MlpPolicy", env, seed=0, device="cpu",
                    **cfg.sb3_kwargs(lidar_layout(scenario)))
        model.learn(cfg.n_envs * cfg.n_steps)  # warm-up: compile kernels, allocate buffers
        budget = 40 * cfg.n_envs * cfg.n_steps
        start = time.perf_counter()
        model.learn(budget, reset_num_timesteps=False)
        elapsed = time.perf_counter() - start
        rows.append({"scenario": name, "steps": budget, "seconds": elapsed,
                     "steps/s": budget / elapsed, "torch threads": torch.get_num_threads(),
                     "n_envs": cfg.n_envs, "n_steps": cfg.n_steps, "batch": cfg.batch_size,
                     "epochs": cfg.n_epochs, "net_arch": list(cfg.net_arch),
                     "obs dim": scenario.obs_dim})
    with capsys.disabled():
        publish("ppo_steps_per_second", rows)
