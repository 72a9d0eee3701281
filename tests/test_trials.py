"""``python -m harness.trials``, the expert-recipe trial command: it trains on the study's mix,
evaluates each family on its own audit episodes, and writes one JSON row per checkpoint."""

from __future__ import annotations

import json

import pytest

from harness import trials
from harness.seeds import LAYOUT, disjoint_pairs, training_block


def test_a_tiny_trial_writes_a_row_per_checkpoint(tmp_path, capsys):
    out = tmp_path / "t.jsonl"
    assert trials.main(["--label", "tiny", "--seed", "3", "--steps", "1024", "--eval-every",
                        "512", "--episodes", "2", "--n-envs", "8", "--n-steps", "64",
                        "--batch-size", "128", "--n-epochs", "1", "--lidar-proximity", "0.5",
                        "--lr-anneal", "--out", str(out), "--save",
                        str(tmp_path / "m.zip")]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["steps"] for r in rows] == [512, 1024]
    assert set(rows[0]["families"]) == {"open", "cluttered", "corridor", "doorway", "crowd"}
    assert all(0.0 <= f["collision"] <= 1.0 for r in rows for f in r["families"].values())
    assert (tmp_path / "m.zip").is_file()
    assert "tiny" in capsys.readouterr().out


def test_the_learning_rate_anneals_to_zero_over_the_trial():
    first, second = trials.Anneal(3e-4, 1000, 500), trials.Anneal(3e-4, 1000, 1000)
    assert first(1.0) == pytest.approx(3e-4)            # step 0
    assert first(0.0) == pytest.approx(1.5e-4)          # step 500, end of the first call
    assert second(0.5) == pytest.approx(1.5e-4)         # step 500 of the second call's count
    assert second(0.0) == pytest.approx(0.0)            # step 1000


def test_trial_episodes_are_no_study_episodes():
    mix = trials.trial_mix(None, None)
    window = trials.evaluation_window(mix, 200)
    assert window.purpose == "audit_eval"
    region = LAYOUT["audit_eval"]
    assert region.start <= window.start and window.stop <= region.start + region.span
    training = training_block("expert_training", "expert", 0)
    assert disjoint_pairs([("trial evaluation", window), ("training", training)]) == []
