"""The comparison artefact on hand-made arm runs whose statistics can be computed by hand."""

import json
from dataclasses import replace

import pytest
from scipy import stats as sps

from harness.core.store import Build, Store
from harness.metrics import EvalSummary
from harness.spec.loader import load_study
from harness.stages.comparison.build import summarise
from harness.stages.comparison.records import ComparisonMetrics
from harness.stages.pretraining.records import ArmRunMetrics
from harness.stats import distribution

EVERY, BUDGET = 10, 40  # evaluations at 0, 10, 20, 30, 40


def summary(success: float) -> EvalSummary:
    d = distribution([0.0])
    return EvalSummary(episodes=100, success_rate=success, success_ci=[0, 1],
                       collision_rate=0.0, collision_ci=[0, 1], timeout_rate=1 - success,
                       timeout_ci=[0, 1], successes=round(100 * success), collisions=0,
                       timeouts=100 - round(100 * success), collisions_by_kind={},
                       return_=d, length=d, min_clearance=d)


def curve(successes: list[float]) -> list[dict]:
    return [{"timesteps": EVERY * i, "episode_seeds": [100 * i, 100 * i + 100],
             "success_rate": s, "collision_rate": 0.0} for i, s in enumerate(successes)]


def arm_run(store: Store, arm: str, seed: int, successes: list[float], t, bc=None):
    def build(b: Build) -> None:
        (b.dir / "learning_curve.json").write_text(json.dumps(curve(successes)))
        extra = {} if bc is None else {"bc_eval": summary(bc[0]), "bc_curve": [],
                                       "bc_success_on_periodic_sets": bc[1:],
                                       "dataset_transitions": 500}
        b.metrics = ArmRunMetrics(time_to_target=t, censored=t is None, budget=BUDGET,
                                  timesteps=BUDGET, final_eval=summary(successes[-1]),
                                  train_wall_seconds=1.0, auc=0.5, **extra).to_json()
    return store.get_or_build("arm_run", {"arm": arm}, [seed], build)


def upstream(store: Store, kind: str, metrics: dict):
    def build(b: Build) -> None:
        b.metrics = metrics
    return store.get_or_build(kind, {"kind": kind}, [0], build)


@pytest.fixture
def comparison(tmp_path):
    smoke = load_study("smoke").pretraining
    spec = replace(smoke, seeds=(0, 1, 2, 3), budget=BUDGET,
                   eval=replace(smoke.eval, every=EVERY), unlearning_evals=2, sensitivity=(),
                   bootstrap=1000)
    store = Store(tmp_path / "artifacts")
    # target 0.90, k = 2: T is where the first run of two passes starts
    base = [([0.1, 0.5, 0.95, 0.95, 0.95], 20), ([0.1, 0.95, 0.95, 0.2, 0.2], 10),
            ([0.1, 0.2, 0.5, 0.95, 0.95], 30), ([0.1, 0.2, 0.5, 0.7, 0.95], None)]
    pre = [([0.95, 0.95, 0.95, 0.95, 0.95], 0), ([0.95, 0.8, 0.95, 0.95, 0.95], 20),
           ([0.95, 0.95, 0.9, 0.9, 0.9], 0), ([0.95, 0.95, 0.95, 0.95, 0.95], 0)]
    runs = {"baseline": [arm_run(store, "baseline", s, c, t) for s, (c, t) in enumerate(base)],
            "pretrained": [arm_run(store, "pretrained", s, c, t, bc=(0.95, 0.9, 0.95))
                           for s, (c, t) in enumerate(pre)]}
    dataset = upstream(store, "dataset", {"steps": 500, "episodes": 20, "coverage": {},
                                          "validation": {"ok": True, "checks": [],
                                                         "failures": 0}})
    expert = upstream(store, "expert", {"decision": {"status": "approved", "seeds": []},
                                        "converged_at": {"0": 10},
                                        "expert_training_steps": {"0": 1000}})
    return spec, ComparisonMetrics.from_json(summarise(spec, runs, dataset, expert, store).metrics)


def test_times_censoring_and_the_ratio_are_the_hand_computed_ones(comparison):
    spec, m = comparison
    base, pre = m.arms["baseline"], m.arms["pretrained"]
    assert base.time_to_target == [20, 10, 30, BUDGET] and base.censored == [0, 0, 0, 1]
    assert pre.time_to_target == [0, 20, 0, 0] and pre.at_step_zero == 3
    assert base.iqm_time == pytest.approx(sps.trim_mean([20, 10, 30, 40], 0.25)) == 25.0
    assert pre.ratio == pytest.approx(sps.trim_mean([0, 20, 0, 0], 0.25) / 25.0) == 0.0
    # every pre-trained run beats every baseline run except (20 vs 10) and (20 vs 20, a tie)
    assert pre.probability_of_improvement == pytest.approx((16 - 1 - 0.5) / 16)


def test_the_drop_is_paired_with_the_bc_policy_on_the_same_episode_sets(comparison):
    _, m = comparison
    # BC scored 0.90 and 0.95 on the sets of evaluations 1 and 2: the largest of
    # (0.90 - success at 10, 0.95 - success at 20) per seed
    assert m.arms["pretrained"].unlearning_drop == pytest.approx([0.0, 0.10, 0.05, 0.0])
    assert m.final_vs_baseline["pretrained"].difference == pytest.approx(
        (0.95 + 0.95 + 0.9 + 0.95 - 0.95 - 0.2 - 0.95 - 0.95) / 4)
