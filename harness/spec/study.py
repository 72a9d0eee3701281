"""The study spec: ``specs/study.yaml`` + a profile -> one typed, frozen :class:`Study`.

A profile is a partial spec deep-merged over the base (``profiles.<name>``); the merged mapping is
the *resolved config* that manifests record and hash. Every field is validated with an error that
names the file, the dotted field and what was expected.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from harness.core.hashing import config_hash
from harness.envs import environment
from harness.names import ArmName, DatasetName
from harness.nav.mix import ScenarioMix, as_mix
from harness.nav.scenario import Scenario
from harness.seeds import (
    MAX_RUN_SEED,
    MAX_SIZES,
    SeedRange,
    evaluation_set,
    evaluation_span,
    recording_seeds,
    sized_stream,
)
from harness.spec.errors import Fields
from harness.spec.ppo import PPOConfig, parse_ppo
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


@dataclass(frozen=True)
class Convergence:
    thresholds: Thresholds
    consecutive: int
    """K: consecutive periodic evaluations at the thresholds."""
    early_stop: bool
    """Stop training once converged (the budget is the cap either way)."""
    stop_at: Thresholds | None = None
    """Stricter levels the K consecutive evaluations must meet before an early stop (None: the
    convergence thresholds). Stopping at the first K evaluations that merely touch the gate's
    thresholds promotes a policy that sits on them (the winner's curse); this margin, set from
    :func:`harness.stats.early_stop_risk`, bounds how often a stopped run then fails its final
    200-episode gate. Convergence itself (what promotion requires) stays at the thresholds."""

    @property
    def stop_thresholds(self) -> Thresholds:
        return self.stop_at or self.thresholds


@dataclass(frozen=True)
class ExpertSpec:
    scenario: Scenario | ScenarioMix
    """What the expert trains and is gated on: one family, or a mix gated per family."""
    seeds: tuple[int, ...]
    ppo: PPOConfig
    budget: int
    """Maximum online environment steps per seed."""
    eval: EvalSchedule
    convergence: Convergence
    final_episodes: int
    promotion: Thresholds
    min_seeds: int

    @property
    def is_mix(self) -> bool:
        return isinstance(self.scenario, ScenarioMix)

    @property
    def family_names(self) -> tuple[str, ...]:
        """The families the gate holds on (one, for a single scenario)."""
        return as_mix(self.scenario).family_names

    def final_set(self) -> SeedRange:
        """Final evaluation and selection episodes (their own purpose): of a mix, the window
        from which each family's ``final_episodes`` are taken."""
        return evaluation_set("expert_final_eval", 0,
                              as_mix(self.scenario).evaluation_window(self.final_episodes))

    def run_config(self) -> dict:
        """Identity of one seed's ``expert_run``: what determines its training."""
        return {"stage": "expert_run", "scenario": scenario_dict(self.scenario),
                "ppo": self.ppo.as_dict(),
                "budget": self.budget, "eval": self.eval.as_dict(),
                "convergence": {"success": self.convergence.thresholds.success,
                                "collision": self.convergence.thresholds.collision,
                                "consecutive": self.convergence.consecutive,
                                "early_stop": self.convergence.early_stop,
                                **({"stop_at": self.convergence.stop_at.as_dict()}
                                   if self.convergence.stop_at else {})},
                "final_episodes": self.final_episodes, "seed_plan": SEED_PLAN_VERSION}

    def gate_config(self) -> dict:
        """Identity of the ``expert`` promotion decision (the gate the report shows)."""
        return {"stage": "expert", "scenario": self.scenario.name,
                "families": list(self.family_names),
                "promotion": {"success": self.promotion.success,
                              "collision": self.promotion.collision,
                              "min_seeds": self.min_seeds, "final_episodes": self.final_episodes,
                              "per_family": self.is_mix, "requires_convergence": True}}


SEED_PLAN_VERSION = 3
"""Bumped whenever :mod:`harness.seeds` assigns different episodes, so no cached artefact built
under an older plan is reused."""


@dataclass(frozen=True)
class DatasetSpec:
    scenarios: tuple[Scenario, ...]
    """Scenario families to record; episode k runs on scenarios[k % len(scenarios)], or, with
    ``mix``, on the family the mix deals to its seed (then these are the mix's families)."""
    episodes: int
    min_episodes: int
    """Validation fails below this many episodes (>= 200 in the full profile)."""
    deterministic: bool
    """Record the expert's deterministic (mean) actions rather than sampled ones."""
    playback_episodes: int
    """Episodes rendered to GIF and replay-checked for the report."""
    n_envs: int = 64

    stream: str = "dataset"
    """Its block of the recording purpose (each of the shift experiment's datasets has its
    own)."""
    mix: ScenarioMix | None = None
    """Record over this mix (each episode's family drawn from its seed) instead."""

    @property
    def sources(self) -> list[Scenario | ScenarioMix]:
        """What the recorder plays: the mix, or the scenarios round-robin."""
        return [self.mix] if self.mix is not None else list(self.scenarios)

    @property
    def label(self) -> str:
        """Short name of what is recorded (in the dataset id)."""
        return f"mix-{self.mix.name}" if self.mix is not None else \
            "-".join(s.name for s in self.scenarios)

    def seed_range(self) -> SeedRange:
        """Dataset episodes: the recording purpose's block of this dataset's stream."""
        return recording_seeds(self.stream, self.episodes)

    def seeds(self) -> list[int]:
        return self.seed_range().seeds()

    def config(self) -> dict:
        """Identity of a ``dataset``."""
        return {"stage": "dataset", "scenarios": [scenario_dict(s) for s in self.scenarios],
                **({"mix": {"name": self.mix.name, "weights": self.mix.weights_by_family}}
                   if self.mix is not None else {}),
                "episodes": self.episodes, "min_episodes": self.min_episodes,
                "deterministic": self.deterministic, "n_envs": self.n_envs,
                "stream": self.stream, "seed_plan": SEED_PLAN_VERSION}


@dataclass(frozen=True)
class BCConfig:
    epochs: int = 30
    batch_size: int = 256
    learning_rate: float = 1e-3
    ent_weight: float = 1e-3
    l2_weight: float = 0.0
    val_fraction: float = 0.1
    """Fraction of episodes held out (by episode, never by step) for the validation loss."""
    min_updates: int = 0
    """At least this many gradient steps, whatever the dataset's size (more epochs on a small
    dataset; :func:`harness.stages.pretraining.recipe.bc_schedule`)."""


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
    """Also the run's stream of episode seeds (:mod:`harness.seeds`)."""
    pretrained: bool
    critic: bool = True
    finetune: FineTuneConfig = FineTuneConfig()
    dataset: str | None = None
    """Which dataset a pre-trained arm clones: "study" (``dataset:``), or one of the shift
    experiment's: "shifted" (recorded on ``shift.dataset_scenarios``) or "matched" (on the
    fine-tuning scenario); None for the baseline."""
    stream: str | None = None
    """Its stream of episode seeds when it differs from its name (the size study's arms)."""

    @property
    def seed_stream(self) -> str:
        return self.stream or self.name


@dataclass(frozen=True)
class PretrainSpec:
    scenario: Scenario
    """Fine-tuning (and baseline) scenario."""
    seeds: tuple[int, ...]
    """Matched seeds: each seed runs every arm with the same env seeds and evaluation."""
    budget: int
    eval: EvalSchedule
    target: Thresholds
    """Default: the expert's promotion thresholds (DESIGN.md section 4)."""
    consecutive: int
    """k: T is the step of the first of k consecutive evaluations at the target."""
    target_deviation: str | None
    """Set when the target is weaker than the promotion gate: shown in the criterion row."""
    sensitivity: tuple[TargetLevel, ...]
    """Extra levels declared before the run, reported as labelled rows (never gating)."""
    final_episodes: int
    bc: BCConfig
    critic: CriticConfig
    arms: tuple[Arm, ...]
    """The recipe arm is named 'pretrained'; 'baseline' is PPO from scratch; others ablate."""
    ratio_max: float
    """SC-003: IQM(T_pretrained) / IQM(T_baseline) must be <= this, CI upper bound < 1."""
    min_seeds: int
    """SC-003 needs at least this many independent seeds per arm (DESIGN: >= 10)."""
    final_margin: float
    """SC-003f: the lower bound of the 95% CI of (pre-trained - baseline) final success, paired
    by seed, must be >= -final_margin."""
    unlearning_evals: int
    unlearning_margin: float
    recipe_t_margin: float
    """Recipe vs naive: the upper bound of the CI of IQM(T recipe) - IQM(T naive) must be <=
    this fraction of the budget (and the drop difference's upper bound <= unlearning_margin)."""
    bootstrap: int = 10_000
    sizes: SizeStudySpec | None = None
    """The dataset-size study (None: not run)."""

    def target_level(self) -> TargetLevel:
        return TargetLevel("default", self.target, self.consecutive, self.target_deviation)

    def final_set(self) -> SeedRange:
        """Final evaluation episodes of every arm run (and of the BC policies)."""
        return evaluation_set("comparison_final_eval", 0, self.final_episodes)

    def arm_config(self, arm: Arm, ppo: PPOConfig, scenario: Scenario, budget: int) -> dict:
        """Identity of one (arm, seed) ``arm_run``."""
        cfg = {"stage": "arm_run", "arm": arm.name, "pretrained": arm.pretrained,
               **({"stream": arm.stream} if arm.stream else {}),
               "scenario": scenario_dict(scenario), "ppo": ppo.as_dict(), "budget": budget,
               "eval": self.eval.as_dict(), "target": self.target_level().as_dict(),
               "final_episodes": self.final_episodes, "seed_plan": SEED_PLAN_VERSION}
        if arm.pretrained:
            cfg.update({"bc": asdict(self.bc),
                        "critic": asdict(self.critic) if arm.critic else None,
                        "finetune": asdict(arm.finetune),
                        "unlearning_evals": self.unlearning_evals})
        return cfg

    def comparison_config(self) -> dict:
        """Identity of the ``comparison``: the declared criteria the report shows."""
        return {"stage": "comparison", "budget": self.budget, "every": self.eval.every,
                "target": self.target_level().as_dict(),
                "sensitivity": [t.as_dict() for t in self.sensitivity],
                "ratio_max": self.ratio_max, "min_seeds": self.min_seeds,
                "final_margin": self.final_margin, "unlearning_evals": self.unlearning_evals,
                "unlearning_margin": self.unlearning_margin,
                "recipe_t_margin": self.recipe_t_margin, "bootstrap": self.bootstrap}

    def arm(self, name: str) -> Arm:
        for a in self.arms:
            if a.name == name:
                return a
        raise KeyError(f"no arm '{name}' in pretraining.arms {[a.name for a in self.arms]}")

    def sized_arm(self, name: str, size: int) -> Arm:
        """Arm ``name`` of the size study at ``size`` episodes: its own stream of episodes."""
        if self.sizes is None or size not in self.sizes.sizes:
            raise KeyError(f"no size {size} in pretraining.sizes")
        arm = self.arm(name)
        if not arm.pretrained:
            raise KeyError(f"arm '{name}' is not pre-trained: it has no dataset size")
        return replace(arm, name=f"{name}@{size}",
                       stream=sized_stream(name, self.sizes.sizes.index(size)))

    def size_study_config(self) -> dict:
        """Identity of the ``size_study`` artefact: sizes, seeds and the declared criteria."""
        return {"stage": "size_study", **self.sizes.config(), "budget": self.budget,
                "target": self.target_level().as_dict(), "ratio_max": self.ratio_max,
                "unlearning_margin": self.unlearning_margin,
                "recipe_t_margin": self.recipe_t_margin, "bootstrap": self.bootstrap,
                "arms": [a.name for a in self.arms if a.pretrained]}


@dataclass(frozen=True)
class SizeStudySpec:
    """The dataset-size study: the pre-trained arms on nested subsets of the study dataset.

    Size ``sizes[k]`` is the first ``sizes[k]`` episodes of the recorded dataset (so each smaller
    set lies inside the larger ones), each its own ``dataset_subset`` artefact; every pre-trained
    arm runs on it for every seed of ``seeds`` against the comparison's own baseline runs of
    those seeds. The full dataset is the comparison itself (its size is the study's largest)."""

    sizes: tuple[int, ...]
    """Episodes per subset, ascending, each smaller than the recorded dataset."""
    seeds: tuple[int, ...]
    """Matched seeds of every size (pre-training seeds)."""
    min_seeds: int
    """At least this many seeds per size (DESIGN / issue 12: >= 5)."""
    seeds_deviation: str | None = None
    """Why fewer seeds than the study's minimum are declared (shown as a deviation)."""
    recipe_gate: str | None = None
    """None: the recipe-versus-naive criterion (SC-012r) gates. Otherwise why it does not in
    this profile (declared before the run; its numbers are still reported)."""

    def config(self) -> dict:
        return {"sizes": list(self.sizes), "seeds": list(self.seeds),
                "min_seeds": self.min_seeds, "seeds_deviation": self.seeds_deviation,
                "recipe_not_gated": self.recipe_gate}


MIN_SIZE_SEEDS = 5
"""Matched seeds per size the size study needs to be evidence (issue 12)."""


@dataclass(frozen=True)
class ShiftSpec:
    """The distribution-shift experiment (DESIGN.md section 4, "Distribution shift").

    Two pre-trained arms with the same recipe, seeds and budget, fine-tuned on
    ``pretraining.scenario``, differing only in their demonstrations: the **shifted-data arm**
    clones episodes the approved expert recorded on ``dataset_scenarios`` (families the
    fine-tuning scenario is not), the **matched-data arm** the same number of episodes the same
    expert recorded on the fine-tuning scenario itself. Both, and the baseline runs of the same
    seeds, are evaluated on every family of ``eval_scenarios``: their BC policies before
    fine-tuning, every checkpoint of the periodic-evaluation grid (per-family learning curves,
    hence T and curve area per family) and the final policies, all on ``shift_eval`` episodes
    that every arm plays alike."""

    dataset_scenarios: tuple[Scenario, ...]
    """Families of the shifted dataset (never the fine-tuning scenario), recorded round-robin."""
    eval_scenarios: tuple[Scenario, ...]
    """Families of the evaluation matrix (fine-tuning scenario and held-out families)."""
    seeds: tuple[int, ...]
    """Run seeds of both arms; a subset of ``pretraining.seeds`` (the baseline runs are the
    comparison's own)."""
    budget: int
    episodes: int
    """Episodes per (policy, family) evaluation: the final and BC evaluations, and each
    evaluation of a per-family learning curve (each on its own episode set)."""
    episodes_per_dataset: int
    """Episodes of each of the two datasets (the same size for both; declared in the spec,
    default ``dataset.episodes``); validation requires exactly this many."""
    margin: float
    """A regression: the shifted-data arm's success on a family below the matched-data arm's
    (or the baseline's) by more than this, with a 95% interval of the difference below 0."""
    arms: tuple[Arm, ...]
    """The shifted-data arm, then the matched-data arm: the recipe of ``pretrained`` on each
    arm's own dataset."""
    bootstrap: int = 10_000
    """Resamples of the intervals of differences (:func:`harness.stats.paired_rate_ci`)."""

    @property
    def shifted(self) -> Arm:
        return self.arms[0]

    @property
    def matched(self) -> Arm:
        return self.arms[1]

    def final_set(self) -> SeedRange:
        """Episodes of the final and the BC evaluations (every family plays these seeds)."""
        return evaluation_set("shift_eval", 0, self.episodes)

    def curve_set(self, index: int) -> SeedRange:
        """Episodes of the per-family evaluation of the checkpoint at grid step ``index``:
        its own set, disjoint from the final set and from every other grid step's."""
        return evaluation_set("shift_eval", index + 1, self.episodes)

    def span(self, evaluations: int) -> SeedRange:
        """Every ``shift_eval`` seed the experiment plays, for ``evaluations`` grid steps."""
        return evaluation_span("shift_eval", evaluations + 1, self.episodes)

    def config(self, grid: int) -> dict:
        """Identity of the ``shift`` artefact (``grid``: evaluations per learning curve)."""
        return {"stage": "shift", "episodes": self.episodes, "margin": self.margin,
                "eval_scenarios": [s.name for s in self.eval_scenarios],
                "dataset_scenarios": [s.name for s in self.dataset_scenarios],
                "episodes_per_dataset": self.episodes_per_dataset,
                "bootstrap": self.bootstrap, "episode_seeds": self.span(grid).as_dict(),
                "regression": "shifted - reference success < -margin and the 95% interval's "
                              "upper bound < 0 (fine-tuned policies, per family)",
                "seed_plan": SEED_PLAN_VERSION}


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
    shift: ShiftSpec | None
    """The distribution-shift experiment; None when the spec declares none (SHIFT not run)."""
    environment: dict | None = None
    """The declared environment's families by name (None: the built-in simulator)."""
    shift_deviation: str | None = None
    """Why SHIFT is not run although the base spec declares it (a profile's ``shift: null``):
    a deviation from the study as declared, shown as such in the report."""

    @property
    def config_hash(self) -> str:
        return config_hash(self.resolved)


def scenario_dict(s: Scenario | ScenarioMix) -> dict:
    """A scenario in full (a mix: its name, weights and every family in full)."""
    if isinstance(s, ScenarioMix) or not isinstance(s, Scenario):
        return s.as_dict()  # a mix, or a declared environment's family
    return asdict(s)


def deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_study(data: dict, path: str | Path, profile: str) -> Study:
    f = Fields(data, path)
    name = f.string("name")
    from harness.spec.environment import parse_environment

    declared = parse_environment(f)
    catalogue = Catalogue(declared)
    expert = _parse_expert(f.sub("expert", required=True), catalogue)
    dataset = _parse_dataset(f.sub("dataset", required=True), expert, catalogue)
    pretraining = _parse_pretraining(f.sub("pretraining", required=True), expert, catalogue)
    shift = None  # optional: a study with no distribution-shift question has no `shift:`
    if f.raw("shift", None) is not None:
        shift = _parse_shift(f.sub("shift"), pretraining, dataset, catalogue)
    f.done()
    return Study(name=name, profile=profile, file=str(path), resolved=data, expert=expert,
                 dataset=dataset, pretraining=pretraining, shift=shift, environment=declared)


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


def _parse_bc(f: Fields) -> BCConfig:
    d = BCConfig()
    cfg = BCConfig(epochs=f.integer("epochs", d.epochs, lo=1),
                   batch_size=f.integer("batch_size", d.batch_size, lo=1),
                   learning_rate=f.number("learning_rate", d.learning_rate, lo=0.0, hi=1.0),
                   ent_weight=f.number("ent_weight", d.ent_weight, lo=0.0),
                   l2_weight=f.number("l2_weight", d.l2_weight, lo=0.0),
                   val_fraction=f.number("val_fraction", d.val_fraction, lo=0.0, hi=0.5),
                   min_updates=f.integer("min_updates", d.min_updates, lo=0))
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


def _parse_pretraining(f: Fields, expert: ExpertSpec, catalogue: Catalogue) -> PretrainSpec:
    scenario = _scenario(f, "scenario", catalogue)
    seeds = _run_seeds(f, "seeds", min_len=2)
    budget = f.integer("budget", lo=1)
    schedule = _schedule(f.sub("eval", required=True), "comparison_periodic_eval")
    tf = f.sub("target")
    target, consecutive, deviation = _target(tf, expert.promotion, "default")
    sensitivity = tuple(_sensitivity(f, expert.promotion))
    recipe = _parse_finetune(f.sub("finetune"))
    arms = [Arm(ArmName.BASELINE, pretrained=False),
            Arm(ArmName.PRETRAINED, pretrained=True, finetune=recipe, dataset=DatasetName.STUDY)]
    for name in f.string_list("ablations", [], choices=(ArmName.NAIVE,), min_len=0):
        arms.append(Arm(name, pretrained=True, critic=False, finetune=FineTuneConfig(),
                        dataset="study"))
    crit = f.sub("criteria", required=True)
    spec = PretrainSpec(
        scenario=scenario, seeds=seeds, budget=budget, eval=schedule,
        target=target, consecutive=consecutive, target_deviation=deviation,
        sensitivity=sensitivity, final_episodes=f.integer("final_episodes", 200, lo=1),
        bc=_parse_bc(f.sub("bc")), critic=_parse_critic(f.sub("critic")), arms=tuple(arms),
        ratio_max=crit.number("ratio_max", 0.70, lo=0.0, hi=1.0),
        min_seeds=crit.integer("min_seeds", 10, lo=2),
        final_margin=crit.number("final_margin", 0.05, lo=0.0, hi=1.0),
        unlearning_evals=crit.integer("unlearning_evals", 2, lo=1),
        unlearning_margin=crit.number("unlearning_margin", 0.05, lo=0.0, hi=1.0),
        recipe_t_margin=crit.number("recipe_t_margin", 0.10, lo=0.0, hi=1.0),
        bootstrap=crit.integer("bootstrap", 10_000, lo=100),
        sizes=_parse_sizes(f, seeds))
    crit.done()
    f.done()
    return spec


def _parse_sizes(f: Fields, seeds: tuple[int, ...]) -> SizeStudySpec | None:
    """``pretraining.sizes``: ``{episodes: [...], seeds: [...], reason: ...}`` or absent/null."""
    if not f.has("sizes"):
        return None
    sf = f.sub("sizes")
    sizes = sf.int_list("episodes", min_len=1)
    if list(sizes) != sorted(set(sizes)) or sizes[0] < 1:
        raise sf.error("episodes", "distinct positive episode counts in ascending order",
                       list(sizes))
    if len(sizes) > MAX_SIZES:
        raise sf.error("episodes", f"at most {MAX_SIZES} sizes", list(sizes))
    size_seeds = _run_seeds(sf, "seeds", default=list(seeds[:MIN_SIZE_SEEDS]))
    outside = [s for s in size_seeds if s not in seeds]
    if outside:
        raise sf.error("seeds", f"pre-training seeds, a subset of {list(seeds)} (each size is "
                       f"compared with the comparison's own baseline runs)", list(size_seeds))
    reason = sf.raw("reason", None)
    deviation = None
    if len(size_seeds) < MIN_SIZE_SEEDS:
        if not isinstance(reason, str) or not reason:
            raise sf.error("reason", f"a reason: {len(size_seeds)} seeds per size are fewer "
                           f"than the {MIN_SIZE_SEEDS} the size study needs", reason)
        deviation = (f"{len(size_seeds)} seeds per size, fewer than the {MIN_SIZE_SEEDS} "
                     f"required: {reason}")
    not_gated = sf.raw("recipe_not_gated", None)
    if not_gated is not None and (not isinstance(not_gated, str) or not not_gated):
        raise sf.error("recipe_not_gated", "a sentence saying why the recipe-versus-naive "
                       "criterion does not gate in this profile", not_gated)
    spec = SizeStudySpec(sizes=tuple(sizes), seeds=size_seeds, min_seeds=MIN_SIZE_SEEDS,
                         seeds_deviation=deviation, recipe_gate=not_gated)
    sf.done()
    return spec


def _target(f: Fields, gate: Thresholds, label: str) -> tuple[Thresholds, int, str | None]:
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


def _sensitivity(f: Fields, gate: Thresholds) -> list[TargetLevel]:
    raw = f.raw("sensitivity", [])
    if not isinstance(raw, list):
        raise f.error("sensitivity", "a list of {label, success, collision, consecutive, "
                      "reason} levels", raw)
    levels = []
    for i, item in enumerate(raw):
        sub = Fields(item, f.file, f.path(f"sensitivity[{i}]"))
        label = sub.string("label")
        t, k, deviation = _target(sub, gate, label)
        levels.append(TargetLevel(label, t, k, deviation))
    return levels


def _run_seeds(f: Fields, key: str, **kw) -> tuple[int, ...]:
    seeds = f.int_list(key, **kw)
    bad = [s for s in seeds if not 0 <= s < MAX_RUN_SEED]
    if bad or len(set(seeds)) != len(seeds):
        raise f.error(key, f"distinct run seeds in [0, {MAX_RUN_SEED})", list(seeds))
    return seeds


def _schedule(ev: Fields, purpose: str) -> EvalSchedule:
    schedule = EvalSchedule(every=ev.integer("every", lo=1), episodes=ev.integer("episodes", lo=1),
                            purpose=purpose, n_envs=ev.integer("n_envs", 64, lo=1, hi=1024))
    ev.done()
    return schedule


def _parse_shift(f: Fields, pre: PretrainSpec, dataset: DatasetSpec,
                 catalogue: Catalogue) -> ShiftSpec:
    scenarios = catalogue.scenarios()
    names = f.string_list("dataset_scenarios", choices=list(scenarios))
    if pre.scenario.name in names:
        raise f.error("dataset_scenarios", f"scenarios other than the fine-tuning scenario "
                      f"'{pre.scenario.name}' (this experiment is about a shift)", list(names))
    evals = f.string_list("eval_scenarios", list(scenarios), choices=list(scenarios))
    recipe = pre.arm(ArmName.PRETRAINED)
    spec = ShiftSpec(dataset_scenarios=tuple(scenarios[n] for n in names),
                     eval_scenarios=tuple(scenarios[n] for n in evals),
                     seeds=_run_seeds(f, "seeds", default=list(pre.seeds[:2])),
                     budget=f.integer("budget", pre.budget, lo=1),
                     episodes=f.integer("episodes", 100, lo=1),
                     episodes_per_dataset=f.integer("episodes_per_dataset", dataset.episodes,
                                                    lo=1),
                     margin=f.number("margin", 0.10, lo=0.0, hi=1.0),
                     arms=(replace(recipe, name=ArmName.SHIFTED, dataset=DatasetName.SHIFTED),
                           replace(recipe, name=ArmName.MATCHED, dataset=DatasetName.MATCHED)),
                     bootstrap=f.integer("bootstrap", 10_000, lo=100))
    f.done()
    return spec


def _parse_dataset(f: Fields, expert: ExpertSpec, catalogue: Catalogue) -> DatasetSpec:
    """``scenarios: [...]`` (round-robin) or ``mix: <name>``; by default what the expert
    trained on."""
    scenarios = catalogue.scenarios()
    mix = None
    if f.has("mix") and f.has("scenarios"):
        raise f.error("mix", "either 'scenarios' or 'mix', not both",
                      {"scenarios": f.raw("scenarios"), "mix": f.raw("mix")})
    if f.has("mix") or (not f.has("scenarios") and expert.is_mix):
        mixes = catalogue.mixes(f, "mix") if f.has("mix") else {}
        mix = mixes[f.string("mix", choices=list(mixes))] if f.has("mix") else expert.scenario
        names = list(mix.family_names)
    else:
        names = f.string_list("scenarios", [expert.scenario.name], choices=list(scenarios))
    min_episodes = f.integer("min_episodes", 200, lo=1)
    spec = DatasetSpec(scenarios=tuple(scenarios[n] for n in names), mix=mix,
                       episodes=f.integer("episodes", lo=1), min_episodes=min_episodes,
                       deterministic=f.boolean("deterministic", True),
                       playback_episodes=f.integer("playback_episodes", 3, lo=0),
                       n_envs=f.integer("n_envs", 64, lo=1, hi=1024))
    if spec.episodes < min_episodes:
        raise f.error("episodes", f">= min_episodes = {min_episodes}", spec.episodes)
    f.done()
    return spec


def _thresholds(f: Fields) -> Thresholds:
    """Success and collision thresholds (defaults: the DESIGN.md gate, 0.90 / 0.05)."""
    t = Thresholds(success=f.number("success", 0.9, lo=0.0, hi=1.0),
                   collision=f.number("collision", 0.05, lo=0.0, hi=1.0))
    return t


def _scenario(f: Fields, key: str, catalogue: Catalogue) -> Scenario:
    scenarios = catalogue.scenarios()
    name = f.string(key, choices=list(scenarios))
    return scenarios[name]


def _scenario_or_mix(f: Fields, catalogue: Catalogue) -> Scenario | ScenarioMix:
    """``scenario: <family>`` or ``mix: <mix file>`` (exactly one)."""
    if f.has("mix") == f.has("scenario"):
        raise f.error("scenario", "exactly one of 'scenario' (a family of specs/scenarios) or "
                      "'mix' (a mix of specs/mixes)",
                      {k: f.raw(k, None) for k in ("scenario", "mix")})
    if f.has("scenario"):
        return _scenario(f, "scenario", catalogue)
    mixes = catalogue.mixes(f, "mix")
    return mixes[f.string("mix", choices=list(mixes))]


def _parse_expert(f: Fields, catalogue: Catalogue) -> ExpertSpec:
    scenario = _scenario_or_mix(f, catalogue)
    seeds = _run_seeds(f, "seeds")
    ppo_f = f.sub("ppo")
    ppo = parse_ppo(ppo_f)
    if ppo.lidar_proximity is not None and environment(scenario).lidar_layout() is None:
        raise ppo_f.error("lidar_proximity", "null: proximity features read the built-in "
                          "simulator's lidar, and a declared environment has none the harness "
                          "knows", ppo.lidar_proximity)
    budget = f.integer("budget", lo=1)
    schedule = _schedule(f.sub("eval", required=True), "expert_periodic_eval")
    if isinstance(scenario, ScenarioMix):
        schedule = schedule.for_mix(scenario)
    conv = f.sub("convergence", required=True)
    thresholds = _thresholds(conv)
    stop_at = None
    if conv.has("stop_at"):
        stop_f = conv.sub("stop_at")
        stop_at = Thresholds(success=stop_f.number("success", thresholds.success, lo=0.0, hi=1.0),
                             collision=stop_f.number("collision", thresholds.collision, lo=0.0,
                                                     hi=1.0))
        stop_f.done()
        if stop_at.weaker_than(thresholds):
            raise conv.error("stop_at", f"levels at least as strict as the convergence "
                             f"thresholds ({thresholds.as_dict()})", stop_at.as_dict())
    convergence = Convergence(thresholds=thresholds,
                              consecutive=conv.integer("consecutive", 2, lo=1),
                              early_stop=conv.boolean("early_stop", True), stop_at=stop_at)
    conv.done()
    final = f.sub("final_eval", required=True)
    final_episodes = final.integer("episodes", lo=200)  # DESIGN.md 4: promotion needs >= 200
    # (of a mix: per family)
    final.done()
    prom = f.sub("promotion", required=True)
    min_seeds = prom.integer("min_seeds", 3, lo=3)  # DESIGN.md 4: at least 3 seeds
    promotion = _thresholds(prom)
    prom.done()
    if len(seeds) < min_seeds:
        raise f.error("seeds", f"at least promotion.min_seeds = {min_seeds} seeds", list(seeds))
    spec = ExpertSpec(scenario=scenario, seeds=seeds, ppo=ppo, budget=budget, eval=schedule,
                      convergence=convergence, final_episodes=final_episodes,
                      promotion=promotion, min_seeds=min_seeds)
    f.done()
    return spec
