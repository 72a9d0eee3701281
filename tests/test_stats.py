"""Statistics against hand-computed values."""

import numpy as np
import pytest

from harness.stats import distribution, wilson_interval


def test_wilson_interval_hand_values():
    # 9/10: centre (0.9 + 1.92/10)/(1.384), known interval (0.5958, 0.9821)
    lo, hi = wilson_interval(9, 10)
    assert lo == pytest.approx(0.5958, abs=1e-4)
    assert hi == pytest.approx(0.9821, abs=1e-4)
    lo, hi = wilson_interval(0, 20)
    assert lo == 0.0 and hi == pytest.approx(0.1611, abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    lo, hi = wilson_interval(20, 20)  # the upper bound is exactly 1
    assert hi == 1.0 and lo == pytest.approx(0.8389, abs=1e-4)


def test_distribution_quantiles():
    d = distribution(np.arange(11.0))
    assert d.mean == 5.0 and d.median == 5.0 and d.q25 == 2.5 and d.max == 10.0


@pytest.mark.parametrize("passed, k, expected", [
    # the index of the FIRST evaluation of the run ("reached at T, confirmed by the next k-1")
    ([False, True, True, False, True, True, True], 3, 4),
    ([True, True], 2, 0),
    ([True, False, True], 2, None),
    ([], 1, None),
    ([False, True], 1, 1),
])
def test_first_sustained(passed, k, expected):
    from harness.stats import first_sustained

    assert first_sustained(passed, k) == expected
