"""Degraded demonstrators (issue 24): a declared share of random actions, a deterministic
function of the observation, whose recorded quality matches its own evaluation and whose
datasets validate and replay like the expert's."""

import gymnasium as gym
import numpy as np
import pytest

from harness.core.store import git_state, now_iso
from harness.evaluate import run_episodes
from harness.nav.env import action_space
from harness.seeds import SeedRange, disjoint_pairs, recording_seeds
from harness.spec.scenarios import load_scenario
from harness.stages.dataset.demonstrator import DegradedPolicy, Demonstrator, measure_quality
from harness.stages.dataset.record import collect, write_dataset
from harness.stages.dataset.validate import validate_dataset
from harness.stats import wilson_interval
from tests.dataset_helpers import GoToGoal


def _obs(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 37), dtype=np.float32)


def test_the_share_of_random_actions_is_the_declared_epsilon():
    obs = _obs(20_000)
    base, _ = GoToGoal().predict(obs)
    acts, _ = DegradedPolicy(GoToGoal(), action_space(), 0.3, "d").predict(obs)
    changed = np.any(acts != base, axis=1).mean()
    assert changed == pytest.approx(0.3, abs=0.015)
    assert np.all(acts >= -1.0) and np.all(acts <= 1.0)
    same, _ = DegradedPolicy(GoToGoal(), action_space(), 0.0, "d").predict(obs)
    assert np.array_equal(same, base)


def test_its_actions_depend_on_the_observation_alone_not_on_the_batch():
    """What makes an episode depend only on its seed in the batched runner."""
    obs = _obs(64, seed=1)
    policy = DegradedPolicy(GoToGoal(), action_space(), 0.5, "d")
    whole, _ = policy.predict(obs)
    order = np.random.default_rng(2).permutation(64)
    shuffled, _ = policy.predict(obs[order])
    assert np.array_equal(shuffled, whole[order])
    one_by_one = np.concatenate([policy.predict(o[None])[0] for o in obs])
    assert np.array_equal(one_by_one, whole)
    other, _ = DegradedPolicy(GoToGoal(), action_space(), 0.5, "e").predict(obs)
    assert not np.array_equal(other, whole)  # each demonstrator its own randomness


def test_a_discrete_demonstrator_draws_from_its_actions():
    class Zero:
        def predict(self, obs, state=None, episode_start=None, deterministic=True):
            return np.zeros(len(obs), dtype=np.int64), None

    acts, _ = DegradedPolicy(Zero(), gym.spaces.Discrete(3), 1.0, "d").predict(_obs(3000))
    assert set(np.unique(acts)) == {0, 1, 2}


def test_recorded_quality_matches_its_own_evaluation_and_the_dataset_validates(tmp_path):
    """Recorded on the scenario it is measured on, the demonstrator's episodes succeed at a
    rate inside its evaluation's interval (two disjoint sets of the same policy), and its
    dataset passes validation, replay included."""
    scenario = load_scenario("open")
    demo = Demonstrator("weak", epsilon=0.6, quality_episodes=200)
    policy = DegradedPolicy(GoToGoal(), action_space(), demo.epsilon, demo.name)
    quality = measure_quality(policy, scenario, demo, deterministic=True, n_envs=32)
    clean = run_episodes(GoToGoal(), scenario, demo.quality_set().seeds(), n_envs=32).summary()
    assert quality.success_rate < clean.success_rate  # degraded, measurably

    seeds = recording_seeds("demonstrator0", 200).seeds()
    episodes = collect(policy, [scenario], seeds, deterministic=True, n_envs=32)
    recorded = np.mean([e.outcome == "success" for e in episodes])
    lo, hi = wilson_interval(round(quality.success_rate * 200), 200, level=0.99)
    assert lo <= recorded <= hi, (recorded, quality.success_rate)

    provenance = {"created": now_iso(), "seeds": seeds, "git": git_state(),
                  "expert": {"id": "scripted-go-to-goal", "manifest_sha256": "n/a"},
                  "deterministic_actions": True,
                  "demonstrator": {**demo.config(), "quality": quality.to_json()}}
    write_dataset(tmp_path, "harness/nav-weak-v0", episodes[:40], [scenario],
                  {**provenance, "seeds": seeds[:40]})
    report = validate_dataset(tmp_path, min_episodes=40)
    assert report.ok, report.text()
    assert "replay" in report.checks_run


def test_a_demonstrator_without_its_measured_quality_fails_validation(tmp_path):
    scenario = load_scenario("open")
    seeds = list(range(5000, 5010))
    episodes = collect(GoToGoal(), [scenario], seeds, deterministic=True, n_envs=8)
    provenance = {"created": now_iso(), "seeds": seeds, "git": git_state(),
                  "expert": {"id": "scripted", "manifest_sha256": "n/a"},
                  "deterministic_actions": True,
                  "demonstrator": {"name": "weak", "epsilon": 1.5}}
    write_dataset(tmp_path, "harness/nav-weak-v0", episodes, [scenario], provenance)
    report = validate_dataset(tmp_path, min_episodes=1)
    assert not report.ok
    text = report.text()
    assert "demonstrator.epsilon" in text and "demonstrator.quality" in text


def test_demonstrator_seeds_are_their_own():
    """Quality sets and recording blocks of demonstrators are disjoint from every other
    purpose's and from each other's."""
    demo = Demonstrator("a", 0.2, 500)
    ranges = [("quality", demo.quality_set())]
    ranges += [(f"demonstrator{k}", recording_seeds(f"demonstrator{k}", 200)) for k in range(8)]
    ranges += [("dataset", recording_seeds("dataset", 200))]
    assert not disjoint_pairs(ranges)
    assert all(isinstance(r, SeedRange) for _, r in ranges)
