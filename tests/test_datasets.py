"""Dataset validation: every corruption class is rejected with a located message; valid
datasets never are. Replay reproduces recorded episodes exactly."""

import json
import os
import shutil
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.core.hashing import file_sha256
from harness.core.store import Store
from harness.stages.dataset.analytics import analyse
from harness.stages.dataset.build import validate_and_quarantine
from harness.stages.dataset.playback import replay_all, replay_episode
from harness.stages.dataset.schema import DATA_DIR, DATA_FILE, MANDATORY_KEYS, METADATA_FILE
from harness.stages.dataset.validate import validate_dataset
from tests.dataset_helpers import make_dataset

EPISODES = 12


@pytest.fixture(scope="module")
def base_dataset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ds") / "base"
    make_dataset(folder, EPISODES)
    return folder


def test_valid_dataset_passes_every_check(base_dataset):
    report = validate_dataset(base_dataset, min_episodes=EPISODES)
    assert report.ok, report.text()
    assert report.episodes == EPISODES and report.steps > 0


def test_too_few_episodes_is_an_error_not_a_warning(base_dataset):
    report = validate_dataset(base_dataset, min_episodes=200)
    assert not report.ok
    assert [f.check for f in report.failures] == ["min_episodes"]
    assert report.failures[0].expected == ">= 200" and report.failures[0].found == str(EPISODES)


def _h5(folder):
    return h5py.File(folder / DATA_DIR / DATA_FILE, "a")


def _replace(g, name, data):
    del g[name]
    g.create_dataset(name, data=data)


def corrupt(folder: Path, kind: str, ep: int, frac: float, dim: int) -> dict:
    """Apply one corruption; return where the validator must locate it."""
    meta_path = folder / DATA_DIR / METADATA_FILE
    if kind == "missing_metadata_key":
        meta = json.loads(meta_path.read_text())
        key = sorted(MANDATORY_KEYS)[dim % len(MANDATORY_KEYS)]
        meta.pop(key)
        meta_path.write_text(json.dumps(meta))
        return {"check": "metadata"}
    if kind == "wrong_checksum":
        meta = json.loads(meta_path.read_text())
        meta["data_sha256"] = "0" * 64
        meta_path.write_text(json.dumps(meta))
        return {"check": "checksum"}
    if kind == "truncated_file":
        path = folder / DATA_DIR / DATA_FILE
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * (0.2 + 0.6 * frac))])
        return {"check": "readable"}
    with _h5(folder) as fh:
        g = fh[f"episode_{ep}"]
        T = len(g["actions"])
        t = min(int(frac * T), T - 1)
        if kind == "nan":
            obs = g["observations"][()]
            obs[t, dim % obs.shape[1]] = np.nan
            _replace(g, "observations", obs)
            return {"check": "finite", "episode": ep, "array": "observations", "index": t}
        if kind == "out_of_space_action":
            act = g["actions"][()]
            act[t, dim % 2] = 1.5
            _replace(g, "actions", act)
            return {"check": "action_space", "episode": ep, "array": "actions", "index": t}
        if kind == "out_of_space_observation":
            obs = g["observations"][()]
            obs[t, dim % 32] = 1.25  # a lidar reading beyond its normalised range
            _replace(g, "observations", obs)
            return {"check": "observation_space", "episode": ep, "array": "observations",
                    "index": t}
        if kind == "dropped_step":
            for name in ("actions", "rewards", "terminations", "truncations"):
                _replace(g, name, np.delete(g[name][()], t, axis=0))
            return {"check": "alignment", "episode": ep, "array": "actions"}
        if kind == "mismatched_length":
            _replace(g, "rewards", np.append(g["rewards"][()], 0.0))
            return {"check": "alignment", "episode": ep, "array": "rewards"}
        if kind == "early_end":
            if T < 2:
                return {}
            term = g["terminations"][()]
            term[min(t, T - 2)] = True
            _replace(g, "terminations", term)
            return {"check": "episode_end", "episode": ep, "index": min(t, T - 2)}
        if kind == "missing_end":
            _replace(g, "terminations", np.zeros(T, dtype=bool))
            _replace(g, "truncations", np.zeros(T, dtype=bool))
            return {"check": "episode_end", "episode": ep}
    raise ValueError(kind)


KINDS = ["nan", "out_of_space_action", "out_of_space_observation", "dropped_step",
         "mismatched_length", "early_end", "missing_end", "missing_metadata_key",
         "wrong_checksum", "truncated_file"]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(KINDS), ep=st.integers(0, EPISODES - 1), frac=st.floats(0, 1),
       dim=st.integers(0, 40))
def test_each_corruption_is_rejected_located_and_quarantined(base_dataset, kind, ep, frac, dim):
    """As the pipeline does with a dataset it has just recorded: still in staging, unpublished."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store")
        folder = store.root / ".staging" / f"dataset-0123.{os.getpid()}.abcd"
        shutil.copytree(base_dataset, folder)
        where = corrupt(folder, kind, ep, frac, dim)
        if not where:
            return
        report, moved = validate_and_quarantine(folder, store, min_episodes=EPISODES)
        assert not report.ok
        match = [f for f in report.failures
                 if all(getattr(f, k) == v for k, v in where.items())]
        assert match, (kind, where, report.text())
        assert moved is not None and moved.parent == store.root / "quarantine"
        assert json.loads((moved / "validation.json").read_text())["ok"] is False
        if "episode" in where:
            assert f"episode {where['episode']}" in (moved / "validation.txt").read_text()


@settings(max_examples=5, deadline=None)
@given(seed0=st.integers(0, 10**6), episodes=st.integers(1, 6))
def test_valid_datasets_are_never_rejected(seed0, episodes):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ds"
        make_dataset(folder, episodes, seed0=seed0)
        report = validate_dataset(folder, min_episodes=episodes)
        assert report.ok, report.text()


def test_replay_reproduces_recorded_observations_and_rewards_exactly(base_dataset):
    for ep in range(EPISODES):
        replay, _ = replay_episode(base_dataset, ep)
        assert replay.matches, replay
        assert replay.obs_max_abs_diff == 0.0 and replay.reward_max_abs_diff == 0.0


def test_replay_detects_a_tampered_reward(base_dataset, tmp_path):
    folder = tmp_path / "ds"
    shutil.copytree(base_dataset, folder)
    with _h5(folder) as fh:
        g = fh["episode_2"]
        rew = g["rewards"][()]
        rew[1] += 0.5
        _replace(g, "rewards", rew)
    replay, _ = replay_episode(folder, 2)
    assert not replay.matches and replay.first_reward_mismatch == 1


def test_analytics_counts_outcomes_and_flags(base_dataset):
    stats = analyse(base_dataset)
    assert stats["episodes"] == EPISODES
    assert sum(stats["outcomes"].values()) == EPISODES
    assert stats["anomaly_counts"]["replay_mismatch"] == 0
    assert all("anomalies" in r for r in stats["episodes_table"])


def test_validation_replays_and_names_a_substituted_action(base_dataset, tmp_path):
    """Other valid actions (same shape, in range) with a re-written checksum: only the replay
    can tell, and it names the episode and the first step that differs."""
    folder = tmp_path / "ds"
    shutil.copytree(base_dataset, folder)
    with _h5(folder) as fh:
        g = fh["episode_4"]
        act = g["actions"][()]
        act[3] = -act[3] if np.any(act[3]) else np.array([0.5, 0.5], dtype=np.float32)
        _replace(g, "actions", act)
    meta_path = folder / DATA_DIR / METADATA_FILE
    meta = json.loads(meta_path.read_text())
    meta["data_sha256"] = file_sha256(folder / DATA_DIR / DATA_FILE)  # a "legitimate" re-write
    meta_path.write_text(json.dumps(meta))
    report = validate_dataset(folder, min_episodes=EPISODES)
    assert [f.check for f in report.failures] == ["replay"], report.text()
    failure = report.failures[0]
    assert failure.episode == 4 and failure.array == "rewards" and failure.index == 3
    assert "episode 4, array 'rewards', index 3" in report.text()


def test_replay_of_the_whole_dataset_is_fast(base_dataset):
    import time

    start = time.perf_counter()
    replays = replay_all(base_dataset)
    assert len(replays) == EPISODES and all(r.matches for r in replays)
    assert time.perf_counter() - start < 5.0


def test_quarantine_refuses_anything_but_an_unpublished_build(base_dataset, tmp_path):
    from harness.stages.dataset.build import NotQuarantinable

    outside = tmp_path / "mine"
    shutil.copytree(base_dataset, outside)
    store = Store(tmp_path / "store")
    with pytest.raises(NotQuarantinable, match="only a dataset recorded by the pipeline"):
        validate_and_quarantine(outside, store, min_episodes=10_000)
    assert outside.is_dir() and not (tmp_path / "store" / "quarantine").exists()
    assert not (outside / "validation.json").exists()


def test_a_dataset_recorded_over_the_mix_names_each_episodes_family_and_replays(tmp_path):
    """Issue 11: the family the mix deals to an episode's seed is its attribute, coverage
    counts every family, and validation (with replay from env_config) passes."""
    from harness.spec.mixes import load_mix

    mix = load_mix("all")
    meta = make_dataset(tmp_path / "mix", 40, mix="all", seed0=2000)
    with _h5(tmp_path / "mix") as fh:
        fams = [str(fh[f"episode_{i}"].attrs["scenario"]) for i in range(40)]
        seeds = [int(fh[f"episode_{i}"].attrs["seed"]) for i in range(40)]
    assert fams == [mix.family(s).name for s in seeds]
    assert set(fams) == set(mix.family_names)
    per = meta["coverage"]["episodes_per_scenario"]
    assert per == {name: fams.count(name) for name in sorted(set(fams))}
    assert set(meta["env_config"]) == set(mix.family_names)
    assert meta["mix"] == {"name": "all", "weights": dict.fromkeys(mix.family_names, 1.0)}
    assert json.loads(meta["env_spec"])["id"] == "harness/NavMix-all-v0"
    report = validate_dataset(tmp_path / "mix", 40)
    assert report.ok, report.text()
    assert "replay" in report.checks_run
    stats = analyse(tmp_path / "mix", replay=False)
    assert {k: v["episodes"] for k, v in stats["by_family"].items()} == \
        {name: fams.count(name) for name in dict.fromkeys(fams)}
    assert sum(v["steps"] for v in stats["by_family"].values()) == stats["steps"]


def test_playback_of_a_mix_dataset_shows_every_family_and_its_failure_first():
    from harness.stages.dataset.inspect import pick_episodes

    fams = ["open", "doorway", "crowd", "open", "doorway", "crowd", "cluttered"]
    outcomes = ["success", "success", "success", "success", "timeout", "success", "success"]
    rows = [{"episode": i, "scenario": f, "outcome": o, "anomalies": []}
            for i, (f, o) in enumerate(zip(fams, outcomes, strict=True))]
    picked = pick_episodes({"episodes_table": rows}, 4)
    assert picked == [0, 4, 2, 6]  # one per family; doorway's time-out rather than its success
    assert pick_episodes({"episodes_table": rows[:1] + rows[3:4]}, 2) == [0, 3]
