"""The study spec: profiles resolve; bad values name the file, the field and the expectation."""

import pytest
import yaml

from harness.nav.seeding import SEED_BOUND
from harness.spec.errors import SpecError
from harness.spec.loader import load_study, study_file

BASE = yaml.safe_load(study_file().read_text())


@pytest.mark.parametrize("profile", ["smoke", "full"])
def test_profiles_load(profile):
    study = load_study(profile)
    assert len(study.expert.seeds) >= 3 and study.expert.final_episodes >= 200
    assert study.config_hash == load_study(profile).config_hash


def test_full_profile_trains_one_expert_on_the_whole_mix_gated_per_family():
    study = load_study("full")
    expert = study.expert
    assert expert.is_mix and expert.scenario.name == "all"
    assert set(expert.family_names) == {"open", "cluttered", "corridor", "doorway", "crowd"}
    assert expert.convergence.thresholds.success == 0.90
    assert expert.convergence.thresholds.collision == 0.05
    assert expert.gate_config()["promotion"]["per_family"] is True
    # each family gets its own final episodes out of the reserved window
    picked = expert.scenario.pick(expert.final_set().seeds(), expert.final_episodes)
    assert all(len(v) == expert.final_episodes for v in picked.values())
    # the dataset follows the expert onto the mix by default
    assert study.dataset.mix is expert.scenario
    assert [s.name for s in study.dataset.scenarios] == list(expert.family_names)


def test_expert_names_a_scenario_or_a_mix_never_both(tmp_path):
    with pytest.raises(SpecError, match="expert.scenario.*exactly one of 'scenario'"):
        load_study("full", _write(tmp_path, lambda d: d["expert"].update(scenario="crowd")))
    with pytest.raises(SpecError, match="expert.mix.*one of \\['all'\\]"):
        load_study("full", _write(tmp_path, lambda d: d["expert"].update(mix="everything")))
    one = load_study("full", _write(tmp_path, lambda d: d["expert"].update(mix=None,
                                                                           scenario="crowd")))
    assert not one.expert.is_mix and one.dataset.mix is None
    assert [s.name for s in one.dataset.scenarios] == ["crowd"]


def test_evaluation_seeds_lie_above_any_default_seeded_episode():
    expert = load_study("full").expert
    assert expert.eval.episode_set(0).start > SEED_BOUND
    assert expert.final_set().start > SEED_BOUND
    assert not expert.eval.span(expert.budget).overlaps(expert.final_set())


@pytest.mark.parametrize("profile", ["smoke", "full"])
def test_default_target_is_the_promotion_gate(profile):
    """Audit finding 1: the target was 0.85 / 0.10, weaker than the 0.90 / 0.05 gate."""
    study = load_study(profile)
    pre, gate = study.pretraining, study.expert.promotion
    assert (pre.target.success, pre.target.collision) == (gate.success, gate.collision)
    assert pre.target_deviation is None
    assert all(level.deviation for level in pre.sensitivity
               if level.thresholds.weaker_than(gate))


def test_a_target_weaker_than_the_gate_needs_a_reason_and_is_a_deviation(tmp_path):
    def weaker(d, reason=None):
        d["pretraining"]["target"] = {"success": 0.85, "collision": 0.10, "consecutive": 2}
        d["pretraining"]["confirmation"]["episodes"] = 590  # this target's power needs 590
        if reason:
            d["pretraining"]["target"]["reason"] = reason
    with pytest.raises(SpecError, match="pretraining.target.reason"):
        load_study("full", _write(tmp_path, weaker))
    study = load_study("full", _write(tmp_path, lambda d: weaker(d, "a pilot")))
    assert "weaker than the promotion gate" in study.pretraining.target_deviation
    assert "a pilot" in study.pretraining.target_deviation


def test_evaluation_interval_must_land_on_the_step_grid(tmp_path):
    with pytest.raises(SpecError,
                       match="pretraining.eval.every.*multiple of expert.ppo.n_envs = 64"):
        load_study("full", _write(tmp_path, lambda d: d["pretraining"]["eval"].update(
            every=25_000)))


def _write(tmp_path, mutate):
    data = yaml.safe_load(yaml.safe_dump(BASE))
    mutate(data)
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("mutate, field, expected", [
    (lambda d: d["expert"].update(seeds=[0, 1]), "expert.seeds", "at least promotion.min_seeds"),
    (lambda d: d["expert"]["final_eval"].update(episodes=100), "expert.final_eval.episodes",
     ">= 200"),
    (lambda d: d["expert"]["promotion"].update(min_seeds=2), "expert.promotion.min_seeds",
     ">= 3"),
    (lambda d: d["expert"].update(mix=None, scenario="moon"), "expert.scenario",
     "one of ['open'"),
    (lambda d: d["expert"]["ppo"].update(batch_size=1000), "expert.ppo.batch_size",
     "a divisor of n_envs * n_steps"),
    (lambda d: d["expert"]["ppo"].update(lr=0.1), "expert.ppo.lr", "known fields"),
    (lambda d: d["expert"]["convergence"].update(success=1.5), "expert.convergence.success",
     "in [0.0, 1.0]"),
])
def test_bad_study_spec_names_file_field_and_expectation(tmp_path, mutate, field, expected):
    path = _write(tmp_path, mutate)
    with pytest.raises(SpecError) as err:
        load_study("full", path)
    assert err.value.field == field and str(path) in str(err.value)
    assert expected in str(err.value)


def test_unknown_profile_is_named(tmp_path):
    with pytest.raises(SpecError,
                       match="profiles.*one of \\['full', 'sizes', 'research', 'smoke_core', "
                             "'smoke'\\].*'huge'"):
        load_study("huge")


def test_a_profile_extends_another_and_a_cycle_is_named(tmp_path):
    core, smoke = load_study("smoke_core"), load_study("smoke")
    assert core.pretraining.sizes is None and core.regimes is None  # what it removes
    assert smoke.pretraining.sizes is not None and smoke.regimes is not None
    assert core.pretraining.arms == smoke.pretraining.arms  # the rest is smoke's
    assert core.expert.gate_config() == smoke.expert.gate_config()

    def cycle(d):
        d["profiles"]["a"] = {"extends": "b"}
        d["profiles"]["b"] = {"extends": "a"}

    with pytest.raises(SpecError, match=r"profiles\.\w\.extends.*without a cycle"):
        load_study("a", _write(tmp_path, cycle))
