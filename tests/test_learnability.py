"""SB3 PPO learns the easiest scenario within a budget small enough for the default test run."""

import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.logger import Logger

from harness.evaluate import evaluate
from harness.nav.vec_env import NavVecEnv
from harness.spec.scenarios import load_scenario

BUDGET = 200_000  # environment steps; about 10 s on one core


@pytest.mark.training
def test_ppo_reaches_90_percent_success_on_open():
    scenario = load_scenario("open")
    env = NavVecEnv(scenario, 64, seed=0)
    model = PPO("MlpPolicy", env, n_steps=64, batch_size=1024, n_epochs=5, learning_rate=3e-4,
                seed=0, device="cpu")
    model.set_logger(Logger(folder=None, output_formats=[]))  # no SB3-<time> folder in /tmp
    model.learn(BUDGET)
    result = evaluate(model, scenario, seeds=range(1_000_000, 1_000_100))
    assert result.success_rate >= 0.90, result
