"""The study spec: profiles resolve; bad values name the file, the field and the expectation."""

import pytest
import yaml

from harness.nav.seeding import SEED_BOUND
from harness.spec.errors import SpecError
from harness.spec.study import EVAL_SEED_BASE, load_study, study_file

BASE = yaml.safe_load(study_file().read_text())


@pytest.mark.parametrize("profile", ["smoke", "full"])
def test_profiles_load(profile):
    study = load_study(profile)
    assert len(study.expert.seeds) >= 3 and study.expert.final_episodes >= 200
    assert study.config_hash == load_study(profile).config_hash


def test_full_profile_trains_the_expert_on_the_crowd_scenario():
    expert = load_study("full").expert
    assert expert.scenario.name == "crowd"
    assert expert.convergence.thresholds.success == 0.90
    assert expert.convergence.thresholds.collision == 0.05


def test_evaluation_seeds_are_disjoint_from_any_training_episode_seed():
    expert = load_study("full").expert
    assert min(expert.eval.seeds()) > SEED_BOUND and min(expert.final_seeds()) > SEED_BOUND
    assert not set(expert.eval.seeds()) & set(expert.final_seeds())
    assert min(expert.eval.seeds()) == EVAL_SEED_BASE


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
    (lambda d: d["expert"].update(scenario="moon"), "expert.scenario", "one of ['open'"),
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
    with pytest.raises(SpecError, match="profiles.*one of \\['full', 'smoke'\\].*'huge'"):
        load_study("huge")
