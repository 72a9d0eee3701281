"""Training: configured hyperparameters are the ones in effect; same seed, same numbers."""

import json
from dataclasses import replace

import pytest

from harness.core.store import Store
from harness.spec.loader import load_study
from harness.spec.ppo import PPOConfig
from harness.spec.scenarios import load_scenario
from harness.stages.expert.build import train_expert_seed
from harness.train import RunSeeds, build_ppo, check_hyperparameters, effective_hyperparameters

SEEDS = RunSeeds.of("expert_training", "expert", 0)


def test_every_configured_hyperparameter_is_in_effect():
    cfg = PPOConfig(n_envs=8, n_steps=32, batch_size=64, n_epochs=3, learning_rate=1.234e-4,
                    gamma=0.97, gae_lambda=0.9, clip_range=0.15, ent_coef=0.01, vf_coef=0.7,
                    max_grad_norm=0.9, net_arch=(32, 16), activation="relu", log_std_init=-0.5)
    model = build_ppo(cfg, load_scenario("open"), SEEDS, None)
    got = check_hyperparameters(model, cfg)
    assert got["optimizer_lr"] == [1.234e-4] and got["net_arch"] == [32, 16]
    assert got["log_std"] == pytest.approx(-0.5)


def test_a_learning_rate_set_after_construction_is_caught():
    """Setting model.learning_rate does not reach SB3's lr_schedule (DESIGN.md section 6)."""
    cfg = PPOConfig(n_envs=4, n_steps=16, batch_size=64)
    model = build_ppo(cfg, load_scenario("open"), SEEDS, None)
    model.learning_rate = 1e-5
    assert effective_hyperparameters(model)["learning_rate"] == cfg.learning_rate
    with pytest.raises(ValueError, match="learning_rate"):
        check_hyperparameters(model, replace(cfg, learning_rate=1e-5))


def test_training_without_tensorboard_leaves_nothing_in_the_temp_folder(tmp_path, monkeypatch):
    """SB3's default logger makes an empty ``SB3-<time>`` folder in the temp folder at every
    ``learn()`` without TensorBoard: a study's tests left dozens behind."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    cfg = PPOConfig(n_envs=4, n_steps=16, batch_size=64, n_epochs=1)
    build_ppo(cfg, load_scenario("open"), SEEDS, None).learn(64)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("SB3-")] == []


@pytest.mark.training
def test_same_spec_and_seed_reproduce_the_same_numbers(tmp_path):
    smoke = load_study("smoke").expert
    spec = replace(smoke, budget=30_720, eval=replace(smoke.eval, every=10_240))
    a = train_expert_seed(spec, 7, Store(tmp_path / "a"))
    b = train_expert_seed(spec, 7, Store(tmp_path / "b"))
    assert a.id == b.id
    assert a.metrics["final_eval"] == b.metrics["final_eval"]
    assert a.file("learning_curve.json").read_text().count("success_rate") > 1
    assert _curve(a) == _curve(b)


def _curve(artifact):
    rows = json.loads(artifact.file("learning_curve.json").read_text())
    return [(r["timesteps"], r["success_rate"], r["return"]) for r in rows]


def test_evaluations_run_on_the_grid_each_on_its_own_episode_set(tmp_path):
    """Audit finding 2: evaluations at 0, E, 2E, ... up to the budget, none off the grid at the
    end, and never the same episodes twice (k passes on one set would be one sample)."""
    from harness.spec.common import EvalSchedule, Thresholds
    from harness.train import RunSeeds, Target, train_run

    cfg = PPOConfig(n_envs=8, n_steps=32, batch_size=128, n_epochs=1)
    seeds = RunSeeds.of("comparison_training", "baseline", 5)
    model = build_ppo(cfg, load_scenario("open"), seeds, None)
    schedule = EvalSchedule(every=512, episodes=6, purpose="comparison_periodic_eval", n_envs=8)
    result = train_run(model, load_scenario("open"), 1_800, schedule,
                       Target(Thresholds(0.9, 0.05), 2, early_stop=False), tmp_path, seeds)
    assert [r["timesteps"] for r in result.curve] == [0, 512, 1024, 1536]
    sets = [tuple(r["episode_seeds"]) for r in result.curve]
    assert len(set(sets)) == 4 and all(b[0] == a[1] for a, b in zip(sets, sets[1:], strict=False))
    assert result.episode_seeds["training"]["start"] == seeds.block.start


@pytest.mark.training
def test_a_mix_expert_is_evaluated_and_converges_per_family(tmp_path):
    """Issue 11: every periodic and final evaluation of a mix expert reports each family on its
    own episodes; convergence needs every family at the thresholds."""
    from harness.spec.mixes import load_mix
    from harness.stages.expert.records import ExpertRunMetrics
    from harness.train import at_target

    full = load_study("full").expert
    mix = load_mix("all")
    spec = replace(full, ppo=replace(full.ppo, n_envs=8, n_steps=32, batch_size=128,
                                     n_epochs=1),
                   budget=512, eval=replace(full.eval, every=256, episodes=4, n_envs=8)
                   .for_mix(mix), final_episodes=6)
    run = train_expert_seed(spec, 0, Store(tmp_path))
    m = ExpertRunMetrics.from_json(run.metrics)
    assert set(m.final_by_family) == set(mix.family_names)
    assert all(f.episodes == 6 for f in m.final_by_family.values())
    assert m.final_eval.episodes == 30
    rows = json.loads(run.file("learning_curve.json").read_text())
    assert [r["timesteps"] for r in rows] == [0, 256, 512]
    assert all(set(r["families"]) == set(mix.family_names) for r in rows)
    assert all(f["episodes"] == 4 for r in rows for f in r["families"].values())
    # windows are disjoint and of the reserved size
    windows = [tuple(r["episode_seeds"]) for r in rows]
    assert all(b - a == spec.eval.reserved for a, b in windows)
    assert all(b[0] == a[1] for a, b in zip(windows, windows[1:], strict=False))
    # convergence holds only when every family does
    row = {**rows[0], "success_rate": 1.0, "collision_rate": 0.0,
           "families": {k: {**v, "success_rate": 1.0, "collision_rate": 0.0}
                        for k, v in rows[0]["families"].items()}}
    gate = full.convergence.thresholds
    assert at_target(row, gate)
    row["families"]["doorway"]["success_rate"] = 0.5
    assert not at_target(row, gate)
    final = json.loads(run.file("final_eval.json").read_text())
    assert {k: len(v) for k, v in final["family_seeds"].items()} == dict.fromkeys(
        mix.family_names, 6)
