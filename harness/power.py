"""Power of the study's comparisons, simulated through each criterion's own statistic and
decision (DESIGN.md section 4, "Comparing rates"): the margin of every criterion is set before
the run from what these functions return for the declared design.

Each function plays ``sims`` studies of policies whose true rates or times are known, computes
the very interval the criterion computes (:mod:`harness.stats`) and applies its very decision.
A non-inferiority criterion ("not worse by more than the margin") has two numbers:

- ``detect``: the probability it *fails* when the arm is worse by the declared effect (a
  harmful effect it must catch);
- ``clear``: the probability it *passes* when there is no difference (it must not fail a
  recipe that does no harm).

A criterion whose attainable values cannot cross its margin has ``detect`` = 0. The models are
stated in each docstring; where a model ignores a pairing that narrows the real interval (two
arms of one seed, two policies on one episode), the simulated power is conservative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness import stats


@dataclass(frozen=True)
class Power:
    """One criterion's simulated operating characteristic."""

    detect: float
    """P(the criterion fails | the declared harmful effect), or P(it passes | the declared
    benefit) for a criterion that a benefit must pass (SC-003)."""
    clear: float
    """P(it passes | no difference), or P(it passes | no benefit) for SC-003 (a false pass)."""


def _lognormal_times(rng: np.random.Generator, median: float, log_sd: float, size,
                     grid: int, budget: int) -> np.ndarray:
    """Times to target on the evaluation grid: the first grid step at or after a lognormal
    draw, censored at the budget."""
    t = median * np.exp(rng.normal(0.0, log_sd, size))
    return np.minimum(np.ceil(t / grid) * grid, budget)


def ratio_power(ratio: float, ratio_max: float, seeds: int, median: float, log_sd: float,
                grid: int, budget: int, sims: int = 400, n_boot: int = 1000, seed: int = 0
                ) -> Power:
    """SC-003 (IQM ratio <= ``ratio_max`` and its interval's upper bound < 1): ``detect`` is
    P(pass) when the pre-trained arm's true median T is ``ratio`` times the baseline's,
    ``clear`` P(pass) when it is the same (a false pass). T of each run is lognormal around its
    arm's median with ``log_sd`` between seeds, rounded up to the grid; the arms are drawn
    independently (the study pairs them by seed)."""
    rng = np.random.default_rng(seed)

    def passes(r: float) -> float:
        hits = 0
        for i in range(sims):
            base = _lognormal_times(rng, median, log_sd, seeds, grid, budget)
            pre = _lognormal_times(rng, r * median, log_sd, seeds, grid, budget)
            point, _, hi = stats.ratio_ci(pre, base, n_boot, seed=i)
            hits += point <= ratio_max and hi < 1.0
        return hits / sims

    return Power(detect=passes(ratio), clear=passes(1.0))


def final_power(drop: float, margin: float, seeds: int, episodes: int, base: float,
                seed_sd: float, sims: int = 400, n_boot: int = 1000, seed: int = 0) -> Power:
    """SC-003f (the 95% interval of final success, arm minus baseline paired by seed,
    :func:`harness.stats.rate_difference_ci`, must stay above ``-margin``). Each run's true
    success is its arm's (``base``, or ``base - drop``) plus a normal between-seed deviation
    of ``seed_sd``, clipped to [0, 1]; each run plays ``episodes`` final episodes."""
    rng = np.random.default_rng(seed)

    def fails(d: float) -> float:
        hits = 0
        for i in range(sims):
            p_base = np.clip(base + rng.normal(0.0, seed_sd, seeds), 0.0, 1.0)
            p_arm = np.clip(base - d + rng.normal(0.0, seed_sd, seeds), 0.0, 1.0)
            arm = rng.binomial(episodes, p_arm) / episodes
            ref = rng.binomial(episodes, p_base) / episodes
            _, lo, _ = stats.rate_difference_ci(arm, ref, episodes, n_boot, seed=i)
            hits += lo < -margin
        return hits / sims

    return Power(detect=fails(drop), clear=1.0 - fails(0.0))


def t_difference_power(effect: float, margin: float, seeds: int, median: float, log_sd: float,
                       grid: int, budget: int, sims: int = 400, n_boot: int = 1000,
                       seed: int = 0) -> Power:
    """SC-003r on T (the 95% interval of IQM T, recipe minus ablation paired by seed, must have
    its upper bound <= ``margin`` steps): ``detect`` is P(fail) when the recipe's T is
    ``effect`` steps longer on every seed, ``clear`` P(pass) when the arms are alike. T as in
    :func:`ratio_power`, both arms around ``median``."""
    rng = np.random.default_rng(seed)

    def fails(extra: float) -> float:
        hits = 0
        for i in range(sims):
            other = _lognormal_times(rng, median, log_sd, seeds, grid, budget)
            recipe = np.minimum(
                np.ceil((median * np.exp(rng.normal(0.0, log_sd, seeds)) + extra) / grid) * grid,
                budget)
            _, _, hi = stats.paired_difference_ci(recipe, other, n_boot, seed=i, iqm_of=True)
            hits += hi > margin
        return hits / sims

    return Power(detect=fails(effect), clear=1.0 - fails(0.0))


def _drops(rng: np.random.Generator, drop: float, seeds: int, evals: int, episodes: int,
           discordance: float) -> np.ndarray:
    """Per seed, the largest observed drop below BC over ``evals`` evaluations (the statistic
    of SC-003u, :func:`harness.stats.unlearning_drop`). On each evaluation's ``episodes`` the
    BC and fine-tuned policies play the same episodes and disagree on a fraction
    ``discordance`` of them, evenly both ways; a true drop adds ``drop`` episodes (as a
    fraction) that BC wins, on the window's last evaluation."""
    p = np.full((seeds, evals, 3), [discordance / 2, discordance / 2, 0.0])
    p[:, -1, 0] += drop
    p[..., 2] = 1.0 - p[..., 0] - p[..., 1]
    counts = np.stack([rng.multinomial(episodes, p[s, j]) for s in range(seeds)
                       for j in range(evals)]).reshape(seeds, evals, 3)
    return ((counts[..., 0] - counts[..., 1]) / episodes).max(axis=1)


@dataclass(frozen=True)
class UnlearningPower:
    """SC-003u's operating characteristic: per seed, and over the study's seeds."""

    detect: float
    """P(a seed is failed | a true drop of the declared effect on it)."""
    false_alarm: float
    """P(a seed is failed | no true drop)."""
    clear: float
    """P(every seed passes | no true drop on any)."""


def unlearning_power(drop: float, margin: float, seeds: int, evals: int, episodes: int,
                     discordance: float, sims: int = 2000, seed: int = 0) -> UnlearningPower:
    """SC-003u (per seed: the largest drop below BC over the window's ``evals`` evaluations,
    ``episodes`` each, must be <= ``margin``), through :func:`_drops`."""
    rng = np.random.default_rng(seed)
    hit = _drops(rng, drop, sims, evals, episodes, discordance) > margin
    null = _drops(rng, 0.0, sims, evals, episodes, discordance) > margin
    alarm = float(null.mean())
    return UnlearningPower(detect=float(hit.mean()), false_alarm=alarm,
                           clear=float((1.0 - alarm) ** seeds))


def drop_difference_power(drop: float, margin: float, seeds: int, evals: int, episodes: int,
                          discordance: float, sims: int = 400, n_boot: int = 1000,
                          seed: int = 0) -> Power:
    """SC-003r on the drop (the 95% interval of the largest drop below BC, recipe minus
    ablation paired by seed, must have its upper bound <= ``margin``): ``detect`` is P(fail)
    when the recipe's runs drop by ``drop`` and the ablation's do not, ``clear`` P(pass) when
    neither does. Drops through :func:`_drops`."""
    rng = np.random.default_rng(seed)

    def fails(d: float) -> float:
        hits = 0
        for i in range(sims):
            recipe = _drops(rng, d, seeds, evals, episodes, discordance)
            other = _drops(rng, 0.0, seeds, evals, episodes, discordance)
            _, _, hi = stats.paired_difference_ci(recipe, other, n_boot, seed=i)
            hits += hi > margin
        return hits / sims

    return Power(detect=fails(drop), clear=1.0 - fails(0.0))


def shift_power(drop: float, margin: float, seeds: int, episodes: int, base: float = 0.90,
                seed_sd: float = 0.06, sims: int = 400, n_boot: int = 1000, seed: int = 0
                ) -> float:
    """P(SHIFT calls a true success drop of ``drop`` a regression), simulated through the
    study's own decision: per-episode outcomes of ``seeds`` runs per arm, ``episodes`` each,
    the hierarchical paired interval (:func:`harness.stats.paired_rate_ci`) and
    :func:`harness.stats.shift_verdict`.

    Each run's true success is the arm's (``base`` for the reference, ``base - drop`` for the
    shifted arm) plus a normal between-run deviation of ``seed_sd`` (clipped to [0, 1]); the
    arms' episodes are drawn independently, which ignores the pairing and so understates the
    power a little."""
    rng = np.random.default_rng(seed)
    hits = 0
    for i in range(sims):
        ref = np.clip(base + rng.normal(0.0, seed_sd, seeds), 0.0, 1.0)
        shifted = np.clip(base - drop + rng.normal(0.0, seed_sd, seeds), 0.0, 1.0)
        a = (rng.random((seeds, episodes)) < shifted[:, None]).astype(float)
        b = (rng.random((seeds, episodes)) < ref[:, None]).astype(float)
        diff, lo, hi = stats.paired_rate_ci(a, b, n_boot, seed=i)
        hits += stats.shift_verdict(diff, lo, hi, margin) == stats.REGRESSION
    return hits / sims
