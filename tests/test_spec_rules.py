"""Spec errors, all of them, early and readable: duplicate keys, YAML syntax with line and
column, profile values named at their real path, the base checked on its own, cross-field rules
checked at load."""

import copy

import pytest
import yaml

from harness.spec.errors import SpecError
from harness.spec.loader import load_study, study_file
from harness.spec.seed_plan import study_ranges

TEXT = study_file().read_text()
BASE = yaml.safe_load(TEXT)


def _write(tmp_path, data):
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _mutated(mutate):
    data = copy.deepcopy(BASE)
    mutate(data)
    return data


def test_a_duplicate_key_is_an_error_not_a_silent_override(tmp_path):
    assert "  budget: 10000000 " in TEXT
    path = tmp_path / "study.yaml"
    path.write_text(TEXT.replace("  budget: 10000000 ", "  budget: 10000000\n  budget: 1 ", 1))
    with pytest.raises(SpecError) as err:
        load_study("smoke", path)
    assert err.value.field == "expert.budget"
    assert "first given at line" in err.value.expected and "again at line" in err.value.found


def test_a_yaml_syntax_error_gives_line_and_column(tmp_path):
    lines = TEXT.splitlines()
    n = next(i for i, ln in enumerate(lines) if ln.startswith("  seeds: [0, 1, 2]"))
    lines[n] = "  seeds: [0, 1, 2"
    path = tmp_path / "study.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SpecError, match=r"line \d+, column \d+") as err:
        load_study("smoke", path)
    assert err.value.field == "<file>"


def test_an_error_in_a_profile_names_its_real_path(tmp_path):
    path = _write(tmp_path, _mutated(lambda d: d["profiles"]["smoke"]["expert"].update(
        budget=0)))
    with pytest.raises(SpecError) as err:
        load_study("smoke", path)
    assert err.value.field == "profiles.smoke.expert.budget"


def test_a_bad_base_value_hidden_by_the_profile_is_still_an_error(tmp_path):
    path = _write(tmp_path, _mutated(lambda d: d["expert"].update(budget=-5)))
    with pytest.raises(SpecError) as err:
        load_study("smoke", path)  # smoke overrides expert.budget
    assert err.value.field == "expert.budget" and err.value.found == -5


@pytest.mark.parametrize("mutate, field, expected", [
    (lambda d: d["profiles"]["smoke"]["shift"].update(budget=1000), "profiles.smoke.shift.budget",
     "pretraining.budget = 150000"),
    (lambda d: d["profiles"]["smoke"]["shift"].update(seeds=[7]), "profiles.smoke.shift.seeds",
     "a subset of [0, 1, 2]"),
    (lambda d: d["profiles"]["smoke"]["expert"]["eval"].update(every=512_000),
     "profiles.smoke.expert.eval.every", "<= expert.budget = 400000"),
    (lambda d: d["profiles"]["smoke"]["pretraining"]["eval"].update(every=204_800),
     "profiles.smoke.pretraining.eval.every", "<= pretraining.budget = 150000"),
    (lambda d: d["profiles"]["smoke"]["pretraining"]["criteria"].update(unlearning_evals=40),
     "profiles.smoke.pretraining.criteria.unlearning_evals", "<= the 14 evaluations after step 0"),
    (lambda d: d["profiles"]["smoke"]["pretraining"]["criteria"].update(unlearning_evals=2),
     "profiles.smoke.pretraining.criteria.unlearning_evals",
     "at least half its evaluations after the recipe's warm-ups (30,000 steps)"),
    (lambda d: d["pretraining"]["criteria"].update(unlearning_evals=8),
     "pretraining.criteria.unlearning_evals", "3 of 8 are; 10 evaluations would do"),
    (lambda d: d["profiles"]["smoke"]["pretraining"]["finetune"].update(
        actor_warmup_steps=150_000), "profiles.smoke.pretraining.finetune.actor_warmup_steps",
     "< pretraining.budget = 150000"),
    (lambda d: d["shift"].update(seeds=[0, 17]), "shift.seeds", "pre-training seeds"),
    (lambda d: d["shift"].update(seeds=[0, 42]), "shift.seeds", "run seeds in [0, 32)"),
    (lambda d: d["profiles"]["smoke"]["pretraining"].update(budget=2_000_000),
     "profiles.smoke.pretraining.budget", "block of 1,048,576 episode seeds"),
    (lambda d: d["profiles"]["smoke"]["expert"].update(budget=40_000_000),
     "profiles.smoke.expert.budget", "block of 33,554,432 episode seeds"),
    (lambda d: d["profiles"]["smoke"]["pretraining"]["eval"].update(episodes=10_000_000),
     "profiles.smoke.pretraining.eval.episodes", "fit the seed plan"),
    (lambda d: d["dataset"].update(episodes=20_000), "dataset.episodes", "fit the seed plan"),
])
def test_cross_field_rules_are_checked_at_load(tmp_path, mutate, field, expected):
    path = _write(tmp_path, _mutated(mutate))
    with pytest.raises(SpecError) as err:
        load_study("smoke", path)
    assert err.value.field == field and expected in err.value.expected, str(err.value)


def test_a_study_without_a_shift_section_loads_without_the_shift_experiment(tmp_path):
    path = _write(tmp_path, _mutated(lambda d: (d.pop("shift"), d["profiles"]["smoke"].pop(
        "shift"))))
    study = load_study("smoke", path)
    assert study.shift is None and study.shift_deviation is None
    assert all("shift" not in r.label for r in study_ranges(study))


def test_a_profile_that_removes_the_declared_shift_is_a_deviation(tmp_path):
    path = _write(tmp_path, _mutated(lambda d: d["profiles"]["smoke"].update(shift=None)))
    study = load_study("smoke", path)
    assert study.shift is None
    assert "profiles.smoke.shift: null" in study.shift_deviation
    assert load_study("full", path).shift_deviation is None


def test_a_profile_that_is_not_a_mapping(tmp_path):
    path = _write(tmp_path, _mutated(lambda d: d["profiles"].update(smoke=5)))
    with pytest.raises(SpecError, match="profiles.smoke"):
        load_study("smoke", path)


def test_the_shipped_spec_passes_every_rule():
    for profile in BASE["profiles"]:
        assert load_study(profile).profile == profile
