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


def upstreams(store: Store):
    """The comparison's dataset and approved expert, as their metrics."""
    dataset = upstream(store, "dataset", {"steps": 500, "episodes": 20, "coverage": {},
                                          "validation": {"ok": True, "checks": [],
                                                         "failures": 0}})
    expert = upstream(store, "expert", {"decision": {"status": "approved", "seeds": []},
                                        "converged_at": {"0": 10},
                                        "expert_training_steps": {"0": 1000}})
    return dataset, expert


@pytest.fixture
def comparison(tmp_path):
    smoke = load_study("smoke").pretraining
    spec = replace(smoke, seeds=(0, 1, 2, 3), budget=BUDGET,
                   eval=replace(smoke.eval, every=EVERY), unlearning_evals=2, sensitivity=(),
                   bootstrap=1000, confirmation=None)  # T from the curves: k = 2 in a row
    store = Store(tmp_path / "artifacts")
    # target 0.90, k = 2: T is where the first run of two passes starts
    base = [([0.1, 0.5, 0.95, 0.95, 0.95], 20), ([0.1, 0.95, 0.95, 0.2, 0.2], 10),
            ([0.1, 0.2, 0.5, 0.95, 0.95], 30), ([0.1, 0.2, 0.5, 0.7, 0.95], None)]
    pre = [([0.95, 0.95, 0.95, 0.95, 0.95], 0), ([0.95, 0.8, 0.95, 0.95, 0.95], 20),
           ([0.95, 0.95, 0.9, 0.9, 0.9], 0), ([0.95, 0.95, 0.95, 0.95, 0.95], 0)]
    runs = {"baseline": [arm_run(store, "baseline", s, c, t) for s, (c, t) in enumerate(base)],
            "pretrained": [arm_run(store, "pretrained", s, c, t, bc=(0.95, 0.9, 0.95))
                           for s, (c, t) in enumerate(pre)]}
    dataset, expert = upstreams(store)
    return spec, ComparisonMetrics.from_json(summarise(spec, runs, dataset, expert, store).metrics)


def test_confirmed_targets_replace_the_curves_time_to_target(tmp_path):
    """With a declared confirmation, T is the runs' arm_target's (not the curve's), its grid
    step and confirmations are beside it, and the confirmation's operating characteristic and
    cost are in the artefact; a spec and its inputs that disagree are refused."""
    from harness.stages.target.records import Candidate, TargetMetrics

    smoke = load_study("smoke").pretraining
    spec = replace(smoke, seeds=(0, 1), budget=BUDGET, eval=replace(smoke.eval, every=EVERY),
                   unlearning_evals=2, sensitivity=(), bootstrap=1000)
    store = Store(tmp_path / "artifacts")
    runs = {"baseline": [arm_run(store, "baseline", s, [0.1, 0.95, 0.95, 0.95, 0.95], 10)
                         for s in (0, 1)],
            "pretrained": [arm_run(store, "pretrained", s, [0.95] * 5, 0, bc=(0.95, 0.9, 0.95))
                           for s in (0, 1)]}

    def target(arm, seed, t):
        def build(b: Build) -> None:
            cands = [Candidate(timesteps=t or 0, screen_success=0.95, screen_collision=0.0,
                               episodes=50, success_rate=0.9 if t is not None else 0.8,
                               success_ci=[0, 1], collision_rate=0.0, collision_ci=[0, 1],
                               episode_seeds=[0, 50], confirmed=t is not None)]
            b.metrics = TargetMetrics(arm=arm, seed=seed, time_to_target=t, censored=t is None,
                                      grid_step=EVERY, screened_out=1, candidates=cands,
                                      confirmation_episodes=50, confirmation_steps=400,
                                      training_steps=BUDGET).to_json()
        return store.get_or_build("arm_target", {"arm": arm}, [seed], build)

    targets = {"baseline": [target("baseline", 0, 30), target("baseline", 1, None)],
               "pretrained": [target("pretrained", 0, 10), target("pretrained", 1, 0)]}
    dataset, expert = upstreams(store)
    art = summarise(spec, runs, dataset, expert, store, targets)
    m = ComparisonMetrics.from_json(art.metrics)
    assert m.arms["baseline"].time_to_target == [30, BUDGET]  # the curves said 10 and 10
    assert m.arms["baseline"].censored == [False, True]
    assert m.arms["pretrained"].time_to_target == [10, 0]
    assert m.arms["pretrained"].grid_step == EVERY and m.arms["pretrained"].confirmations == [1, 1]
    conf = m.confirmation
    assert conf.episodes == spec.confirmation.episodes and conf.confirmations == 4
    assert conf.confirmation_steps == 1600 and conf.training_steps == 4 * BUDGET
    assert conf.judged_inside >= 0.9 and conf.judged_outside <= 0.1  # smoke: band 0.08
    assert {r["id"] for r in art.manifest["inputs"]} >= {a.id for a in targets["baseline"]}
    with pytest.raises(ValueError, match="confirmed targets"):
        summarise(spec, runs, dataset, expert, store)


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
