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


def final_eval_seeds(n: int) -> list[int]:
    """The fixed seeds of every final evaluation (>= 200 episodes), disjoint from training
    streams and from the periodic evaluation seeds."""
    return [EVAL_SEED_BASE + FINAL_EVAL_OFFSET + k for k in range(n)]


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
        return final_eval_seeds(self.final_episodes)

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
class BCConfig:
    epochs: int = 30
    batch_size: int = 256
    learning_rate: float = 1e-3
    ent_weight: float = 1e-3
    l2_weight: float = 0.0
    val_fraction: float = 0.1
    """Fraction of episodes held out (by episode, never by step) for the validation loss."""


@dataclass(frozen=True)
class CriticConfig:
    epochs: int = 20
    """Epochs of regression of the critic on discounted Monte-Carlo returns (0 disables)."""
    batch_size: int = 256
    learning_rate: float = 1e-3


@dataclass(frozen=True)
class FineTuneConfig:
    critic_warmup_steps: int = 0
    """Online steps at the start of fine-tuning during which only the critic learns."""
    actor_warmup_steps: int = 0
    """Then the actor's learning rate ramps linearly from 0 to the PPO rate over these steps."""
    log_std_reset: float | None = None
    """Log-std of the action noise set after BC (None keeps what BC learned)."""
    bc_weight: float = 0.0
    """Weight of an auxiliary BC loss on dataset batches after each PPO update (DAPG-style)."""
    bc_decay: float = 0.9
    """Multiplier of bc_weight after each PPO update."""
    bc_batch_size: int = 256
    bc_steps: int = 4


@dataclass(frozen=True)
class Arm:
    """One way of initialising PPO before the online budget (the baseline has none)."""

    name: str
    pretrained: bool
    critic: bool = True
    finetune: FineTuneConfig = FineTuneConfig()


@dataclass(frozen=True)
class PretrainSpec:
    scenario: Scenario
    """Fine-tuning (and baseline) scenario."""
    seeds: tuple[int, ...]
    """Matched seeds: each seed runs every arm with the same env seeds and evaluation."""
    budget: int
    eval: EvalSchedule
    target: Thresholds
    consecutive: int
    """k: time to target is the step of the evaluation completing k consecutive passes."""
    final_episodes: int
    bc: BCConfig
    critic: CriticConfig
    arms: tuple[Arm, ...]
    """The recipe arm is named 'pretrained'; 'baseline' is PPO from scratch; others ablate."""
    ratio_max: float
    """SC-003: IQM(T_pretrained) / IQM(T_baseline) must be <= this, CI upper bound < 1."""
    final_margin: float
    """Pre-trained final success may not be below the baseline's by more than this."""
    unlearning_evals: int
    unlearning_margin: float
    bootstrap: int = 10_000

    def arm(self, name: str) -> Arm:
        for a in self.arms:
            if a.name == name:
                return a
        raise KeyError(f"no arm '{name}' in pretraining.arms {[a.name for a in self.arms]}")


@dataclass(frozen=True)
class ShiftSpec:
    dataset_scenarios: tuple[Scenario, ...]
    """Scenarios of the shifted dataset (differing from the fine-tuning scenario)."""
    eval_scenarios: tuple[Scenario, ...]
    """Families of the evaluation matrix (fine-tuning scenario and held-out families)."""
    seeds: tuple[int, ...]
    budget: int
    episodes: int
    """Evaluation episodes per (policy, scenario) cell."""
    margin: float
    """A policy whose success on a family is below the baseline's by more than this regresses."""


@dataclass(frozen=True)
class Study:
    name: str
    profile: str
    file: str
    resolved: dict
    """The merged mapping this study was built from (what manifests record)."""
    expert: ExpertSpec
    dataset: DatasetSpec
    pretraining: PretrainSpec
    shift: ShiftSpec

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
    from harness.spec.rules import checked_study  # cross-field rules, base alone, real paths

    return checked_study(base, profiles[profile] or {}, profile, path)


def parse_study(data: dict, path: str | Path, profile: str) -> Study:
    f = Fields(data, path)
    name = f.string("name")
    expert = _parse_expert(f.sub("expert", required=True))
    dataset = _parse_dataset(f.sub("dataset", required=True), expert)
    pretraining = _parse_pretraining(f.sub("pretraining", required=True), expert)
    shift = _parse_shift(f.sub("shift", required=True), pretraining)
    f.done()
    return Study(name=name, profile=profile, file=str(path), resolved=data, expert=expert,
                 dataset=dataset, pretraining=pretraining, shift=shift)


def _parse_bc(f: Fields) -> BCConfig:
    d = BCConfig()
    cfg = BCConfig(epochs=f.integer("epochs", d.epochs, lo=1),
                   batch_size=f.integer("batch_size", d.batch_size, lo=1),
                   learning_rate=f.number("learning_rate", d.learning_rate, lo=0.0, hi=1.0),
                   ent_weight=f.number("ent_weight", d.ent_weight, lo=0.0),
                   l2_weight=f.number("l2_weight", d.l2_weight, lo=0.0),
                   val_fraction=f.number("val_fraction", d.val_fraction, lo=0.0, hi=0.5))
    f.done()
    return cfg


def _parse_critic(f: Fields) -> CriticConfig:
    d = CriticConfig()
    cfg = CriticConfig(epochs=f.integer("epochs", d.epochs, lo=0),
                       batch_size=f.integer("batch_size", d.batch_size, lo=1),
                       learning_rate=f.number("learning_rate", d.learning_rate, lo=0.0, hi=1.0))
    f.done()
    return cfg


def _parse_finetune(f: Fields, base: FineTuneConfig | None = None) -> FineTuneConfig:
    d = base or FineTuneConfig()
    reset = f.raw("log_std_reset", d.log_std_reset)
    if reset is not None and (isinstance(reset, bool) or not isinstance(reset, (int, float))
                              or not -5.0 <= reset <= 2.0):
        raise f.error("log_std_reset", "null or a number in [-5.0, 2.0]", reset)
    cfg = FineTuneConfig(
        critic_warmup_steps=f.integer("critic_warmup_steps", d.critic_warmup_steps, lo=0),
        actor_warmup_steps=f.integer("actor_warmup_steps", d.actor_warmup_steps, lo=0),
        log_std_reset=None if reset is None else float(reset),
        bc_weight=f.number("bc_weight", d.bc_weight, lo=0.0),
        bc_decay=f.number("bc_decay", d.bc_decay, lo=0.0, hi=1.0),
        bc_batch_size=f.integer("bc_batch_size", d.bc_batch_size, lo=1),
        bc_steps=f.integer("bc_steps", d.bc_steps, lo=0))
    f.done()
    return cfg


def _parse_pretraining(f: Fields, expert: ExpertSpec) -> PretrainSpec:
    scenario = _scenario(f, "scenario")
    seeds = f.int_list("seeds", min_len=2)
    ev = f.sub("eval", required=True)
    schedule = EvalSchedule(every=ev.integer("every", lo=1), episodes=ev.integer("episodes", lo=1),
                            n_envs=ev.integer("n_envs", 64, lo=1, hi=1024))
    ev.done()
    tf = f.sub("target", required=True)
    target = _thresholds(tf)
    consecutive = tf.integer("consecutive", 2, lo=1)
    tf.done()
    recipe = _parse_finetune(f.sub("finetune"))
    arms = [Arm("baseline", pretrained=False), Arm("pretrained", pretrained=True,
                                                  finetune=recipe)]
    for name in f.string_list("ablations", [], choices=("naive",), min_len=0):
        arms.append(Arm(name, pretrained=True, critic=False, finetune=FineTuneConfig()))
    crit = f.sub("criteria", required=True)
    spec = PretrainSpec(
        scenario=scenario, seeds=seeds, budget=f.integer("budget", lo=1), eval=schedule,
        target=target, consecutive=consecutive,
        final_episodes=f.integer("final_episodes", 200, lo=1),
        bc=_parse_bc(f.sub("bc")), critic=_parse_critic(f.sub("critic")), arms=tuple(arms),
        ratio_max=crit.number("ratio_max", 0.70, lo=0.0, hi=1.0),
        final_margin=crit.number("final_margin", 0.05, lo=0.0, hi=1.0),
        unlearning_evals=crit.integer("unlearning_evals", 2, lo=1),
        unlearning_margin=crit.number("unlearning_margin", 0.05, lo=0.0, hi=1.0),
        bootstrap=crit.integer("bootstrap", 10_000, lo=100))
    crit.done()
    f.done()
    return spec


def _parse_shift(f: Fields, pre: PretrainSpec) -> ShiftSpec:
    scenarios = load_scenarios()
    names = f.string_list("dataset_scenarios", choices=list(scenarios))
    if pre.scenario.name in names:
        raise f.error("dataset_scenarios", f"scenarios other than the fine-tuning scenario "
                      f"'{pre.scenario.name}' (this experiment is about a shift)", list(names))
    evals = f.string_list("eval_scenarios", list(scenarios), choices=list(scenarios))
    spec = ShiftSpec(dataset_scenarios=tuple(scenarios[n] for n in names),
                     eval_scenarios=tuple(scenarios[n] for n in evals),
                     seeds=f.int_list("seeds", list(pre.seeds[:2])),
                     budget=f.integer("budget", pre.budget, lo=1),
                     episodes=f.integer("episodes", 100, lo=1),
                     margin=f.number("margin", 0.10, lo=0.0, hi=1.0))
    f.done()
    return spec


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
