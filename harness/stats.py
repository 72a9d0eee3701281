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


def sustained_probability(q: float, k: int, trials: int) -> float:
    """P(at least one run of ``k`` consecutive passes in ``trials`` independent evaluations that
    each pass with probability ``q``) (exact: a chain over the current run's length)."""
    if trials < k:
        return 0.0
    state = np.zeros(k)  # state[j]: no run of k yet, current run of j passes
    state[0] = 1.0
    done = 0.0
    for _ in range(trials):
        new = np.zeros(k)
        new[0] = state.sum() * (1 - q)
        new[1:] = state[:-1] * q
        done += state[-1] * q
        state = new
    return float(done)


def allowed_count(level: float, n: int, upper: bool) -> int:
    """The most "bad" episodes of ``n`` a rate criterion admits: collisions when ``upper``
    (collision rate <= level), failures otherwise (success rate >= level)."""
    if upper:
        return int(np.floor(level * n + 1e-9))
    return n - int(np.ceil(level * n - 1e-9))


def early_stop_risk(limit: float, stop_level: float, upper: bool, episodes: int, final: int,
                    consecutive: int, evaluations: int) -> tuple[float, float]:
    """Worst case of P(early stop fires, then the final gate fails), for one family and one
    criterion, over the policy's true rate held fixed through the run; returns (risk, the true
    rate of the "bad" outcome at which it is worst: collision, or 1 - success).

    The stop fires at the first ``consecutive`` periodic evaluations (``episodes`` each, their
    own sets) inside ``stop_level``, within ``evaluations`` evaluations; the gate then needs the
    rate inside ``limit`` on ``final`` fresh episodes. ``upper``: the criterion is an upper
    bound (collisions), else a lower bound (success). A stop at the gate's own level
    (``stop_level == limit``) promotes a policy sitting on it about half the time."""
    stop_k = allowed_count(stop_level, episodes, upper)
    gate_k = allowed_count(limit, final, upper)
    worst = (0.0, 0.0)
    for p in np.linspace(0.0, 0.5, 1001):
        q = float(stats.binom.cdf(stop_k, episodes, p))
        fail = float(stats.binom.sf(gate_k, final, p))
        risk = sustained_probability(q, consecutive, evaluations) * fail
        if risk > worst[0]:
            worst = (risk, float(p))
    return worst
