"""Statistics as small pure functions (DESIGN.md section 4), tested on hand-computable inputs:
rates and their intervals, the early stop's risk, and the matched-seed statistics of the
pre-training study (time to target, IQM ratios, paired differences, verdicts).

Censored times enter at the budget and are counted, never dropped.

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


def pass_probability(n: int, success: float, collision: float, min_success: float,
                     max_collision: float) -> float:
    """Exact P(a policy of true success and collision rates passes "success rate >=
    ``min_success`` and collision rate <= ``max_collision``" on ``n`` independent episodes).
    Outcomes are exclusive (success, collision, timeout): the counts are multinomial, and given
    ``C`` collisions the successes are binomial over the other ``n - C`` episodes."""
    if not (0.0 <= collision <= 1.0 and 0.0 <= success <= 1.0 - collision + 1e-12):
        raise ValueError(f"not a policy's rates: success {success}, collision {collision}")
    need = n - allowed_count(min_success, n, upper=False)  # fewest successes that pass
    most = allowed_count(max_collision, n, upper=True)  # most collisions that pass
    rest = 1.0 - collision
    q = min(1.0, success / rest) if rest > 0 else 0.0
    c = np.arange(0, most + 1)
    return float(np.sum(stats.binom.pmf(c, n, collision) * stats.binom.sf(need - 1, n - c, q)))


def classification(n: int, min_success: float, max_collision: float, band: float
                   ) -> tuple[float, float]:
    """The operating characteristic of judging "at target" on ``n`` episodes at the target's own
    levels: (P(judged at target) for a policy ``band`` inside on both rates, worst case of
    P(judged at target) for one ``band`` outside on either rate). The inside policy has
    success ``min_success + band`` and collision ``max_collision - band``; the outside ones
    have success ``min_success - band`` (no collision) or collision ``max_collision + band``
    (every other episode a success), the most favourable to passing."""
    inside = pass_probability(n, min(1.0, min_success + band), max(0.0, max_collision - band),
                              min_success, max_collision)
    low = max(0.0, min_success - band)
    high = min(1.0, max_collision + band)
    outside = max(pass_probability(n, low, 0.0, min_success, max_collision),
                  pass_probability(n, 1.0 - high, high, min_success, max_collision))
    return inside, outside


def episodes_for_classification(min_success: float, max_collision: float, band: float,
                                power: float, limit: int = 20_000) -> int:
    """The fewest episodes (in steps of 10) at which :func:`classification` puts a policy
    ``band`` inside the target at target, and one ``band`` outside not, each with probability
    at least ``power``."""
    for n in range(10, limit + 1, 10):
        inside, outside = classification(n, min_success, max_collision, band)
        if inside >= power and outside <= 1.0 - power:
            return n
    raise ValueError(f"no n <= {limit} classifies {band} either side with power {power}")


def judged_at_target(success: float, collision: float, target, screen, screen_episodes: int,
                     episodes: int) -> float:
    """P(a grid step whose policy has these true rates is judged at target): it passes the
    ``screen`` on its periodic evaluation (``screen_episodes``) and the ``target`` on
    ``episodes`` of its own (independent episodes, so the product)."""
    return (pass_probability(screen_episodes, success, collision, screen.success,
                             screen.collision)
            * pass_probability(episodes, success, collision, target.success, target.collision))


def first_judged_distribution(q: list[float] | np.ndarray) -> np.ndarray:
    """P(T is grid step i) for i = 0..len(q) - 1, and last entry P(censored), when step i is
    judged at target with probability ``q[i]`` independently (the first judged step is T)."""
    q = np.asarray(q, dtype=float)
    not_yet = np.concatenate([[1.0], np.cumprod(1.0 - q)])
    return np.concatenate([not_yet[:-1] * q, [not_yet[-1]]])


def iqm(values: np.ndarray) -> float:
    """Interquartile mean: the 25% trimmed mean exactly as rliable computes it
    (``scipy.stats.trim_mean(x, 0.25)``: ``int(0.25 * n)`` values cut from each end)."""
    v = np.asarray(values, dtype=float)
    return float(stats.trim_mean(v, 0.25)) if v.size else float("nan")


def time_to_target(curve: list[dict], success: float, collision: float, k: int
                   ) -> int | None:
    """T: the step of the first of k consecutive evaluations at the target ("reached at T,
    confirmed by the next k - 1"), or None (censored) when no such run exists in the curve.

    Every evaluation of the curve must be on its own episode set (the periodic evaluation
    guarantees it): k passes on one set would be one sample, not k.
    """
    sets = [tuple(r["episode_seeds"]) for r in curve if "episode_seeds" in r]
    if len(set(sets)) != len(sets):
        raise ValueError("time to target needs every evaluation on its own episode set; this "
                         "curve reuses one")
    passed = [r["success_rate"] >= success and r["collision_rate"] <= collision for r in curve]
    hit = first_sustained(passed, k)
    return None if hit is None else int(curve[hit]["timesteps"])


def censored_times(times: list[int | None], budget: int) -> tuple[np.ndarray, np.ndarray]:
    """Times with censored runs at the budget, and the censoring mask."""
    censored = np.array([t is None for t in times], dtype=bool)
    return np.array([budget if t is None else t for t in times], dtype=float), censored


def _bootstrap(data: tuple[np.ndarray, ...], statistic, n_boot: int, seed: int,
               level: float) -> tuple[float, float]:
    """Percentile bootstrap interval over seeds (scipy.stats.bootstrap), pairs resampled
    together when there are several arrays."""
    if len(data[0]) < 2 or all(np.ptp(d) == 0 for d in data):
        value = float(statistic(*data, axis=-1))
        return value, value  # a degenerate sample: every resample gives the same value
    with np.errstate(divide="ignore", invalid="ignore"):
        res = stats.bootstrap(data, statistic, paired=len(data) > 1, vectorized=True,
                              n_resamples=n_boot, confidence_level=level, method="percentile",
                              random_state=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _iqm_ratio(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return stats.trim_mean(a, 0.25, axis=axis) / stats.trim_mean(b, 0.25, axis=axis)


def ratio_ci(t_pre: np.ndarray, t_base: np.ndarray, n_boot: int = 10_000, seed: int = 0,
             level: float = 0.95) -> tuple[float, float, float]:
    """IQM(t_pre) / IQM(t_base) and its 95% percentile bootstrap interval over seeds
    (matched pairs resampled together)."""
    t_pre, t_base = np.asarray(t_pre, float), np.asarray(t_base, float)
    point = float(_iqm_ratio(t_pre, t_base))
    lo, hi = _bootstrap((t_pre, t_base), _iqm_ratio, n_boot, seed, level)
    return point, lo, hi


def _mean(a: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(a, axis=axis)


def mean_ci(values: np.ndarray, n_boot: int = 10_000, seed: int = 0,
            level: float = 0.95) -> tuple[float, float, float]:
    """Mean over seeds and its percentile bootstrap interval."""
    v = np.asarray(values, dtype=float)
    lo, hi = _bootstrap((v,), _mean, n_boot, seed, level)
    return float(v.mean()), lo, hi


def _iqm(a: np.ndarray, axis: int = -1) -> np.ndarray:
    return stats.trim_mean(a, 0.25, axis=axis)


def iqm_ci(values: np.ndarray, n_boot: int = 10_000, seed: int = 0,
           level: float = 0.95) -> tuple[float, float, float]:
    """IQM over seeds and its percentile bootstrap interval (rliable's interval estimate)."""
    v = np.asarray(values, dtype=float)
    lo, hi = _bootstrap((v,), _iqm, n_boot, seed, level)
    return iqm(v), lo, hi


def paired_difference_ci(a: np.ndarray, b: np.ndarray, n_boot: int = 10_000, seed: int = 0,
                         level: float = 0.95, iqm_of: bool = False) -> tuple[float, float, float]:
    """mean(a) - mean(b) (or IQM(a) - IQM(b)) over matched seeds, with its percentile bootstrap
    interval, pairs resampled together: the "compare intervals, not points" rule of DESIGN.md
    section 4 (e.g. no regression when the lower bound is above -margin)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if iqm_of:
        def stat(x, y, axis=-1):
            return stats.trim_mean(x, 0.25, axis=axis) - stats.trim_mean(y, 0.25, axis=axis)
    else:
        def stat(x, y, axis=-1):
            return np.mean(x, axis=axis) - np.mean(y, axis=axis)
    point = float(stat(a, b))
    if np.ptp(a - b) == 0:
        return point, point, point  # every pair differs by the same amount
    lo, hi = _bootstrap((a, b), stat, n_boot, seed, level)
    return point, lo, hi


def rate_difference_ci(a: np.ndarray, b: np.ndarray, episodes: int, n_boot: int = 10_000,
                       seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """mean(a) - mean(b) of per-seed rates over matched seeds (each rate of ``episodes``
    episodes), with an interval that is never of zero width: the hull of the paired seed
    bootstrap (:func:`paired_difference_ci`, which carries the between-seed variance) and
    Newcombe's score interval for the pooled counts (:func:`newcombe_difference`, the episode
    variance; it treats the arms as independent, conservative for paired seeds). Ten seeds at
    200/200 in both arms are evidence of a small difference, not proof of none."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    diff, lo, hi = paired_difference_ci(a, b, n_boot, seed, level)
    n = episodes * len(a)
    n_lo, n_hi = newcombe_difference(round(float(a.sum()) * episodes), n,
                                     round(float(b.sum()) * episodes), n, level)
    return diff, min(lo, n_lo), max(hi, n_hi)


def verdict(lo: float, hi: float, lower_is_better: bool = True) -> str:
    """Words for a difference interval (first arm minus second)."""
    if hi < 0:
        return "better" if lower_is_better else "worse"
    if lo > 0:
        return "worse" if lower_is_better else "better"
    return "indistinguishable"


def probability_of_improvement(t_pre: np.ndarray, t_base: np.ndarray,
                               censored_pre: np.ndarray | None = None,
                               censored_base: np.ndarray | None = None) -> float:
    """P(run of the first arm reaches the target sooner than a run of the second), over all
    pairs of runs; ties count one half. A censored run ranks after every run that reached the
    target (whatever step it is entered at), and two censored runs tie."""
    a = np.asarray(t_pre, float)
    b = np.asarray(t_base, float)
    ca = np.zeros(a.shape, bool) if censored_pre is None else np.asarray(censored_pre, bool)
    cb = np.zeros(b.shape, bool) if censored_base is None else np.asarray(censored_base, bool)
    # rank key: (censored, time); censored runs all tie with each other
    a_key = np.where(ca, np.inf, a)[:, None]
    b_key = np.where(cb, np.inf, b)[None, :]
    return float(((a_key < b_key) + 0.5 * (a_key == b_key)).mean())


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
    return float(np.trapezoid(y[keep], x[keep]) / budget)


def unlearning_drop(bc_success: list[float], curve: list[dict]) -> float:
    """How far the fine-tuned agent's success falls below its BC policy's, at worst, over the
    first ``len(bc_success)`` evaluations after step 0; ``bc_success[i]`` is the BC policy's
    success on the episode set of evaluation ``i + 1`` (the same episodes, so each difference
    is paired). Positive = it unlearned."""
    after = [r["success_rate"] for r in curve if r["timesteps"] > 0][:len(bc_success)]
    if len(after) < len(bc_success):
        raise ValueError(f"the curve has {len(after)} evaluations after step 0; "
                         f"{len(bc_success)} are needed")
    return float(max(b - f for b, f in zip(bc_success, after, strict=True)))


def newcombe_difference(k1: int, n1: int, k2: int, n2: int, level: float = 0.95
                        ) -> tuple[float, float]:
    """Newcombe's hybrid score interval (1998, method 10) for p1 - p2 of two independent
    proportions ``k1 / n1`` and ``k2 / n2``; never of zero width."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, level)
    l2, u2 = wilson_interval(k2, n2, level)
    d = p1 - p2
    return (float(d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)),
            float(d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)))


def unlearning_drop_ci(bc_success: list[float], curve: list[dict], episodes: int,
                       level: float = 0.95) -> tuple[float, float, float]:
    """:func:`unlearning_drop` with a simultaneous interval for the largest true drop: each
    evaluation's difference (BC minus fine-tuned success, ``episodes`` each) gets Newcombe's
    score interval at level ``1 - (1 - level) / m`` (Bonferroni over the ``m`` evaluations),
    and the interval of the maximum is [max of the lower bounds, max of the upper bounds].
    The differences are treated as independent samples, which is conservative here: BC and the
    fine-tuned policy play the same episodes, and a pairing would only narrow it."""
    drop = unlearning_drop(bc_success, curve)
    after = [r["success_rate"] for r in curve if r["timesteps"] > 0][:len(bc_success)]
    each = 1.0 - (1.0 - level) / len(bc_success)
    bounds = [newcombe_difference(round(b * episodes), episodes, round(f * episodes), episodes,
                                  each) for b, f in zip(bc_success, after, strict=True)]
    return drop, max(lo for lo, _ in bounds), max(hi for _, hi in bounds)


# ----------------------------------------------------------------------------- shift
def paired_rate_ci(a: np.ndarray, b: np.ndarray, n_boot: int = 10_000, seed: int = 0,
                   level: float = 0.95) -> tuple[float, float, float]:
    """Rate of ``a`` minus rate of ``b`` and its 95% interval, from per-episode outcomes.

    Input convention: ``a[i, j]`` and ``b[i, j]`` are 0/1 outcomes (e.g. success) of run seed
    ``i`` of each arm on episode seed ``j``; both arms play the same episode seeds, so
    ``(a[i, j], b[i, j])`` is a pair. The interval is a two-stage (hierarchical) percentile
    bootstrap: resample run seeds, then, within each drawn seed, resample episodes, keeping
    each pair together; the statistic is the mean difference.

    Why this and not a Newcombe interval (score interval for paired proportions): Newcombe's
    treats all ``seeds x episodes`` pairs as one i.i.d. sample, so it ignores that the runs of
    one arm differ from seed to seed (a fine-tuning run that collapsed moves all its episodes
    together) and is too narrow whenever there is more than one seed. Resampling seeds first
    carries that between-run variance; resampling episodes within seeds carries the episode
    variance; pairing removes what both arms share (an episode that is hard for every policy).
    With one seed it is the paired bootstrap over episodes. Caveat, as for every bootstrap over
    few seeds: with 2-3 seeds the seed stage has few distinct resamples and the interval leans
    on the episode stage. A bootstrap of a degenerate sample (every pair differs by the same
    amount, e.g. both arms always succeed) has zero width, which would read as certainty: the
    interval returned is therefore the hull of the bootstrap's and Newcombe's score interval
    over all pairs (:func:`newcombe_paired`), which is never degenerate.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 2 or a.shape[1] == 0:
        raise ValueError(f"paired outcomes need equal (seeds, episodes) shapes, got {a.shape} "
                         f"and {b.shape}")
    d = a - b
    point = float(d.mean())
    score_lo, score_hi = newcombe_paired(a.ravel(), b.ravel(), level)
    if np.ptp(d) == 0:  # the bootstrap has nothing to resample: the score interval only
        return point, score_lo, score_hi
    rng = np.random.default_rng(seed)
    n_s, n_e = d.shape
    alpha = (1.0 - level) / 2.0
    means = np.empty(n_boot)
    chunk = max(1, 2_000_000 // (n_s * n_e))  # bounded memory per batch of resamples
    for start in range(0, n_boot, chunk):
        m = min(chunk, n_boot - start)
        rows = rng.integers(0, n_s, size=(m, n_s))
        cols = rng.integers(0, n_e, size=(m, n_s, n_e))
        means[start:start + m] = d[rows[:, :, None], cols].mean(axis=(1, 2))
    lo, hi = np.quantile(means, [alpha, 1.0 - alpha])
    return point, min(float(lo), score_lo), max(float(hi), score_hi)


def newcombe_paired(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Newcombe's score interval (1998, method 10, with his continuity-free correction of phi)
    for the difference of two paired proportions, from 0/1 outcome pairs ``(a[k], b[k])``. It
    never has zero width: 300 pairs that all succeed give about [-0.013, +0.013]."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    n = a.size
    both, only_a = int((a & b).sum()), int((a & ~b).sum())
    only_b, neither = int((~a & b).sum()), int((~a & ~b).sum())
    p1, p2 = (both + only_a) / n, (both + only_b) / n
    l1, u1 = wilson_interval(both + only_a, n, level)
    l2, u2 = wilson_interval(both + only_b, n, level)
    denominator = (both + only_a) * (only_b + neither) * (both + only_b) * (only_a + neither)
    phi = 0.0
    if denominator > 0:
        cross = both * neither - only_a * only_b
        cross = max(cross - n / 2.0, 0.0) if cross > 0 else cross
        phi = cross / np.sqrt(denominator)
    delta = p1 - p2
    lower = delta - np.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2)
                                + (u2 - p2) ** 2))
    upper = delta + np.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2)
                                + (p2 - l2) ** 2))
    return float(max(-1.0, lower)), float(min(1.0, upper))


REGRESSION = "regression"
WITHIN_MARGIN = "within margin"
INCONCLUSIVE = "inconclusive"


def shift_verdict(difference: float, lo: float, hi: float, margin: float) -> str:
    """Words for (shifted - reference) success on a family, DESIGN.md section 4:

    - "regression": worse by more than ``margin`` (difference < -margin) with an interval that
      excludes no difference (upper bound < 0);
    - "within margin": the interval's lower bound is at or above -margin (no regression shown,
      by the interval, not by the point estimate);
    - "inconclusive": neither (the interval reaches below -margin but is not a regression).
    """
    if difference < -margin and hi < 0:
        return REGRESSION
    if lo >= -margin:
        return WITHIN_MARGIN
    return INCONCLUSIVE
