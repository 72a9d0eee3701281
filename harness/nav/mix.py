"""Scenario mixes: a named, weighted set of scenario families, one family drawn per episode.

An episode of a mix is fixed by (mix, episode seed): the family is drawn from
``default_rng([seed, MIX_SALT])``, a stream independent of the layout's ``default_rng(seed)``,
and the layout is then sampled from that family with the same seed. So episode ``s`` of a mix is
exactly episode ``s`` of the family the mix assigns to ``s``, and adding a family to a mix or
changing its weights re-deals families without touching any family's layouts.

How the batched simulator plays a mix (design, issue 11). The options were (a) one
:class:`~harness.nav.core.NavBatch` per family with slots moving between batches at episode
start, or (b) one batch whose state arrays are padded to the maxima over the mix's families,
with the few parameters that differ between families held per slot. (a) costs one full
``step_env`` per family present, i.e. up to five times the fixed per-call cost of a step
(numba dispatch, a dozen numpy calls) plus a gather and scatter of every state array; (b) keeps
one batched call per step. The shipped families differ only in what is sampled per episode
(arena, layout, walls, obstacle and pedestrian counts, speeds, goal distances) and in the episode
length; robot, lidar, time step, goal radius, pedestrian size and behaviour and reward weights
are equal. So we chose (b): the arena and the time limit are per-slot state
(:class:`~harness.nav.state.NavState` ``arena``, ``diagonal``, ``episode_steps``, ``family``),
walls, obstacles and pedestrians are padded with inert entries (far away, radius 0 or masked),
and the parameters read by every step (:data:`STEP_FIELDS`) must agree across a mix's families;
a mix whose families disagree there is refused with an error naming the field. The padding is
exact: a far wall adds ``exp(-1e6 / range) == 0.0`` to a pedestrian's force and is never the
nearest thing to a ray or the robot, so a mix episode replays its family's episode bit for bit.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from harness.nav.scenario import LidarParams, ObservationParams, Scenario

MIX_SALT = 0x6D6978  # "mix": keeps the family draw independent of the layout draw
SHORT_WINDOW_RISK = 1e-9
"""The chance, per evaluation, that a mix's window holds too few episodes of some family."""
STEP_FIELDS = ("dt", "goal_radius", "pedestrian_radius", "robot", "lidar", "reward",
               "pedestrians", "observation")
"""Scenario fields the step reads as batch-wide constants: equal across a mix's families."""


@dataclass(frozen=True)
class ScenarioMix:
    """A named mix of scenario families with positive weights (normalised when sampling)."""

    name: str
    families: tuple[Scenario, ...]
    weights: tuple[float, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if not self.families:
            raise ValueError(f"mix '{self.name}': needs at least one family")
        if len(self.weights) != len(self.families):
            raise ValueError(f"mix '{self.name}': {len(self.families)} families but "
                             f"{len(self.weights)} weights")
        names = [f.name for f in self.families]
        if len(set(names)) != len(names):
            raise ValueError(f"mix '{self.name}': a family is listed twice in {names}")
        bad = [w for w in self.weights if not (np.isfinite(w) and w > 0)]
        if bad:
            raise ValueError(f"mix '{self.name}': weights must be finite and > 0, got {bad}")
        incompatible = mix_incompatibility(self.families)
        if incompatible:
            raise ValueError(f"mix '{self.name}': {incompatible}")

    @property
    def probabilities(self) -> np.ndarray:
        """Each family's probability per episode, in the order of ``families``."""
        w = np.asarray(self.weights, dtype=np.float64)
        return w / w.sum()

    def family_index(self, seed: int) -> int:
        """Index into ``families`` of the family episode ``seed`` plays (a function of the seed
        alone; a one-family mix draws nothing)."""
        if len(self.families) == 1:
            return 0
        u = np.random.default_rng([int(seed), MIX_SALT]).random()
        cum = np.cumsum(self.probabilities)
        return min(int(np.searchsorted(cum, u, side="right")), len(self.families) - 1)

    def families_of(self, seeds: Sequence[int]) -> np.ndarray:
        """Family index of every seed (as :meth:`family_index`), int64."""
        return np.array([self.family_index(s) for s in seeds], dtype=np.int64)

    def evaluation_window(self, per_family: int) -> int:
        """How many consecutive seeds an evaluation of ``per_family`` episodes of every family
        reserves: ``per_family`` for one family, else the smallest window in which the chance
        that some family gets fewer than ``per_family`` episodes is below
        :data:`SHORT_WINDOW_RISK` (exact binomial tails, summed over the families: a union
        bound). :meth:`pick` refuses a short window, so that risk is the chance an evaluation
        fails for want of episodes. (The window used to be twice the rarest family's expected
        need, which is a 1.6-sigma margin at 4 episodes per family: a study's seed plan hit it.)
        """
        if len(self.families) == 1:
            return per_family
        return _window(tuple(float(p) for p in self.probabilities), per_family)

    def pick(self, seeds: Sequence[int], per_family: int) -> dict[str, list[int]]:
        """The first ``per_family`` seeds of ``seeds`` that each family plays, by family name
        in the mix's order: every one a genuine episode of the mix, and the families' sets
        disjoint. Raises when a family has fewer than ``per_family`` seeds in ``seeds``."""
        which = self.families_of(seeds)
        out = {}
        for k, family in enumerate(self.families):
            own = [int(s) for s, f in zip(seeds, which, strict=True) if f == k][:per_family]
            if len(own) < per_family:
                raise ValueError(
                    f"mix '{self.name}': only {len(own)} of {len(seeds)} seeds "
                    f"[{seeds[0]}, {seeds[-1]}] play family '{family.name}', {per_family} "
                    f"needed; widen the window (evaluation_window)")
            out[family.name] = own
        return out

    def family(self, seed: int) -> Scenario:
        """The family episode ``seed`` plays."""
        return self.families[self.family_index(seed)]

    @property
    def template(self) -> Scenario:
        """A family carrying the step parameters (:data:`STEP_FIELDS`) shared by all."""
        return self.families[0]

    # What a caller may read of a scenario without caring whether it is a mix.
    @property
    def lidar(self) -> LidarParams:
        return self.template.lidar

    @property
    def observation(self) -> ObservationParams:
        return self.template.observation

    @property
    def obs_dim(self) -> int:
        return self.template.obs_dim

    @property
    def difficulty(self) -> int:
        return max(f.difficulty for f in self.families)

    @property
    def family_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.families)

    @property
    def weights_by_family(self) -> dict[str, float]:
        return dict(zip(self.family_names, self.weights, strict=True))

    def as_dict(self) -> dict:
        """What identifies the mix in a config: its name, weights and every family in full."""
        from dataclasses import asdict

        return {"mix": self.name, "weights": self.weights_by_family,
                "families": {f.name: asdict(f) for f in self.families}}


def as_mix(scenario: Scenario | ScenarioMix) -> ScenarioMix:
    """A mix as it is, a single scenario as the one-family mix of itself (same name). Anything
    else that is not a scenario (a declared environment's family) acts as its own mix."""
    if not isinstance(scenario, Scenario):
        return scenario
    return ScenarioMix(name=scenario.name, families=(scenario,), weights=(1.0,))


def mix_incompatibility(families: tuple[Scenario, ...]) -> str | None:
    """Why these families cannot share one batch (see the module docstring), or None."""
    first = families[0]
    rays = {f.name: f.lidar.rays for f in families}
    if len(set(rays.values())) > 1:
        return (f"families must have the same observation dimension, but their lidar ray "
                f"counts differ: {rays}")
    for name in STEP_FIELDS:
        for f in families[1:]:
            if getattr(f, name) != getattr(first, name):
                return (f"families must agree on '{name}' (a per-step constant of the batch): "
                        f"{first.name} has {getattr(first, name)!r}, {f.name} has "
                        f"{getattr(f, name)!r}")
    return None


def _binomial_below(n: int, p: float, k: int) -> float:
    """P(Binomial(n, p) < k)."""
    return float(stats.binom.cdf(k - 1, n, p))


@functools.lru_cache(maxsize=256)
def _window(probabilities: tuple[float, ...], per_family: int) -> int:
    def short(n: int) -> bool:
        return sum(_binomial_below(n, p, per_family) for p in probabilities) >= SHORT_WINDOW_RISK

    lo = int(math.ceil(per_family / min(probabilities)))  # the risk falls as the window grows
    hi = 2 * lo
    while short(hi):
        lo, hi = hi, 2 * hi
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if not short(mid) else (mid + 1, hi)
    return lo
