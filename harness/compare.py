"""Matched-seed statistics of the pre-training study (DESIGN.md section 4), as pure functions.

Input convention (as rliable): per-seed values as 1-D arrays aligned by seed, so index ``i`` of
``t_pre`` and ``t_base`` is the same seed. Censored times enter at the budget and are counted,
never dropped.
"""

from __future__ import annotations

import numpy as np

from harness.stats import first_sustained


def iqm(values: np.ndarray) -> float:
    """Interquartile mean: mean of the middle 50% (rliable's trimmed mean at 25%).

    Sorted values; the fraction of the bottom and top quartile observations that straddle
    the cut is weighted, so that it equals ``scipy.stats.trim_mean(v, 0.25)`` for n % 4 == 0
    and interpolates otherwise.
    """
    v = np.sort(np.asarray(values, dtype=float))
    n = len(v)
    if n == 0:
        return float("nan")
    lo, hi = 0.25 * n, 0.75 * n
    weights = np.clip(np.minimum(np.arange(1, n + 1), hi) - np.maximum(np.arange(n), lo), 0, 1)
    return float((weights * v).sum() / weights.sum())


def time_to_target(curve: list[dict], success: float, collision: float, k: int
                   ) -> int | None:
    """Timestep of the evaluation completing k consecutive evaluations at the target, or None
    (censored) when that never happens within the curve."""
    passed = [r["success_rate"] >= success and r["collision_rate"] <= collision for r in curve]
    hit = first_sustained(passed, k)
    return None if hit is None else int(curve[hit]["timesteps"])


def censored_times(times: list[int | None], budget: int) -> tuple[np.ndarray, np.ndarray]:
    """Times with censored runs at the budget, and the censoring mask."""
    censored = np.array([t is None for t in times])
    return np.array([budget if t is None else t for t in times], dtype=float), censored


def ratio_ci(t_pre: np.ndarray, t_base: np.ndarray, n_boot: int = 10_000, seed: int = 0,
             level: float = 0.95) -> tuple[float, float, float]:
    """IQM(t_pre) / IQM(t_base) and its percentile bootstrap interval over seeds.

    Seeds are resampled jointly (matched pairs stay together).
    """
    t_pre, t_base = np.asarray(t_pre, float), np.asarray(t_base, float)
    point = iqm(t_pre) / iqm(t_base)
    rng = np.random.default_rng(seed)
    n = len(t_pre)
    idx = rng.integers(0, n, size=(n_boot, n))
    boots = np.array([iqm(t_pre[i]) / iqm(t_base[i]) for i in idx])
    alpha = (1 - level) / 2
    lo, hi = np.quantile(boots, [alpha, 1 - alpha])
    return float(point), float(lo), float(hi)


def mean_ci(values: np.ndarray, n_boot: int = 10_000, seed: int = 0,
            level: float = 0.95) -> tuple[float, float, float]:
    """Mean over seeds and its percentile bootstrap interval."""
    v = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    boots = v[rng.integers(0, len(v), size=(n_boot, len(v)))].mean(axis=1)
    alpha = (1 - level) / 2
    lo, hi = np.quantile(boots, [alpha, 1 - alpha])
    return float(v.mean()), float(lo), float(hi)


def probability_of_improvement(t_pre: np.ndarray, t_base: np.ndarray) -> float:
    """P(T_pre < T_base) + 0.5 P(T_pre == T_base) over all pairs of runs (lower T is better)."""
    a = np.asarray(t_pre, float)[:, None]
    b = np.asarray(t_base, float)[None, :]
    return float(((a < b) + 0.5 * (a == b)).mean())


def success_auc(curve: list[dict], budget: int) -> float:
    """Area under the success-rate curve over [0, budget], normalised to [0, 1]; the curve
    is held at its last value up to the budget."""
    x = np.array([r["timesteps"] for r in curve], dtype=float)
    y = np.array([r["success_rate"] for r in curve], dtype=float)
    if len(x) == 0:
        return float("nan")
    if x[-1] < budget:
        x, y = np.append(x, budget), np.append(y, y[-1])
    keep = x <= budget
    return float(np.trapz(y[keep], x[keep]) / budget)


def unlearning_drop(bc_success: float, curve: list[dict], first: int) -> float:
    """How far the fine-tuned agent's success falls below its BC policy's in the first
    ``first`` evaluations after fine-tuning starts (positive = it unlearned)."""
    after = [r["success_rate"] for r in curve if r["timesteps"] > 0][:first]
    return float(bc_success - min(after)) if after else float("nan")


def regressions(matrix: dict[str, dict[str, float]], reference: str, margin: float,
                policies: list[str]) -> list[dict]:
    """Cells where a policy's success on a scenario falls below the reference policy's by more
    than ``margin``: each named (policy, scenario, both values, the drop)."""
    out = []
    ref = matrix[reference]
    for p in policies:
        for scenario, value in matrix[p].items():
            drop = ref[scenario] - value
            if drop > margin:
                out.append({"policy": p, "scenario": scenario, "success": value,
                            "reference": reference, "reference_success": ref[scenario],
                            "drop": drop, "margin": margin})
    return out


def coverage_gaps(coverage: dict, scenario) -> list[str]:
    """How the dataset's coverage fails to cover a fine-tuning scenario (empty = covered)."""
    gaps = []
    if scenario.name not in coverage.get("episodes_per_scenario", {}):
        gaps.append(f"scenario family '{scenario.name}' absent from the dataset "
                    f"(it has {sorted(coverage.get('episodes_per_scenario', {}))})")
    peds = [int(k) for k in coverage.get("pedestrians", {})]
    lo, hi = scenario.pedestrian_count
    if peds and (hi > max(peds) or lo < min(peds)):
        gaps.append(f"pedestrian count {lo}-{hi} outside the dataset's {min(peds)}-{max(peds)}")
    return gaps
