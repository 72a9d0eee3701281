"""What every stage's section of the spec shares: evaluation schedules, success/collision
thresholds, targets, run seeds and the catalogue of families, each parsed with an error that
names the file, the dotted field and what was expected."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from harness.nav.mix import ScenarioMix
from harness.nav.scenario import Scenario
from harness.seeds import (
    MAX_RUN_SEED,
    SeedRange,
    evaluation_set,
    evaluation_span,
)
from harness.spec.errors import Fields
from harness.spec.scenarios import load_scenarios


@dataclass(frozen=True)
class EvalSchedule:
    """Periodic evaluation: at step 0 and every ``every`` online steps up to the budget, each
    evaluation on its own disjoint set of episode seeds of ``purpose`` (:mod:`harness.seeds`).

    Of a scenario mix, every evaluation plays ``episodes`` episodes of each family: evaluation
    ``i`` reserves a window of ``window`` consecutive seeds and takes, for each family, the first
    ``episodes`` seeds of the window that the mix deals to it (:meth:`ScenarioMix.pick`)."""

    every: int
    """Online environment steps between periodic evaluations (E); a multiple of the number of
    training envs, so that every evaluation lands exactly on its grid step."""
    episodes: int
    """Episodes per periodic evaluation (of a mix: per family)."""
    purpose: str
    """The seed purpose its episodes come from."""
    n_envs: int = 64
    window: int | None = None
    """Seeds reserved per evaluation when it differs from ``episodes`` (a mix's window)."""

    @property
    def reserved(self) -> int:
        """Seeds each evaluation reserves in its purpose's range."""
        return self.window or self.episodes

    def episode_set(self, index: int) -> SeedRange:
        """The seeds reserved by evaluation ``index`` (the one at step ``index * every``)."""
        return evaluation_set(self.purpose, index, self.reserved)

    def grid(self, budget: int) -> list[int]:
        """The steps at which a run of ``budget`` online steps is evaluated."""
        return list(range(0, budget + 1, self.every))

    def span(self, budget: int) -> SeedRange:
        """Every episode seed the evaluations of a run of ``budget`` steps may play."""
        return evaluation_span(self.purpose, len(self.grid(budget)), self.reserved)

    def for_mix(self, mix: ScenarioMix) -> EvalSchedule:
        """This schedule evaluating ``episodes`` episodes of every family of ``mix``."""
        window = mix.evaluation_window(self.episodes)
        return replace(self, window=window if window != self.episodes else None)

    def as_dict(self) -> dict:
        out = {"every": self.every, "episodes": self.episodes, "purpose": self.purpose,
               "n_envs": self.n_envs}
        if self.window is not None:
            out["window"] = self.window
        return out


@dataclass(frozen=True)
class Thresholds:
    success: float
    """Minimum success rate."""
    collision: float
    """Maximum collision rate."""

    def met(self, success: float, collision: float) -> bool:
        return success >= self.success and collision <= self.collision

    def weaker_than(self, other: Thresholds) -> bool:
        """True when this level admits a policy that ``other`` rejects."""
        return self.success < other.success or self.collision > other.collision

    def as_dict(self) -> dict:
        return {"success": self.success, "collision": self.collision}


@dataclass(frozen=True)
class TargetLevel:
    """A level for time to target: the thresholds, held for ``consecutive`` evaluations."""

    label: str
    thresholds: Thresholds
    consecutive: int
    deviation: str | None
    """Why this level departs from the promotion gate (None when it is at least as strict)."""

    def as_dict(self) -> dict:
        return {"label": self.label, **self.thresholds.as_dict(),
                "consecutive": self.consecutive, "deviation": self.deviation}


SEED_PLAN_VERSION = 3
"""Bumped whenever :mod:`harness.seeds` assigns different episodes, so no cached artefact built
under an older plan is reused."""


class Catalogue:
    """The families a study's stages name: the built-in simulator's scenario files (and mixes),
    or the families of the spec's ``environment`` section."""

    def __init__(self, declared: dict | None):
        self.declared = declared

    def scenarios(self) -> dict:
        return self.declared if self.declared is not None else load_scenarios()

    def mixes(self, f: Fields, key: str) -> dict:
        if self.declared is not None:
            raise f.error(key, "a family of the environment section (mixes are the built-in "
                          "simulator's; a declared environment names its families instead)",
                          f.raw(key))
        from harness.spec.mixes import load_mixes

        return load_mixes()


def parse_target(f: Fields, gate: Thresholds, label: str) -> tuple[Thresholds, int, str | None]:
    """A target level; its thresholds default to the promotion gate. A level weaker than the
    gate needs a ``reason`` (declared before the run) and is reported as a deviation."""
    t = Thresholds(success=f.number("success", gate.success, lo=0.0, hi=1.0),
                   collision=f.number("collision", gate.collision, lo=0.0, hi=1.0))
    consecutive = f.integer("consecutive", 2, lo=1)
    reason = f.raw("reason", None)
    if reason is not None and not isinstance(reason, str):
        raise f.error("reason", "a sentence saying why this level differs from the gate", reason)
    deviation = None
    if t.weaker_than(gate):
        if not reason:
            raise f.error("reason", f"a reason: target '{label}' (success >= {t.success}, "
                          f"collision <= {t.collision}) is weaker than the promotion gate "
                          f"(>= {gate.success}, <= {gate.collision})", reason)
        deviation = (f"weaker than the promotion gate (success >= {gate.success}, collision <= "
                     f"{gate.collision}): {reason}")
    f.done()
    return t, consecutive, deviation


def parse_sensitivity(f: Fields, gate: Thresholds) -> list[TargetLevel]:
    raw = f.raw("sensitivity", [])
    if not isinstance(raw, list):
        raise f.error("sensitivity", "a list of {label, success, collision, consecutive, "
                      "reason} levels", raw)
    levels = []
    for i, item in enumerate(raw):
        sub = Fields(item, f.file, f.path(f"sensitivity[{i}]"))
        label = sub.string("label")
        t, k, deviation = parse_target(sub, gate, label)
        levels.append(TargetLevel(label, t, k, deviation))
    return levels


def parse_run_seeds(f: Fields, key: str, **kw) -> tuple[int, ...]:
    seeds = f.int_list(key, **kw)
    bad = [s for s in seeds if not 0 <= s < MAX_RUN_SEED]
    if bad or len(set(seeds)) != len(seeds):
        raise f.error(key, f"distinct run seeds in [0, {MAX_RUN_SEED})", list(seeds))
    return seeds


def parse_schedule(ev: Fields, purpose: str) -> EvalSchedule:
    schedule = EvalSchedule(every=ev.integer("every", lo=1), episodes=ev.integer("episodes", lo=1),
                            purpose=purpose, n_envs=ev.integer("n_envs", 64, lo=1, hi=1024))
    ev.done()
    return schedule


def parse_thresholds(f: Fields) -> Thresholds:
    """Success and collision thresholds (defaults: the DESIGN.md gate, 0.90 / 0.05)."""
    t = Thresholds(success=f.number("success", 0.9, lo=0.0, hi=1.0),
                   collision=f.number("collision", 0.05, lo=0.0, hi=1.0))
    return t


def parse_scenario(f: Fields, key: str, catalogue: Catalogue) -> Scenario:
    scenarios = catalogue.scenarios()
    name = f.string(key, choices=list(scenarios))
    return scenarios[name]


def parse_scenario_or_mix(f: Fields, catalogue: Catalogue) -> Scenario | ScenarioMix:
    """``scenario: <family>`` or ``mix: <mix file>`` (exactly one)."""
    if f.has("mix") == f.has("scenario"):
        raise f.error("scenario", "exactly one of 'scenario' (a family of specs/scenarios) or "
                      "'mix' (a mix of specs/mixes)",
                      {k: f.raw(k, None) for k in ("scenario", "mix")})
    if f.has("scenario"):
        return parse_scenario(f, "scenario", catalogue)
    mixes = catalogue.mixes(f, "mix")
    return mixes[f.string("mix", choices=list(mixes))]


def scenario_dict(s: Scenario | ScenarioMix) -> dict:
    """A scenario in full (a mix: its name, weights and every family in full)."""
    if isinstance(s, ScenarioMix) or not isinstance(s, Scenario):
        return s.as_dict()  # a mix, or a declared environment's family
    return asdict(s)
