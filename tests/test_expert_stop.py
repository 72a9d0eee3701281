"""The expert's early stop (issue 21): its margin bounds how often a stopped run then fails the
promotion gate, computed and checked by simulating policies of known true rates through the
evaluation schedule; and the policy's lidar proximity features."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import yaml
from stable_baselines3 import PPO

from harness.nav.features import LidarProximity
from harness.spec.common import Thresholds
from harness.spec.errors import SpecError
from harness.spec.loader import load_study, study_file
from harness.spec.ppo import PPOConfig
from harness.stats import allowed_count, early_stop_risk, first_sustained, sustained_probability
from harness.train import RunSeeds, Target, build_ppo, check_hyperparameters


def simulate(p: float, stop_level: float, limit: float, episodes: int, final: int, k: int,
             evaluations: int, runs: int, rng: np.random.Generator) -> float:
    """Monte Carlo of P(stop fires, then the gate fails) for a policy whose true collision rate
    is ``p``: each evaluation its own ``episodes`` episodes, the gate ``final`` fresh ones."""
    counts = rng.binomial(episodes, p, size=(runs, evaluations))
    gate = rng.binomial(final, p, size=runs)
    stop_k, gate_k = allowed_count(stop_level, episodes, True), allowed_count(limit, final, True)
    stopped = np.array([first_sustained(row <= stop_k, k) is not None for row in counts])
    return float(np.mean(stopped & (gate > gate_k)))


def test_sustained_probability_is_exact():
    rng = np.random.default_rng(0)
    passes = rng.random((200_000, 10)) < 0.6
    mc = np.mean([first_sustained(r, 3) is not None for r in passes])
    assert sustained_probability(0.6, 3, 10) == pytest.approx(mc, abs=0.005)
    assert sustained_probability(0.6, 3, 2) == 0.0
    assert sustained_probability(1.0, 3, 3) == pytest.approx(1.0)


def test_allowed_counts_follow_the_rate_comparisons():
    assert allowed_count(0.05, 200, True) == 10     # 10/200 = 0.05 passes, 11 does not
    assert allowed_count(0.02, 200, True) == 4
    assert allowed_count(0.90, 200, False) == 20    # 180/200 successes pass
    assert allowed_count(0.95, 200, False) == 10


def test_a_stop_at_the_gate_promotes_a_marginal_policy_and_the_margin_prevents_it():
    rng = np.random.default_rng(1)
    at_gate, p_gate = early_stop_risk(0.05, 0.05, True, 200, 200, 3, 25)
    margin, p_margin = early_stop_risk(0.05, 0.02, True, 200, 200, 3, 25)
    assert at_gate > 0.35 and margin < 0.02
    # the analytic worst case is what a policy of that true rate does through the schedule
    for p, stop, risk in ((p_gate, 0.05, at_gate), (p_margin, 0.02, margin)):
        mc = simulate(p, stop, 0.05, 200, 200, 3, 25, 40_000, rng)
        assert mc == pytest.approx(risk, abs=4 * np.sqrt(risk * (1 - risk) / 40_000) + 1e-3)


def test_the_full_studys_stop_margin_holds_its_declared_bound():
    expert = load_study("full").expert
    conv, evaluations = expert.convergence, len(expert.eval.grid(expert.budget))
    assert conv.early_stop and conv.stop_at is not None
    collision, _ = early_stop_risk(expert.promotion.collision, conv.stop_at.collision, True,
                                   expert.eval.episodes, expert.final_episodes,
                                   conv.consecutive, evaluations)
    success, _ = early_stop_risk(expert.promotion.success, conv.stop_at.success, False,
                                 expert.eval.episodes, expert.final_episodes,
                                 conv.consecutive, evaluations)
    assert collision <= 0.015 and success <= 0.01   # the spec's comment: 0.013 and 0.005


def test_the_early_stop_waits_for_its_own_levels_and_convergence_does_not():
    gate, strict = Thresholds(0.90, 0.05), Thresholds(0.95, 0.02)
    row = lambda s, c: {"success_rate": s, "collision_rate": c}  # noqa: E731
    marginal = [row(0.93, 0.04)] * 3
    target = Target(gate, 3, early_stop=True, stop_at=strict)
    assert first_sustained([gate.met(r["success_rate"], r["collision_rate"]) for r in marginal],
                           3) == 0  # converged
    assert not target.stops(marginal)
    assert target.stops(marginal + [row(0.97, 0.01)] * 3)
    assert Target(gate, 3, early_stop=True).stops(marginal)
    assert not Target(gate, 3, early_stop=False, stop_at=strict).stops([row(1, 0)] * 3)
    # of a mix, every family must be inside the stop levels
    mix = {"families": {"a": row(1.0, 0.0), "b": row(0.97, 0.03)}}
    assert not target.stops([mix] * 3)


def test_a_stop_level_weaker_than_convergence_is_refused(tmp_path):
    raw = yaml.safe_load(study_file().read_text())
    raw["expert"]["convergence"]["stop_at"] = {"success": 0.85, "collision": 0.02}
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(raw))
    with pytest.raises(SpecError) as err:
        load_study("full", p)
    assert err.value.field == "expert.convergence.stop_at" and str(p) in str(err.value)


def test_lidar_proximity_features_are_the_observation_plus_near_range_readings():
    import gymnasium as gym

    space = gym.spaces.Box(0.0, 1.0, (6,), np.float32)
    ext = LidarProximity(space, lidar_entries=4, max_range=5.0, scale=0.5)
    obs = torch.tensor([[0.04, 0.2, 1.0, 0.5, 0.3, 0.7]])
    out = ext(obs)
    assert out.shape == (1, 10) and ext.features_dim == 10
    assert torch.equal(out[:, :6], obs)
    # a reading of 0.2 m (contact for a 0.2 m robot) -> exp(-0.4); 1 m -> exp(-2); range -> ~0
    np.testing.assert_allclose(out[0, 6:].numpy(),
                               np.exp(-np.array([0.2, 1.0, 5.0, 2.5]) / 0.5), rtol=1e-6)
    with pytest.raises(ValueError, match="lidar_entries"):
        LidarProximity(space, lidar_entries=7, max_range=5.0, scale=0.5)


def test_the_policy_reads_the_features_and_keeps_them_through_save_and_load(tmp_path):
    study = load_study("full")
    cfg = PPOConfig(n_envs=4, n_steps=16, batch_size=64, lidar_proximity=0.5)
    model = build_ppo(cfg, study.expert.scenario, RunSeeds.of("expert_training", "expert", 0),
                      None)
    ext = model.policy.features_extractor
    lidar = study.expert.scenario.lidar
    assert isinstance(ext, LidarProximity) and ext.lidar_entries == lidar.rays * lidar.history
    assert ext.max_range == lidar.range
    assert check_hyperparameters(model, cfg)["lidar_proximity"] == 0.5
    with pytest.raises(ValueError, match="lidar_proximity"):
        check_hyperparameters(model, PPOConfig(n_envs=4, n_steps=16, batch_size=64))
    model.save(tmp_path / "m.zip")
    loaded = PPO.load(tmp_path / "m.zip", device="cpu")
    obs = np.random.default_rng(0).random((3, model.observation_space.shape[0]), np.float32)
    np.testing.assert_array_equal(loaded.predict(obs, deterministic=True)[0],
                                  model.predict(obs, deterministic=True)[0])
    assert isinstance(loaded.policy.features_extractor, LidarProximity)
    with pytest.raises(ValueError, match="needs a lidar"):
        cfg.sb3_kwargs(None)
