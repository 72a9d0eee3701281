"""Time to target whose error is known (issue 23): the classification of "at target" computed
exactly and simulated, the declared confirmation's power, and T recovered within its
resolution from policies of known true rates run through the evaluation schedule."""

from __future__ import annotations

import numpy as np
import pytest

from harness import stats
from harness.spec.common import Thresholds
from harness.spec.loader import load_study

TARGET = Thresholds(0.90, 0.05)
SCREEN = Thresholds(0.85, 0.08)


def _simulate_pass(rng, n, success, collision, level, trials):
    counts = rng.multinomial(n, [success, collision, max(0.0, 1.0 - success - collision)],
                             size=trials)
    return (counts[:, 0] / n >= level.success) & (counts[:, 1] / n <= level.collision)


@pytest.mark.parametrize("n, success, collision", [(500, 0.92, 0.03), (500, 0.88, 0.0),
                                                   (500, 0.93, 0.07), (100, 0.90, 0.05),
                                                   (50, 0.97, 0.01)])
def test_the_exact_pass_probability_matches_simulation(n, success, collision):
    rng = np.random.default_rng(0)
    simulated = _simulate_pass(rng, n, success, collision, TARGET, 40_000).mean()
    exact = stats.pass_probability(n, success, collision, TARGET.success, TARGET.collision)
    assert abs(simulated - exact) < 4 * np.sqrt(exact * (1 - exact) / 40_000) + 1e-3


def test_the_declared_confirmation_classifies_0_02_either_side_with_power_0_9():
    """The full profile's 500 episodes: a policy 0.02 inside the target is judged at target,
    and one 0.02 outside not, each with probability >= 0.9 (480 is the fewest that do)."""
    conf = load_study("full").pretraining.confirmation
    assert (conf.band, conf.power) == (0.02, 0.9)
    inside, outside = stats.classification(conf.episodes, 0.90, 0.05, conf.band)
    assert inside >= 0.9 and outside <= 0.1
    assert stats.episodes_for_classification(0.90, 0.05, 0.02, 0.9) == 480
    # the screen hides a policy 0.02 inside with probability < 0.01; both together >= 0.9
    both = stats.judged_at_target(0.92, 0.03, TARGET, conf.screen, 100, conf.episodes)
    assert both >= 0.9
    # the old rule (k = 2 evaluations of 100 at the target's levels) could not: a policy
    # 0.02 outside passed a single evaluation with probability 0.33
    assert stats.classification(100, 0.90, 0.05, 0.02)[1] > 0.3


def test_a_confirmation_too_small_for_its_band_is_refused_at_load(tmp_path):
    import yaml

    from harness.core.paths import specs_dir
    from harness.spec.errors import SpecError

    raw = yaml.safe_load((specs_dir() / "study.yaml").read_text())
    raw["pretraining"]["confirmation"]["episodes"] = 300
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(SpecError, match=r"pretraining\.confirmation\.episodes.*>= 480"):
        load_study("full", str(path))


def _curve(steps: int):
    """True rates along a run: success rising and collisions falling through the target."""
    x = np.linspace(0.0, 1.0, steps)
    success = 0.55 + 0.44 * x
    collision = 0.20 * (1.0 - x) ** 2 + 0.005
    return success, np.minimum(collision, 1.0 - success)


def test_t_is_recovered_within_its_resolution_through_the_schedule():
    """Policies of known true rates through the evaluation schedule (screen on 100 episodes,
    confirmation on 500 of the run's own): the simulated T matches the exact distribution, and
    lies, with probability >= 0.9, between the first grid step whose policy is no longer 0.02
    outside the target and the first that is 0.02 inside it (T's resolution: the grid step and
    the band), on a fast and a slow crossing of the target."""
    conf = load_study("full").pretraining.confirmation
    for steps in (15, 30, 60):  # 60: success rises 0.0075 per grid step through the target
        success, collision = _curve(steps)
        pairs = list(zip(success, collision, strict=True))
        lo = next(i for i, (s, c) in enumerate(pairs) if s > 0.88 and c < 0.07)
        hi = next(i for i, (s, c) in enumerate(pairs) if s >= 0.92 and c <= 0.03)
        q = [stats.judged_at_target(s, c, TARGET, conf.screen, 100, conf.episodes)
             for s, c in pairs]
        exact = stats.first_judged_distribution(q)
        assert exact[lo:hi + 1].sum() >= 0.9, (steps, lo, hi, exact[lo:hi + 1].sum())
        rng = np.random.default_rng(steps)
        trials = 4_000
        judged = np.stack([_simulate_pass(rng, 100, s, c, conf.screen, trials)
                           & _simulate_pass(rng, conf.episodes, s, c, TARGET, trials)
                           for s, c in pairs], axis=1)
        first = np.where(judged.any(axis=1), judged.argmax(axis=1), len(q))
        simulated = np.bincount(first, minlength=len(q) + 1) / trials
        assert np.abs(simulated - exact).max() < 0.03
        assert ((first >= lo) & (first <= hi)).mean() >= 0.88
        # the old rule on the same policies: k = 2 consecutive evaluations of 100 at the
        # target's levels; it lands early far more often
        old = np.stack([_simulate_pass(rng, 100, s, c, TARGET, trials) for s, c in pairs],
                       axis=1)
        old_t = np.array([len(q) if (i := stats.first_sustained(row, 2)) is None else i
                          for row in old])
        assert ((old_t >= lo) & (old_t <= hi)).mean() < exact[lo:hi + 1].sum() - 0.05
