"""Matched-seed statistics on tiny inputs with hand-computed answers."""

import numpy as np
import pytest
from scipy import stats as sps

from harness import stats


def test_iqm_is_rliables_trimmed_mean():
    assert stats.iqm(np.arange(1, 9)) == pytest.approx(4.5)  # mean of 3, 4, 5, 6
    v = np.array([5.0, 1.0, 100.0, 7.0, 3.0, 2.0, 9.0, 4.0])
    assert stats.iqm(v) == pytest.approx(sps.trim_mean(v, 0.25))
    # Audit finding 6, n = 10: rliable cuts int(2.5) = 2 values from each end and averages the
    # 6 left (the earlier interpolation weighted the 3rd and 8th by one half: 1.8, not rliable's)
    v10 = np.array([0, 0, 0, 1, 1, 1, 1, 10, 10, 10.0])
    assert stats.iqm(v10) == pytest.approx((0 + 1 + 1 + 1 + 1 + 10) / 6)


def test_ratio_of_scaled_times_is_exact_with_a_degenerate_interval():
    base = np.array([100.0, 200.0, 300.0, 400.0])
    r, lo, hi = stats.ratio_ci(0.5 * base, base, n_boot=500)
    assert r == pytest.approx(0.5) and lo == pytest.approx(0.5) and hi == pytest.approx(0.5)


def test_ratio_interval_contains_the_point_estimate():
    rng = np.random.default_rng(0)
    base = rng.uniform(200, 400, 10)
    pre = base * rng.uniform(0.1, 0.4, 10)
    r, lo, hi = stats.ratio_ci(pre, base, n_boot=2000)
    assert lo <= r <= hi < 1.0


def test_censored_runs_enter_at_the_budget_and_are_counted():
    t, censored = stats.censored_times([100, None, 300], budget=1000)
    assert t.tolist() == [100, 1000, 300] and censored.tolist() == [False, True, False]


def test_probability_of_improvement():
    assert stats.probability_of_improvement([1, 2], [3, 4]) == 1.0
    assert stats.probability_of_improvement([3, 4], [1, 2]) == 0.0
    assert stats.probability_of_improvement([2], [2]) == 0.5


def test_a_censored_run_ranks_after_every_run_that_reached_the_target():
    """Audit finding 2: a censored run entered at the budget tied with a run that reached the
    target at the budget's last evaluation."""
    assert stats.probability_of_improvement([1000], [1000], [True], [False]) == 0.0
    assert stats.probability_of_improvement([1000], [1000], [False], [True]) == 1.0
    assert stats.probability_of_improvement([1000], [1000], [True], [True]) == 0.5


def curve(points):
    return [{"timesteps": t, "success_rate": s, "collision_rate": c} for t, s, c in points]


def test_time_to_target_is_the_first_evaluation_of_k_consecutive_and_censors():
    """Audit finding 2: T is where the run of k starts ("reached at T, confirmed by the next
    k - 1"), not where it completes; a policy at target before any online step has T = 0."""
    c = curve([(0, 0.9, 0.0), (10, 0.5, 0.0), (20, 0.9, 0.0), (30, 0.95, 0.02),
               (40, 0.95, 0.2)])
    assert stats.time_to_target(c, 0.85, 0.1, 2) == 20
    assert stats.time_to_target(c, 0.85, 0.1, 3) is None
    assert stats.time_to_target(c, 0.85, 0.1, 1) == 0
    at_zero = curve([(0, 0.95, 0.0), (10, 0.95, 0.0), (20, 0.5, 0.0)])
    assert stats.time_to_target(at_zero, 0.9, 0.05, 2) == 0


def test_time_to_target_refuses_evaluations_that_reuse_an_episode_set():
    """Audit finding 2: passes on one episode set are one sample, not k."""
    c = curve([(0, 0.95, 0.0), (10, 0.95, 0.0)])
    for row in c:
        row["episode_seeds"] = [100, 200]
    with pytest.raises(ValueError, match="own episode set"):
        stats.time_to_target(c, 0.9, 0.05, 2)


def test_success_auc():
    assert stats.success_auc(curve([(0, 1.0, 0), (100, 1.0, 0)]), 100) == pytest.approx(1.0)
    assert stats.success_auc(curve([(0, 0.0, 0), (100, 1.0, 0)]), 100) == pytest.approx(0.5)
    # held at its last value up to the budget
    assert stats.success_auc(curve([(0, 0.0, 0), (50, 1.0, 0)]), 100) == pytest.approx(0.75)


def test_unlearning_drop_pairs_each_evaluation_with_the_bc_policy_on_the_same_episodes():
    c = curve([(0, 0.9, 0), (10, 0.8, 0), (20, 0.95, 0), (30, 0.1, 0)])
    # BC scored 0.85 on evaluation 1's episodes and 0.99 on evaluation 2's: drops 0.05, 0.04
    assert stats.unlearning_drop([0.85, 0.99], c) == pytest.approx(0.05)
    assert stats.unlearning_drop([0.7, 0.9], c) == pytest.approx(-0.05)
    with pytest.raises(ValueError, match="3 are needed"):
        stats.unlearning_drop([0.9, 0.9, 0.9], c[:3])


def test_no_regression_compares_the_interval_not_the_point_estimate():
    """Audit finding 8: the point difference (0.0) is within the margin, but with these
    seed-to-seed swings its interval is not: the claim fails."""
    from types import SimpleNamespace

    from harness.stages.comparison.build import _final_difference

    spec = SimpleNamespace(bootstrap=2000, final_margin=0.05)
    pre = SimpleNamespace(final_success=[0.99, 0.70, 0.99, 0.70, 0.99, 0.70])
    base = SimpleNamespace(final_success=[0.85] * 6, final_episodes=200)
    res = _final_difference(spec, pre, base)
    assert res.difference == pytest.approx(-0.005)
    assert res.ci[0] < -0.05 and not res.passed
    # every seed alike: the seed bootstrap alone would give [-0.01, -0.01], a certainty the
    # 1,200 episodes per arm do not hold; the score interval of the pooled counts widens it
    steady = _final_difference(spec, SimpleNamespace(final_success=[0.84] * 6), base)
    assert steady.ci[0] < -0.01 < steady.ci[1] and steady.ci[1] - steady.ci[0] > 0.05
    assert steady.passed


def test_a_final_difference_of_rates_at_the_ceiling_is_never_certain():
    """Both arms at 200/200 on every seed (the smoke study): the interval is narrow, not
    [0, 0]."""
    diff, lo, hi = stats.rate_difference_ci([1.0] * 10, [1.0] * 10, 200, n_boot=500)
    assert diff == 0.0 and -0.01 < lo < 0.0 < hi < 0.01


def test_paired_difference_resamples_pairs_together():
    a = np.array([10.0, 20.0, 30.0, 40.0])
    diff, lo, hi = stats.paired_difference_ci(a + 5.0, a, n_boot=500)
    assert (diff, lo, hi) == (5.0, 5.0, 5.0)  # unpaired resampling would spread it
    assert stats.verdict(-3, -1) == "better" and stats.verdict(-1, 2) == "indistinguishable"


def test_the_unlearning_drop_has_a_simultaneous_interval_that_covers_the_true_drop():
    """SC-003u's interval (issue 23): for BC at 0.95 and a fine-tuned policy whose true success
    is 0.95, 0.90, 0.93 on three evaluations of 100 episodes (largest true drop 0.05), the
    interval of the observed largest drop covers 0.05 in >= 95% of simulated runs, and is
    never of zero width."""
    rng = np.random.default_rng(0)
    true_ft, n = [0.95, 0.90, 0.93], 100
    covered, widths = 0, []
    for _ in range(2000):
        bc = [rng.binomial(n, 0.95) / n for _ in true_ft]
        ft = [{"timesteps": 10 * (i + 1), "success_rate": rng.binomial(n, p) / n}
              for i, p in enumerate(true_ft)]
        drop, lo, hi = stats.unlearning_drop_ci(bc, [{"timesteps": 0, "success_rate": 1.0},
                                                     *ft], n)
        assert lo <= drop <= hi
        covered += lo <= 0.05 <= hi
        widths.append(hi - lo)
    assert covered / 2000 >= 0.95 and min(widths) > 0.05
