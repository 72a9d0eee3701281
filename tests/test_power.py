"""The comparison's power analysis (issue 23, DESIGN.md section 4 "Comparing rates"): each
criterion's simulated power behaves as its decision implies on designs whose answer is known,
and the full profile's declared design reaches its declared power before any run."""

import pytest

from harness import power
from harness.spec.loader import load_study
from harness.stages.comparison.build import comparison_power


def test_a_t_margin_the_attainable_times_cannot_cross_has_no_power():
    """The earlier study's defect: T took the values 0 and 51,200 only, and the margin was
    75,000; no recipe, however slow, could fail."""
    p = power.t_difference_power(effect=51_200, margin=75_000, seeds=10, median=1.0,
                                 log_sd=0.0, grid=51_200, budget=51_200, sims=50)
    assert p.detect == 0.0 and p.clear == 1.0


def test_t_power_grows_with_the_effect_and_a_clear_design_passes_equal_arms():
    small = power.t_difference_power(25_600, 75_000, 10, 180_000, 0.2, 25_600, 750_000, sims=100)
    large = power.t_difference_power(150_000, 75_000, 10, 180_000, 0.2, 25_600, 750_000,
                                     sims=100)
    assert small.detect < 0.5 < large.detect == 1.0
    assert small.clear == large.clear >= 0.9  # same seed: the no-effect studies are the same


def test_final_power_with_no_noise_is_exact():
    p = power.final_power(drop=0.10, margin=0.05, seeds=10, episodes=100_000, base=0.9,
                          seed_sd=0.0, sims=50)
    assert p.detect == 1.0 and p.clear == 1.0
    # an effect inside the margin is not a regression the criterion can be asked to detect
    assert power.final_power(0.02, 0.05, 10, 100_000, 0.9, 0.0, sims=50).detect == 0.0


def test_unlearning_power_of_a_margin_no_drop_can_reach_is_zero():
    p = power.unlearning_power(drop=0.10, margin=1.0, seeds=10, evals=12, episodes=100,
                               discordance=0.03, sims=500)
    assert p.detect == 0.0 and p.false_alarm == 0.0 and p.clear == 1.0


def test_unlearning_false_alarms_grow_with_discordance_and_compound_over_seeds():
    quiet = power.unlearning_power(0.10, 0.05, 10, 12, 100, discordance=0.02, sims=2000)
    noisy = power.unlearning_power(0.10, 0.05, 10, 12, 100, discordance=0.10, sims=2000)
    assert quiet.false_alarm < noisy.false_alarm
    assert noisy.clear == pytest.approx((1 - noisy.false_alarm) ** 10)
    assert quiet.detect >= 0.8


def test_sc003_passes_a_large_benefit_and_almost_never_no_benefit():
    p = power.ratio_power(ratio=0.3, ratio_max=0.7, seeds=10, median=180_000, log_sd=0.2,
                          grid=25_600, budget=750_000, sims=100)
    assert p.detect >= 0.95 and p.clear <= 0.05


def test_the_full_profile_reaches_its_declared_power_before_any_run():
    """CI gates the design: a margin that cannot detect its declared effect, or fails a
    harmless recipe too often, is caught before a study spends its 20 minutes."""
    pre = load_study("full").pretraining
    assert pre.power is not None
    res = comparison_power(pre, len(pre.seeds))
    assert set(res) == {"SC-003", "SC-003f", "SC-003u", "SC-003r T", "SC-003r drop"}
    short = {cid: (p.detect, p.clear) for cid, p in res.items() if not p.met}
    assert not short, f"below the declared power {pre.power.power}: {short}"
