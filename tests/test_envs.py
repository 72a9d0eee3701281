"""Declared Gymnasium environments (harness.envs, the spec's ``environment`` section): outcome
rules, declaration errors named before any training, block-seeded vectorisation, the generic
episode runner, and datasets recorded, validated and played back from any environment."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path

import gymnasium as gym
import h5py
import numpy as np
import pytest
import yaml

from harness.envs import Condition, Descriptor, GymFamily, OutcomeRule, training_env
from harness.envs.outcome import DeclaredOutcome
from harness.evaluate import run_episodes
from harness.nav.outcomes import OUTCOME_COLLISION, OUTCOME_SUCCESS
from harness.spec.environment import parse_environment, replayable
from harness.spec.errors import Fields, SpecError
from harness.spec.loader import load_study, study_file
from harness.spec.seed_plan import largest_seed, study_ranges
from harness.stages.dataset.playback import NOT_REPLAYABLE, playback, replay_all
from harness.stages.dataset.record import collect, write_dataset
from harness.stages.dataset.schema import DATA_DIR, DATA_FILE, METADATA_FILE
from harness.stages.dataset.validate import NOT_REPLAYABLE as NOTE_NOT_REPLAYABLE
from harness.stages.dataset.validate import validate_dataset
from harness.stages.pretraining.recipe import load_demonstrations

RULE = OutcomeRule(success=Condition(info="reached"), collision=Condition(info="crashed"))


def line(name: str = "line", discrete: bool = False, entry: str = "tests.toy_envs:LineWorld",
         **kw) -> GymFamily:
    return GymFamily(name=name, environment="line", entry_point=entry,
                     kwargs={"discrete": discrete, **kw}, outcome=RULE, max_episode_steps=200)


class Push:
    """A fixed policy: always push towards +1 (Box) or action 2 (Discrete)."""

    def __init__(self, discrete: bool = False, towards: float = 1.0):
        self.discrete, self.towards = discrete, towards

    def predict(self, obs, deterministic=True, **_):
        n = len(obs)
        if self.discrete:
            return np.full(n, 2 if self.towards > 0 else 0, dtype=np.int64), None
        return np.full((n, 1), self.towards, dtype=np.float32), None


# ----------------------------------------------------------------------------- outcome rule
def test_outcome_rule_clauses_and_flags():
    rule = OutcomeRule(success=Condition(terminated=True, reward_above=0.0),
                       collision=Condition(terminated=True, reward_at_most=0.0))
    assert rule.outcome(1.0, True, False, {}) == "success"
    assert rule.outcome(0.0, True, False, {}) == "collision"
    assert rule.outcome(0.0, False, True, {}) == "timeout"
    env = DeclaredOutcome(gym.make("CartPole-v1"), OutcomeRule(
        success=Condition(truncated=True), collision=Condition(terminated=True)))
    _, info = env.reset(seed=0)
    assert not any(info[k] for k in ("is_success", "is_collision", "is_timeout"))
    while True:
        _, _, term, trunc, info = env.step(0)
        if term or trunc:
            break
        assert not any(info[k] for k in ("is_success", "is_collision", "is_timeout"))
    assert info["is_collision"] and not info["is_success"]


# ----------------------------------------------------------------------------- spec errors
def env_section(**over) -> dict:
    base = {"name": "line", "entry_point": "tests.toy_envs:LineWorld",
            "outcome": {"success": {"info": "reached"}, "collision": {"info": "crashed"}},
            "families": {"wide": {"kwargs": {"start_spread": 0.5}},
                         "narrow": {"kwargs": {"start_spread": 0.1}}}}
    base.update(over)
    return {"environment": base}


def parse(section: dict):
    return parse_environment(Fields(section, "my_study.yaml"))


def test_declared_families_parse():
    fams = parse(env_section(descriptors={"start": {"info": "start"}}))
    assert list(fams) == ["wide", "narrow"]
    assert fams["narrow"].kwargs == {"start_spread": 0.1}
    assert fams["wide"].descriptors[0].info == "start"
    assert parse({}) is None and parse({"environment": {"kind": "builtin"}}) is None


@pytest.mark.parametrize("over, field, words", [
    ({"entry_point": None, "id": "NoSuchEnv-v9"}, "environment.id", "registered Gymnasium id"),
    ({"imports": ["no_such_package_xyz"]}, "environment.imports[0]", "importable module"),
    ({"outcome": {"success": {"info": "arrived"}}}, "environment.outcome",
     "an info key the environment reports"),
    ({"entry_point": "tests.toy_envs:DictWorld"}, "environment.wrappers", "Box or Discrete"),
    ({"descriptors": {"d": {"info": "nope", "at": "reset"}}}, "environment.descriptors.d",
     "info key"),
    ({"outcome": {"success": {"rewardabove": 1}}}, "environment.outcome.success",
     "unknown"),
])
def test_bad_declarations_are_named_before_training(over, field, words):
    section = env_section(**over)
    section["environment"] = {k: v for k, v in section["environment"].items() if v is not None}
    with pytest.raises(SpecError) as err:
        parse(section)
    assert err.value.field.startswith(field), err.value
    assert "my_study.yaml" in str(err.value)
    assert words.lower() in str(err.value).lower() or words in err.value.field


def test_a_dict_space_flattened_by_a_declared_wrapper_is_accepted():
    fams = parse(env_section(entry_point="tests.toy_envs:DictWorld",
                             wrappers=["gymnasium.wrappers:FlattenObservation"]))
    assert fams["wide"].observation_space.shape == (2,)


def test_a_study_on_a_declared_environment_refuses_a_mix(tmp_path):
    raw = yaml.safe_load(study_file().read_text())
    raw.update(env_section())
    raw["expert"]["mix"] = "all"
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(raw))
    with pytest.raises(SpecError) as err:
        load_study("full", p)
    assert err.value.field == "expert.mix"


def _env_study(entry: str | None = None) -> dict:
    """The built-in study's file on a declared environment's families (the policy without the
    built-in simulator's lidar features, which a declared environment has no lidar for)."""
    raw = yaml.safe_load(study_file().read_text())
    raw.update(env_section(**({"entry_point": entry} if entry else {})))
    raw["expert"].pop("mix")
    raw["expert"]["scenario"] = "wide"
    raw["expert"]["ppo"]["lidar_proximity"] = None
    raw["pretraining"]["scenario"] = "wide"
    raw["shift"].update(dataset_scenarios=["narrow"], eval_scenarios=["wide", "narrow"])
    return raw


def test_lidar_features_are_refused_on_a_declared_environment(tmp_path):
    raw = _env_study()
    raw["expert"]["ppo"]["lidar_proximity"] = 0.5
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(raw))
    with pytest.raises(SpecError) as err:
        load_study("full", p)
    assert err.value.field == "expert.ppo.lidar_proximity" and str(p) in str(err.value)
    assert "declared environment" in err.value.expected


def test_a_study_names_families_of_its_environment(tmp_path):
    raw = _env_study()
    bad = copy.deepcopy(raw)
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(raw))
    study = load_study("full", p)
    assert study.expert.scenario.name == "wide" and study.dataset.scenarios[0].name == "wide"
    assert [s.name for s in study.shift.dataset_scenarios] == ["narrow"]
    bad["pretraining"]["scenario"] = "crowd"  # a built-in scenario is not a family here
    p.write_text(yaml.safe_dump(bad))
    with pytest.raises(SpecError) as err:
        load_study("full", p)
    assert err.value.field == "pretraining.scenario" and "wide" in err.value.expected


def _line_study(tmp_path, entry: str) -> Path:
    raw = _env_study(entry)
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(raw))
    return p


def test_the_probe_resets_with_the_largest_seed_the_study_uses(tmp_path):
    """An environment that cannot take the seed plan's seeds is refused at load, naming the
    file, the family and the largest seed, before any training (issue 21)."""
    study = load_study("full", _line_study(tmp_path, "tests.toy_envs:LegacySeededLineWorld"))
    top = largest_seed(study)
    assert 2**31 < top.range.stop - 1 < 2**32  # legacy-seeded envs take every seed of it
    with pytest.raises(SpecError) as err:
        load_study("full", _line_study(tmp_path, "tests.toy_envs:Int31LineWorld"))
    assert err.value.field in ("environment.families.wide", "environment.families.narrow")
    assert "s.yaml" in str(err.value) and f"{top.range.stop - 1:,}" in err.value.expected
    assert "signed 32-bit" in str(err.value.found)


def test_every_seed_a_study_hands_to_reset_is_accepted_by_numpys_legacy_generator():
    for profile in ("smoke", "full", "sizes"):
        for r in study_ranges(load_study(profile)):
            np.random.RandomState(r.range.start)
            np.random.RandomState(r.range.stop - 1)


# ----------------------------------------------------------------------------- vectorisation
def test_block_seeded_training_env_plays_only_its_block():
    venv = training_env(line(), 4, (1000, 1100))
    venv.reset()
    seen = []
    for _ in range(200):
        _, _, dones, infos = venv.step(np.ones((4, 1), dtype=np.float32))
        for d, info in zip(dones, infos, strict=True):
            if d:
                assert "terminal_observation" in info and "episode" in info
    start, stop = venv.seeds_played()
    assert start == 1000 and 1004 < stop <= 1100
    state = venv.stream_state()
    seen = [s[0] for s in state]
    assert len(set(seen)) == 4  # the slots never share a seed
    with pytest.raises(RuntimeError, match="episode-seed block"):
        venv.seed(0)
    other = training_env(line(), 4, (1000, 1100))
    other.reset()
    other.restore_streams(state)
    assert other.stream_state() == state
    venv.close()
    other.close()


def test_generic_episodes_depend_only_on_their_seeds():
    fam = line(discrete=True)
    seeds = list(range(500, 520))
    one = run_episodes(Push(True), fam, seeds, n_envs=1)
    many = run_episodes(Push(True), fam, seeds, n_envs=7)
    np.testing.assert_array_equal(one.outcome, many.outcome)
    np.testing.assert_array_equal(one.episode_return, many.episode_return)
    assert (one.outcome == OUTCOME_SUCCESS).all()
    back = run_episodes(Push(True, towards=-1.0), fam, seeds, n_envs=3)
    assert (back.outcome == OUTCOME_COLLISION).all()
    summary = back.summary()
    assert summary.collision_rate == 1.0 and np.isnan(summary.min_clearance.mean)


# ----------------------------------------------------------------------------- datasets
def record(folder: Path, fam: GymFamily, discrete: bool, episodes: int = 12) -> dict:
    eps = collect(Push(discrete), [fam], list(range(900, 900 + episodes)), True, n_envs=4)
    provenance = {"created": "now", "seeds": list(range(900, 900 + episodes)),
                  "git": {"commit": "x"}, "expert": {"id": "e"}, "deterministic_actions": True,
                  "replayable": replayable(fam)}
    return write_dataset(folder, "harness/line-test-v0", eps, [fam], provenance)


@pytest.mark.parametrize("discrete", [False, True])
def test_a_declared_dataset_validates_replays_and_plays_back(tmp_path, discrete):
    fam = replace(line(discrete=discrete), descriptors=(Descriptor(name="start", info="start"),))
    meta = record(tmp_path, fam, discrete)
    assert meta["action_contract"]["kind"] == ("discrete" if discrete else "box")
    assert meta["env_spec"] and meta["replayable"] is True
    assert set(meta["coverage"]["scenarios"]["line"]["descriptors"]) == {"start"}
    report = validate_dataset(tmp_path, 12)
    assert report.ok, report.text()
    assert all(r.matches for r in replay_all(tmp_path))
    rows = playback(tmp_path, [0, 1], tmp_path / "pb")
    assert all(r["matches"] for r in rows)
    assert all(Path(r["mp4"]).stat().st_size > 0 and Path(r["gif"]).stat().st_size > 0
               for r in rows)
    demos = load_demonstrations(tmp_path, 0.99, 0.2, seed=0)
    assert demos.train.acts.dtype == (np.int64 if discrete else np.float32)


def test_a_substituted_action_is_located_by_validation(tmp_path):
    record(tmp_path, line(discrete=True), True)
    with h5py.File(tmp_path / DATA_DIR / DATA_FILE, "r+") as fh:
        fh["episode_3/actions"][2] = 7  # not an action of Discrete(3)
    report = validate_dataset(tmp_path, 12)
    failures = [f for f in report.failures if f.check == "action_space"]
    assert failures and failures[0].episode == 3 and failures[0].index == 2


def test_an_environment_that_ignores_the_seed_is_not_replayed(tmp_path):
    fam = line(entry="tests.toy_envs:NoisyLineWorld")
    assert not replayable(fam)
    record(tmp_path, fam, False)
    meta = json.loads((tmp_path / DATA_DIR / METADATA_FILE).read_text())
    assert meta["replayable"] is False
    report = validate_dataset(tmp_path, 12)
    assert report.ok and "replay" not in report.checks_run
    assert report.notes == [NOTE_NOT_REPLAYABLE]
    rows = playback(tmp_path, [0], tmp_path / "pb")
    assert rows[0]["replay"] == NOT_REPLAYABLE and rows[0]["matches"] is None


def test_an_env_that_rebuilds_its_action_space_in_reset_is_replayable():
    """highway-env makes a new action space in ``reset``: the replay probe seeds it after
    ``reset`` (seeded before, every such env looked non-deterministic and lost playback)."""
    assert replayable(line(entry="tests.toy_envs:RespacingLineWorld"))
    assert replayable(line(entry="tests.toy_envs:RespacingLineWorld", discrete=True))


def test_an_episode_ending_terminated_and_truncated_at_once_validates(tmp_path):
    """Gymnasium allows both flags on the last step (a crash as the time runs out); a declared
    environment's dataset with such episodes is valid, and its outcome is the rule's."""
    fam = replace(line(entry="tests.toy_envs:DeadlineCrashWorld"), max_episode_steps=5)
    record(tmp_path, fam, False)
    with h5py.File(tmp_path / DATA_DIR / DATA_FILE, "r") as fh:
        ep = fh["episode_0"]
        assert bool(ep["terminations"][-1]) and bool(ep["truncations"][-1])
        assert len(ep["actions"]) == 5
    report = validate_dataset(tmp_path, 12)
    assert report.ok, report.text()
    assert all(r.matches for r in replay_all(tmp_path))


def test_minari_recreates_a_declared_environment(tmp_path, monkeypatch):
    import minari

    root = tmp_path / "datasets"
    folder = root / "harness" / "line-test-v0"
    fam = replace(line(), descriptors=(Descriptor(name="to_goal",
                                                  function="tests.toy_envs:start_distance"),))
    meta = record(folder, fam, False)
    assert meta["coverage"]["scenarios"]["line"]["descriptors"]["to_goal"]["min"] > 0
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(root))
    loaded = minari.load_dataset("harness/line-test-v0")
    assert loaded.total_episodes == 12
    env = loaded.recover_environment()
    assert env.spec.entry_point == "tests.toy_envs:LineWorld"
    assert env.spec.kwargs["discrete"] is False
    obs, _ = env.reset(seed=900)
    with h5py.File(folder / DATA_DIR / DATA_FILE, "r") as fh:
        np.testing.assert_array_equal(fh["episode_0/observations"][0], obs)


def test_shift_coverage_of_a_declared_environment_names_its_gaps(tmp_path):
    from harness.envs import environment

    fam = replace(line(start_spread=0.1), descriptors=(Descriptor(name="start", info="start"),))
    record(tmp_path, fam, False)
    meta = json.loads((tmp_path / DATA_DIR / METADATA_FILE).read_text())
    wide = replace(fam, name="wide", kwargs={"discrete": False, "start_spread": 0.5})

    cov = environment(wide).coverage("dataset-x", meta, list(range(100)))
    assert any(g.startswith("no wide episodes") for g in cov.gaps), cov.gaps
    assert any("start_spread=0.5" in g for g in cov.gaps), cov.gaps
    assert any(g.startswith("start ") and "against" in g for g in cov.gaps), cov.gaps
    same = environment(fam).coverage("dataset-x", meta, list(range(100)))
    assert same.gaps == [], same.gaps


def test_subprocess_vectorisation_plays_the_same_block_streams():
    """``vectorise: subproc`` (one process per slot) plays exactly the episodes the in-process
    slots play: the streams live in the slots, not in the driver."""
    results = []
    for how in ("dummy", "subproc"):
        venv = training_env(replace(line(discrete=True), vectorise=how), 2, (5000, 5100))
        obs = [venv.reset()]
        for _ in range(150):
            o, r, d, _ = venv.step(np.full(2, 2, dtype=np.int64))
            obs.append(o)
        results.append((np.array(obs), venv.stream_state(), venv.seeds_played()))
        venv.close()
    (a, sa, pa), (b, sb, pb) = results
    np.testing.assert_array_equal(a, b)
    assert sa == sb and pa == pb and pa[1] > 5002
