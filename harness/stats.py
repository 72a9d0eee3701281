"""Statistics as small pure functions (DESIGN.md section 4), tested on hand-computable inputs.

Input convention (as rliable): a 1-D array of per-run values, one entry per seed, unless stated.
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score 95% interval of a binomial rate; (0, 1) when n == 0."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def distribution(values: np.ndarray) -> dict[str, float]:
    """Mean, std and quantiles of a sample (the reward-distribution summary of every report)."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return {k: float("nan") for k in ("mean", "std", "min", "q05", "q25", "median",
                                          "q75", "q95", "max")}
    q = np.quantile(v, [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0])
    return {"mean": float(v.mean()), "std": float(v.std(ddof=0)), "min": float(q[0]),
            "q05": float(q[1]), "q25": float(q[2]), "median": float(q[3]), "q75": float(q[4]),
            "q95": float(q[5]), "max": float(q[6])}


def first_sustained(passed: list[bool] | np.ndarray, k: int) -> int | None:
    """Index of the evaluation that completes the first run of ``k`` consecutive passes.

    Time to target (DESIGN.md section 4) is the timestep of that evaluation: the earliest point
    at which a monitor watching the evaluations knows the target holds for k of them. ``None``
    when it never happens (the run is censored at its budget).
    """
    run = 0
    for i, ok in enumerate(passed):
        run = run + 1 if ok else 0
        if run >= k:
            return i
    return None
