"""The regime map's spec (issue 24): regimes declared before any run, each run on a stream of
its own, and errors that name the field; a regime without runs is an error naming it."""

import copy

import pytest
import yaml

from harness.seeds import disjoint_pairs
from harness.spec.errors import SpecError
from harness.spec.loader import load_study, study_file
from harness.spec.seed_plan import study_ranges
from harness.stages.regimes.build import summarise_regimes

BASE = yaml.safe_load(study_file().read_text())


def _load(tmp_path, mutate, profile="research"):
    data = copy.deepcopy(BASE)
    mutate(data["profiles"][profile]["regimes"])
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_study(profile, path)


def test_the_research_profile_declares_every_axis_on_streams_of_their_own():
    rg = load_study("research").regimes
    assert [r.axis for r in rg.regimes] == ["quality"] * 3 + ["new task"]
    streams = [a.seed_stream for r in rg.regimes for a in r.arms]
    assert len(streams) == len(set(streams)) == 9
    task = rg.regimes[-1]
    assert task.own_baseline and task.scenario.name == "dense_crowd"
    assert all(not r.own_baseline for r in rg.regimes[:3])
    study = load_study("research")
    ranges = study_ranges(study)
    assert not disjoint_pairs([(r.label, r.range) for r in ranges
                               if r.range.purpose != "demonstrator_eval"])
    assert load_study("full").regimes is None


@pytest.mark.parametrize("mutate, field, expected", [
    (lambda r: r.update(seeds=[0, 17]), "regimes.seeds", "subset of"),
    (lambda r: r.update(new_task="crowd"), "regimes.new_task", "other than the fine-tuning"),
    (lambda r: r["quality"]["demonstrators"].append({"name": "eps70", "epsilon": 0.5}),
     "regimes.quality.demonstrators", "distinct names"),
    (lambda r: r["quality"]["demonstrators"].append({"name": "x", "epsilon": 1.5}),
     "profiles.research.regimes.quality.demonstrators[3].epsilon", "[0.0, 1.0]"),
    (lambda r: r["quality"]["demonstrators"].extend(
        {"name": f"d{k}", "epsilon": 0.1} for k in range(2)), "regimes",
     "at most 11 (regime, arm) runs"),
])
def test_a_bad_regime_is_refused_naming_its_field(tmp_path, mutate, field, expected):
    with pytest.raises(SpecError) as err:
        _load(tmp_path, mutate)
    assert err.value.field.endswith(field) and expected in err.value.expected, str(err.value)


def test_a_regime_with_no_runs_is_an_error_naming_it():
    study = load_study("research")
    with pytest.raises(ValueError, match="regime 'eps80' has no runs"):
        summarise_regimes(study.pretraining, study.regimes,
                          {"eps70": {"pretrained": ["run"], "naive": ["run"]}}, {}, {}, {},
                          None, None)
