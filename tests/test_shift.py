"""The distribution-shift check (issue 12 part 2) on hand-made per-episode outcomes: the
interval of a paired success difference, the regression rule, the detector firing on a real
shift and quiet on a matched one, and coverage gaps named in words."""

import numpy as np
import pytest

from harness import power, stats
from harness.envs.simulator import coverage_gaps, dataset_coverage
from harness.spec.loader import load_study
from harness.spec.scenarios import load_scenario
from harness.stages.shift import build as shift

EPISODES = 50


def outcomes(successes: int, n: int = EPISODES) -> np.ndarray:
    """n episodes of which the first ``successes`` succeed (0/1)."""
    return (np.arange(n) < successes).astype(float)


def test_identical_outcomes_never_give_a_zero_width_interval():
    """Every pair equal (both arms succeed on all 300 episodes): the bootstrap has nothing to
    resample, and a zero-width interval would read as certainty; Newcombe's score interval
    for paired proportions does not collapse (issue 23)."""
    a = np.ones((3, 100))
    diff, lo, hi = stats.paired_rate_ci(a, a.copy(), n_boot=500)
    assert diff == 0.0 and lo < -0.01 and hi > 0.01 and lo == -hi
    # Newcombe (1998), method 10, his worked example: 1, 1, 7, 12 pairs -> [-0.5069, -0.0256]
    x = np.r_[1, 1, np.zeros(19)].astype(bool)
    y = np.r_[1, 0, np.ones(7), np.zeros(12)].astype(bool)
    assert stats.newcombe_paired(x, y) == pytest.approx((-0.5069, -0.0256), abs=1e-4)


def test_pairs_stay_together():
    """Shifted fails exactly the 10 episodes matched fails and 20 more: every pair differs by
    0 or -1, and the interval is that of a mean of 30 -1's among 50, not of two free rates."""
    matched, shifted = outcomes(40), outcomes(20)
    diff, lo, hi = stats.paired_rate_ci(shifted[None], matched[None], n_boot=4000)
    assert diff == pytest.approx(-0.4)
    assert -0.56 < lo < -0.40 < hi < -0.24  # hand bound: 0.4 +- 1.96 * sqrt(.4 * .6 / 50)
    # (the interval is the hull with Newcombe's score interval, [-0.537, -0.248] here)


def test_one_collapsed_seed_of_three_is_not_evidence():
    """Between-seed variance counts: seed resamples without the collapsed run (p = 8/27) give
    no difference, so the upper bound reaches 0; pooling the 150 episodes as one i.i.d. sample
    (what a Newcombe interval does) would call it a regression."""
    ok, bad = outcomes(EPISODES), outcomes(0)
    shifted = np.stack([ok, ok, bad])
    matched = np.stack([ok, ok, ok])
    diff, lo, hi = stats.paired_rate_ci(shifted, matched, n_boot=4000)
    assert diff == pytest.approx(-1 / 3)
    assert hi == 0.0 and lo == -1.0
    assert stats.shift_verdict(diff, lo, hi, 0.10) == stats.INCONCLUSIVE


@pytest.mark.parametrize("diff, lo, hi, verdict", [
    (-0.30, -0.45, -0.15, stats.REGRESSION),      # beyond the margin, interval below 0
    (-0.30, -0.60, 0.02, stats.INCONCLUSIVE),     # beyond the margin, interval reaches 0
    (-0.08, -0.15, -0.01, stats.INCONCLUSIVE),    # significant but within the margin
    (-0.02, -0.09, 0.05, stats.WITHIN_MARGIN),    # the interval stays above -margin
    (0.20, 0.10, 0.30, stats.WITHIN_MARGIN),      # better
])
def test_regression_needs_the_margin_and_an_interval_below_zero(diff, lo, hi, verdict):
    assert stats.shift_verdict(diff, lo, hi, 0.10) == verdict


# ----------------------------------------------------------------------------- the detector
def _run(final: int, bc: int | None, t_at: int | None, every: int, budget: int) -> dict:
    """One run's record on one family, as :func:`harness.stages.shift.build.evaluate_run` makes
    it: final and BC per-episode outcomes, and a learning curve that reaches full success at
    ``t_at``."""
    grid = list(range(0, budget + 1, every))
    curve = [{"timesteps": s, "episode_seeds": [i * EPISODES, (i + 1) * EPISODES],
              "success_rate": 1.0 if t_at is not None and s >= t_at else 0.5,
              "collision_rate": 0.0} for i, s in enumerate(grid)]
    pack = (lambda k: {"success": outcomes(k), "collision": 1.0 - outcomes(k)})
    return {"final": pack(final), "bc": None if bc is None else pack(bc), "curve": curve}


@pytest.fixture(scope="module")
def smoke():
    study = load_study("smoke")
    return study.shift, study.pretraining


def _played(smoke, shifted_final: int, shifted_bc: int) -> dict:
    sh, pre = smoke
    every, budget = pre.eval.every, sh.budget
    fam = "open"
    return {"baseline": [{fam: _run(48, None, 4 * every, every, budget)}],
            "matched": [{fam: _run(49, 49, 0, every, budget)}],
            "shifted": [{fam: _run(shifted_final, shifted_bc, 8 * every, every, budget)}]}


def test_the_detector_fires_on_a_real_shift_and_names_it(smoke):
    sh, pre = smoke
    diffs = shift.differences(sh, pre, _played(smoke, shifted_final=20, shifted_bc=5), "open")
    flagged = shift.regressions(diffs)
    assert {(r.reference, r.stage) for r in flagged} == {("matched", "fine-tuned"),
                                                          ("baseline", "fine-tuned")}
    vs_matched = next(r for r in flagged if r.reference == "matched")
    assert vs_matched.family == "open" and vs_matched.drop == pytest.approx(29 / 50)
    assert vs_matched.ci[1] < 0 and vs_matched.success == pytest.approx(0.4)
    bc = next(d for d in diffs if d.stage == "bc")
    assert bc.verdict == stats.REGRESSION  # reported, never in the regressions
    t = next(d for d in diffs if d.stage == "fine-tuned" and d.reference == "matched")
    assert t.t_difference == 8 * pre.eval.every and t.auc_difference < 0
    assert t.t_verdict == shift.ONE_SEED  # an interval over one seed is a point


def test_the_detector_stays_quiet_on_a_matched_one(smoke):
    sh, pre = smoke
    diffs = shift.differences(sh, pre, _played(smoke, shifted_final=48, shifted_bc=47), "open")
    assert shift.regressions(diffs) == []
    assert {d.verdict for d in diffs if d.stage == "fine-tuned"} <= {
        stats.WITHIN_MARGIN, stats.INCONCLUSIVE}


# ----------------------------------------------------------------------------- coverage
def _family(episodes: int, peds: dict, obstacles: dict, lo: float, hi: float) -> dict:
    return {"episodes": episodes, "pedestrians": peds, "obstacles": obstacles,
            "start_goal_distance": {"min": lo, "max": hi}}


ENV = {name: {"layout": load_scenario(name).layout}
       for name in ("open", "cluttered", "corridor", "doorway", "crowd")}


def test_coverage_gaps_are_named_in_words():
    doorway = load_scenario("doorway")  # doorway layout, 0-3 obstacles, 2-4 pedestrians, 3-9 m
    open_only = {"scenarios": {"open": _family(200, {"0": 200}, {"0": 200}, 2.01, 6.98)}}
    contents = dataset_coverage(open_only, ENV, "doorway")
    assert contents["from_families"] == ["open"]  # no doorway episodes: every family's
    assert coverage_gaps(contents, doorway) == [
        "no doorway episodes (the dataset has open (200))",
        "no doorway layout episodes (the dataset has open)",
        "obstacle counts 0-0 against 0-3",
        "pedestrian counts 0-0 against 2-4",
        "start-goal distances 2.0-7.0 m against 3.0-9.0 m"]


def test_a_matched_dataset_covers_its_scenario_and_reads_its_own_family():
    crowd = load_scenario("crowd")  # 2-5 obstacles, 3-6 pedestrians, 3-8 m
    mixed = {"scenarios": {
        "crowd": _family(100, {str(k): 25 for k in range(3, 7)},
                         {str(k): 25 for k in range(2, 6)}, 3.02, 7.97),
        "open": _family(100, {"0": 100}, {"0": 100}, 2.0, 7.0)}}
    contents = dataset_coverage(mixed, ENV, "crowd")
    assert contents["from_families"] == ["crowd"] and contents["pedestrians"] == [3, 6]
    assert coverage_gaps(contents, crowd) == []
    narrow = {"scenarios": {"crowd": _family(100, {"3": 50, "4": 50},
                                             {str(k): 25 for k in range(2, 6)}, 3.6, 7.9)}}
    assert coverage_gaps(dataset_coverage(narrow, ENV, "crowd"), crowd) == [
        "pedestrian counts 3-4 against 3-6", "start-goal distances 3.6-7.9 m against 3.0-8.0 m"]


# ----------------------------------------------------------------------------- the spec
@pytest.mark.parametrize("profile", ["smoke", "full"])
def test_the_two_arms_differ_only_in_their_demonstrations(profile):
    from harness.stages.dataset.stage import dataset_spec

    study = load_study(profile)
    sh = study.shift
    assert [a.name for a in sh.arms] == ["shifted", "matched"]
    recipe = study.pretraining.arm("pretrained")
    assert sh.shifted.finetune == sh.matched.finetune == recipe.finetune
    assert sh.shifted.critic == sh.matched.critic == recipe.critic
    shifted, matched = dataset_spec(study, "shifted"), dataset_spec(study, "matched")
    assert matched.scenarios == (study.pretraining.scenario,) and matched.mix is None
    assert shifted.scenarios == sh.dataset_scenarios and shifted.mix is None
    assert shifted.episodes == matched.episodes == sh.episodes_per_dataset
    assert len({shifted.stream, matched.stream, study.dataset.stream}) == 3
    if profile == "full":
        assert len(sh.seeds) >= 3


def test_the_bad_shift_spec_uses_the_smoke_expert():
    """specs/bad_shift.yaml reuses a smoke store's expert (CI's study-level test copies it):
    if the smoke expert changes, this names the drift instead of CI training a new one."""
    smoke = load_study("smoke")
    bad = load_study("bad_shift", "specs/bad_shift.yaml")
    assert bad.expert.run_config() == smoke.expert.run_config()
    assert bad.expert.gate_config() == smoke.expert.gate_config()
    assert bad.pretraining.scenario.name not in [s.name for s in bad.shift.dataset_scenarios]


def test_a_runs_outcomes_survive_their_json_file():
    """What a ``shift_run`` writes is what the ``shift`` artefact reads: per-episode pairs
    stay aligned, a baseline has no BC record, curves are unchanged."""
    import json

    played = {"open": _run(37, 12, 20480, 10240, 40960),
              "doorway": {**_run(4, None, None, 10240, 40960), "bc": None}}
    back = shift.parse_outcomes(json.loads(json.dumps(shift.dump_outcomes(played))))
    for fam, rec in played.items():
        assert back[fam]["curve"] == rec["curve"]
        for stage in ("final", "bc"):
            if rec[stage] is None:
                assert back[fam][stage] is None
                continue
            for key in ("success", "collision"):
                np.testing.assert_array_equal(back[fam][stage][key], rec[stage][key])


def test_the_declared_shift_design_has_the_power_it_declares():
    """Issue 23: SHIFT calls a true 0.10 drop a regression with p >= 0.8 on the full profile's
    seeds, episodes and margin, simulated through the study's own interval and verdict; the
    old margin (0.10, equal to the drop) could not, whatever the seeds."""
    sh = load_study("full").shift
    pw = sh.power
    achieved = power.shift_power(pw.drop, sh.margin, len(sh.seeds), sh.episodes, pw.base,
                                 pw.seed_sd, sims=300)
    assert achieved >= pw.power, achieved
    assert power.shift_power(pw.drop, pw.drop, len(sh.seeds), sh.episodes, pw.base,
                             pw.seed_sd, sims=300) < 0.6


def test_a_margin_the_declared_drop_cannot_cross_is_refused(tmp_path):
    import yaml

    from harness.core.paths import specs_dir
    from harness.spec.errors import SpecError

    raw = yaml.safe_load((specs_dir() / "study.yaml").read_text())
    raw["shift"]["margin"] = 0.10
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(SpecError, match=r"shift\.margin.*below power\.drop"):
        load_study("full", str(path))


@pytest.mark.parametrize("seeds, seed_sd, base, minimum", [
    (10, 0.06, 0.90, 0.89),  # the full design: 0.93 simulated
    (3, 0.0, 0.90, 0.94),    # runs that do not differ: the episode stage alone, 0.98
    (10, 0.0, 0.99, 0.94),   # near the ceiling, where Newcombe's interval carries it: 0.99
])
def test_the_shift_interval_covers_the_true_difference(seeds, seed_sd, base, minimum):
    """Coverage of SHIFT's paired interval (the hull of the hierarchical bootstrap and
    Newcombe's score interval), simulated with runs of known true success: the shifted arm
    0.05 below the reference, each run's rate varying by ``seed_sd`` between seeds, 100
    episodes each. (With 3 seeds that vary, the seed bootstrap undercovers: 0.89.)"""
    rng = np.random.default_rng(seeds)
    covered, sims = 0, 300
    for i in range(sims):
        shifted = np.clip(base - 0.05 + rng.normal(0.0, seed_sd, seeds), 0.0, 1.0)
        reference = np.clip(base + rng.normal(0.0, seed_sd, seeds), 0.0, 1.0)
        a = (rng.random((seeds, 100)) < shifted[:, None]).astype(float)
        b = (rng.random((seeds, 100)) < reference[:, None]).astype(float)
        true = shifted.mean() - reference.mean() if seed_sd == 0 else -0.05
        _, lo, hi = stats.paired_rate_ci(a, b, 1000, seed=i)
        covered += lo <= true <= hi
    assert covered / sims >= minimum
