"""Statistics as small pure functions (DESIGN.md section 4), tested on hand-computable inputs.

Input convention (as rliable): a 1-D array of per-run values, one entry per seed, unless stated.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from harness.metrics import Distribution


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial rate (scipy's ``binomtest(...).proportion_ci``,
    method "wilson", no continuity correction); (0, 1) when n == 0."""
    if n <= 0:
        return 0.0, 1.0
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(confidence_level=level,
                                                               method="wilson")
    return max(0.0, float(ci.low)), min(1.0, float(ci.high))


def distribution(values: np.ndarray) -> Distribution:
    """Mean, std and quantiles of a sample (the reward-distribution summary of every report)."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return Distribution(*([float("nan")] * 9))
    q = np.quantile(v, [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0])
    return Distribution(mean=float(v.mean()), std=float(v.std(ddof=0)), min=float(q[0]),
                        q05=float(q[1]), q25=float(q[2]), median=float(q[3]), q75=float(q[4]),
                        q95=float(q[5]), max=float(q[6]))


def first_sustained(passed: list[bool] | np.ndarray, k: int) -> int | None:
    """Index of the first evaluation of the first run of ``k`` consecutive passes.

    Time to target (DESIGN.md section 4) is the step of that evaluation: "reached at T,
    confirmed by the next k - 1". ``None`` when no such run exists (censored at the budget).
    """
    run = 0
    for i, ok in enumerate(passed):
        run = run + 1 if ok else 0
        if run >= k:
            return i - k + 1
    return None
