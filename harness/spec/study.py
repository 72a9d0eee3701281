"""The study spec: ``specs/study.yaml`` + a profile -> one typed, frozen :class:`Study`.

A profile is a partial spec deep-merged over the base (``profiles.<name>``); the merged mapping is
the *resolved config* that manifests record and hash. Every field is validated with an error that
names the file, the dotted field and what was expected.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from harness.hashing import config_hash
from harness.nav.scenario import Scenario
from harness.nav.seeding import SEED_BOUND
from harness.paths import specs_dir
from harness.spec.errors import Fields, SpecError
from harness.spec.ppo import PPOConfig, parse_ppo
from harness.spec.scenarios import load_scenarios, read_yaml

# Evaluation episode seeds live above every seed a training stream can draw (< SEED_BOUND), so
# evaluation episodes are disjoint from training episodes by construction.
EVAL_SEED_BASE = SEED_BOUND + 1
FINAL_EVAL_OFFSET = 10_000_000


@dataclass(frozen=True)
class EvalSchedule:
    every: int
    """Online environment steps between periodic evaluations (E)."""
    episodes: int
    """Episodes per periodic evaluation, on fixed seeds."""
    n_envs: int = 64

    def seeds(self) -> list[int]:
        return [EVAL_SEED_BASE + k for k in range(self.episodes)]


@dataclass(frozen=True)
class Thresholds:
    success: float
    """Minimum success rate."""
    collision: float
    """Maximum collision rate."""

    def met(self, success: float, collision: float) -> bool:
        return success >= self.success and collision <= self.collision


@dataclass(frozen=True)
class Convergence:
    thresholds: Thresholds
    consecutive: int
    """K: consecutive periodic evaluations at the thresholds."""
    early_stop: bool
    """Stop training once converged (the budget is the cap either way)."""


@dataclass(frozen=True)
class ExpertSpec:
    scenario: Scenario
    seeds: tuple[int, ...]
    ppo: PPOConfig
    budget: int
    """Maximum online environment steps per seed."""
    eval: EvalSchedule
    convergence: Convergence
    final_episodes: int
    promotion: Thresholds
    min_seeds: int

    def final_seeds(self) -> list[int]:
        return [EVAL_SEED_BASE + FINAL_EVAL_OFFSET + k for k in range(self.final_episodes)]

    def run_config(self) -> dict:
        """The part of the resolved config that determines one seed's training run."""
        return {"scenario": scenario_dict(self.scenario), "ppo": self.ppo.as_dict(),
                "budget": self.budget, "eval": {"every": self.eval.every,
                                                "episodes": self.eval.episodes,
                                                "n_envs": self.eval.n_envs},
                "convergence": {"success": self.convergence.thresholds.success,
                                "collision": self.convergence.thresholds.collision,
                                "consecutive": self.convergence.consecutive,
                                "early_stop": self.convergence.early_stop},
                "final_episodes": self.final_episodes}


DATASET_OFFSET = 50_000_000


@dataclass(frozen=True)
class DatasetSpec:
    scenarios: tuple[Scenario, ...]
    """Scenario families to record; episode k runs on scenarios[k % len(scenarios)]."""
    episodes: int
    min_episodes: int
    """Validation fails below this many episodes (>= 200 in the full profile)."""
    deterministic: bool
    """Record the expert's deterministic (mean) actions rather than sampled ones."""
    playback_episodes: int
    """Episodes rendered to GIF and replay-checked for the report."""
    n_envs: int = 64

    def seeds(self) -> list[int]:
        """Dataset episodes: disjoint from training streams and from evaluation episodes."""
        return [EVAL_SEED_BASE + DATASET_OFFSET + k for k in range(self.episodes)]

    def config(self) -> dict:
        return {"scenarios": [scenario_dict(s) for s in self.scenarios],
                "episodes": self.episodes, "min_episodes": self.min_episodes,
                "deterministic": self.deterministic, "n_envs": self.n_envs}


@dataclass(frozen=True)
class Study:
    name: str
    profile: str
    file: str
    resolved: dict
    """The merged mapping this study was built from (what manifests record)."""
    expert: ExpertSpec
    dataset: DatasetSpec

    @property
    def config_hash(self) -> str:
        return config_hash(self.resolved)


def scenario_dict(s: Scenario) -> dict:
    from dataclasses import asdict

    return asdict(s)


def deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def study_file() -> Path:
    return specs_dir() / "study.yaml"


def load_study(profile: str = "full", path: str | Path | None = None) -> Study:
    """Load the study spec with ``profile`` merged over its base."""
    path = Path(path or study_file())
    raw = read_yaml(path)
    top = Fields(raw, path)
    profiles = top.raw("profiles", {})
    if not isinstance(profiles, dict) or profile not in profiles:
        names = list(profiles) if isinstance(profiles, dict) else []
        raise SpecError(path, "profiles", f"a profile named one of {names}", profile)
    base = {k: v for k, v in raw.items() if k != "profiles"}
    resolved = deep_merge(base, profiles[profile] or {})
    return parse_study(resolved, path, profile)


def parse_study(data: dict, path: str | Path, profile: str) -> Study:
    f = Fields(data, path)
    name = f.string("name")
    expert = _parse_expert(f.sub("expert", required=True))
    dataset = _parse_dataset(f.sub("dataset", required=True), expert)
    f.done()
    return Study(name=name, profile=profile, file=str(path), resolved=data, expert=expert,
                 dataset=dataset)


def _parse_dataset(f: Fields, expert: ExpertSpec) -> DatasetSpec:
    scenarios = load_scenarios()
    names = f.string_list("scenarios", [expert.scenario.name], choices=list(scenarios))
    min_episodes = f.integer("min_episodes", 200, lo=1)
    spec = DatasetSpec(scenarios=tuple(scenarios[n] for n in names),
                       episodes=f.integer("episodes", lo=1), min_episodes=min_episodes,
                       deterministic=f.boolean("deterministic", True),
                       playback_episodes=f.integer("playback_episodes", 3, lo=0),
                       n_envs=f.integer("n_envs", 64, lo=1, hi=1024))
    if spec.episodes < min_episodes:
        raise f.error("episodes", f">= min_episodes = {min_episodes}", spec.episodes)
    f.done()
    return spec


def _thresholds(f: Fields) -> Thresholds:
    t = Thresholds(success=f.number("success", 0.9, lo=0.0, hi=1.0),
                   collision=f.number("collision", 0.05, lo=0.0, hi=1.0))
    return t


def _scenario(f: Fields, key: str) -> Scenario:
    scenarios = load_scenarios()
    name = f.string(key, choices=list(scenarios))
    return scenarios[name]


def _parse_expert(f: Fields) -> ExpertSpec:
    scenario = _scenario(f, "scenario")
    seeds = f.int_list("seeds")
    ppo = parse_ppo(f.sub("ppo"))
    ev = f.sub("eval", required=True)
    schedule = EvalSchedule(every=ev.integer("every", lo=1),
                            episodes=ev.integer("episodes", lo=1),
                            n_envs=ev.integer("n_envs", 64, lo=1, hi=1024))
    ev.done()
    conv = f.sub("convergence", required=True)
    convergence = Convergence(thresholds=_thresholds(conv),
                              consecutive=conv.integer("consecutive", 2, lo=1),
                              early_stop=conv.boolean("early_stop", True))
    conv.done()
    final = f.sub("final_eval", required=True)
    final_episodes = final.integer("episodes", lo=200)  # DESIGN.md 4: promotion needs >= 200
    final.done()
    prom = f.sub("promotion", required=True)
    min_seeds = prom.integer("min_seeds", 3, lo=3)  # DESIGN.md 4: at least 3 seeds
    promotion = _thresholds(prom)
    prom.done()
    if len(seeds) < min_seeds:
        raise f.error("seeds", f"at least promotion.min_seeds = {min_seeds} seeds", list(seeds))
    spec = ExpertSpec(scenario=scenario, seeds=seeds, ppo=ppo,
                      budget=f.integer("budget", lo=1), eval=schedule, convergence=convergence,
                      final_episodes=final_episodes, promotion=promotion, min_seeds=min_seeds)
    f.done()
    return spec
