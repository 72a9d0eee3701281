"""Typed metric records: JSON round trips, and a drifted key fails where it is read, named."""

import json

import numpy as np
import pytest

from harness.evaluate import run_episodes
from harness.metrics import CurvePoint, EvalSummary, SchemaError
from harness.spec.scenarios import load_scenario
from harness.stages.comparison.records import ArmRow
from harness.stages.pretraining.records import ArmRunMetrics


class Straight:
    def predict(self, obs, deterministic=True):
        return np.tile([1.0, 0.0], (len(obs), 1)), None


@pytest.fixture(scope="module")
def summary() -> EvalSummary:
    return run_episodes(Straight(), load_scenario("open"), range(5), n_envs=5).summary()


def test_an_evaluation_summary_round_trips_through_a_manifest(summary):
    data = json.loads(json.dumps(summary.to_json()))
    assert "return" in data and "return_" not in data  # the manifests' key
    assert EvalSummary.from_json(data) == summary
    assert data["success_rate"] == summary.success_rate


def test_optional_fields_are_absent_for_a_baseline_run(summary):
    m = ArmRunMetrics(time_to_target=None, censored=True, budget=100, timesteps=128,
                      final_eval=summary, train_wall_seconds=1.0, auc=0.5)
    data = json.loads(json.dumps(m.to_json()))
    assert "bc_eval" not in data and data["time_to_target"] is None
    assert ArmRunMetrics.from_json(data) == m


def test_a_renamed_key_fails_where_it_is_read_naming_record_and_field(summary):
    data = summary.to_json()
    data["success"] = data.pop("success_rate")
    with pytest.raises(SchemaError, match="EvalSummary: field 'success_rate' missing"):
        EvalSummary.from_json(data)
    nested = {"timesteps": 0, "wall_seconds": 0.0, "episode_seeds": [0, 5],
              "success_rate": 1.0, "success_ci": [0, 1], "collision_rate": 0.0,
              "collision_ci": [0, 1], "timeout_rate": 0.0, "episode_length": 3.0,
              "return": {"mean": 1.0}}
    with pytest.raises(SchemaError, match=r"CurvePoint.return: Distribution: field 'std'"):
        CurvePoint.from_json(nested)


def test_unknown_fields_are_refused():
    row = {"seeds": [0], "time_to_target": [0.0], "censored": [False], "iqm_time": 0.0,
           "final_success": [1.0], "final_collision": [0.0], "final_episodes": 200,
           "auc": [1.0], "run_ids": ["arm_run-x"], "final_success_mean_ci": [1, 1, 1],
           "final_collision_mean_ci": [0, 0, 0], "auc_mean_ci": [1, 1, 1], "ratoi": 0.5}
    with pytest.raises(SchemaError, match=r"unknown fields \['ratoi'\]"):
        ArmRow.from_json(row)
