"""The ``pretraining`` section of the spec: the matched seeds, the target, the arms (the
recipe's behaviour cloning, critic pre-training and fine-tuning) and their comparison."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from harness import stats
from harness.names import ArmName, DatasetName
from harness.nav.scenario import Scenario
from harness.seeds import (
    SeedRange,
    evaluation_set,
    sized_stream,
)
from harness.spec.common import (
    SEED_PLAN_VERSION,
    Catalogue,
    EvalSchedule,
    TargetLevel,
    Thresholds,
    parse_run_seeds,
    parse_scenario,
    parse_schedule,
    parse_sensitivity,
    parse_target,
    scenario_dict,
)
from harness.spec.errors import Fields
from harness.spec.ppo import PPOConfig
from harness.stages.expert.config import ExpertSpec
from harness.stages.sizes.config import SizeStudySpec, parse_sizes


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
    keep: str = "best"
    """Which checkpoint is the BC policy: "best" (lowest validation NLL, early stopping) or
    "last" (:func:`harness.stages.pretraining.recipe.train_bc`)."""


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
class Confirmation:
    """How "at target" is judged for time to target (DESIGN.md section 4, "Time to target").

    A grid step is a candidate when its periodic evaluation passes the lenient ``screen``; each
    candidate, in grid order, is evaluated again on ``episodes`` episodes of the run's own
    confirmation block, and T is the first candidate whose policy meets the target there. The
    declared ``episodes`` must classify a policy ``band`` inside the target as at target, and
    one ``band`` outside as not, each with probability >= ``power``
    (:func:`harness.stats.classification`)."""

    episodes: int
    band: float
    power: float
    screen: Thresholds

    def as_dict(self) -> dict:
        return {"episodes": self.episodes, "band": self.band, "power": self.power,
                "screen": self.screen.as_dict()}


@dataclass(frozen=True)
class PowerPilot:
    """What the power analysis assumes about runs it has not seen, from a pilot (the spec
    says which), each value chosen at or beyond what the pilot showed (conservative)."""

    base: float
    """True final success of every arm's runs."""
    final_sd: float
    """Between-seed sd of true final success."""
    t_median: float
    """Median time to target of an arm's runs (steps)."""
    t_log_sd: float
    """Between-seed sd of log T."""
    discordance: float
    """Fraction of an evaluation's episodes on which the BC policy and the fine-tuned one
    disagree (either way) when there is no drop."""


@dataclass(frozen=True)
class ComparisonPower:
    """``pretraining.criteria.power``: the effect each comparison criterion must detect and
    with what probability (DESIGN.md section 4, "Comparing rates"; :mod:`harness.power`)."""

    power: float
    """Every criterion must detect its effect, and pass when there is none, with at least
    this probability (SC-003: pass at the declared ``ratio``)."""
    ratio: float
    """SC-003 must pass a pre-trained arm whose true IQM ratio is this."""
    final_drop: float
    """SC-003f must fail a true final-success regression of this size."""
    t_effect: float
    """SC-003r must fail a recipe whose T is longer by this fraction of the budget."""
    drop: float
    """SC-003u (a seed) and SC-003r must fail a true drop below BC of this size."""
    pilot: PowerPilot
    sims: int = 400

    def as_dict(self) -> dict:
        return {**{k: v for k, v in asdict(self).items() if k != "pilot"},
                "pilot": asdict(self.pilot)}


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
    confirmation: Confirmation | None = None
    """How T is confirmed (None: T is read from the periodic evaluations alone, k in a row)."""
    power: ComparisonPower | None = None
    """The declared power analysis of the comparison's margins (None: none declared)."""

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
                "recipe_t_margin": self.recipe_t_margin, "bootstrap": self.bootstrap,
                **({"confirmation": self.confirmation.as_dict()} if self.confirmation else {}),
                **({"power": self.power.as_dict()} if self.power else {})}

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


def parse_bc(f: Fields) -> BCConfig:
    d = BCConfig()
    cfg = BCConfig(epochs=f.integer("epochs", d.epochs, lo=1),
                   batch_size=f.integer("batch_size", d.batch_size, lo=1),
                   learning_rate=f.number("learning_rate", d.learning_rate, lo=0.0, hi=1.0),
                   ent_weight=f.number("ent_weight", d.ent_weight, lo=0.0),
                   l2_weight=f.number("l2_weight", d.l2_weight, lo=0.0),
                   val_fraction=f.number("val_fraction", d.val_fraction, lo=0.0, hi=0.5),
                   min_updates=f.integer("min_updates", d.min_updates, lo=0),
                   keep=f.string("keep", d.keep, choices=("best", "last")))
    f.done()
    return cfg


def parse_critic(f: Fields) -> CriticConfig:
    d = CriticConfig()
    cfg = CriticConfig(epochs=f.integer("epochs", d.epochs, lo=0),
                       batch_size=f.integer("batch_size", d.batch_size, lo=1),
                       learning_rate=f.number("learning_rate", d.learning_rate, lo=0.0, hi=1.0))
    f.done()
    return cfg


def parse_finetune(f: Fields, base: FineTuneConfig | None = None) -> FineTuneConfig:
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


def parse_pretraining(f: Fields, expert: ExpertSpec, catalogue: Catalogue) -> PretrainSpec:
    scenario = parse_scenario(f, "scenario", catalogue)
    seeds = parse_run_seeds(f, "seeds", min_len=2)
    budget = f.integer("budget", lo=1)
    schedule = parse_schedule(f.sub("eval", required=True), "comparison_periodic_eval")
    tf = f.sub("target")
    target, consecutive, deviation = parse_target(tf, expert.promotion, "default")
    sensitivity = tuple(parse_sensitivity(f, expert.promotion))
    recipe = parse_finetune(f.sub("finetune"))
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
        bc=parse_bc(f.sub("bc")), critic=parse_critic(f.sub("critic")), arms=tuple(arms),
        ratio_max=crit.number("ratio_max", 0.70, lo=0.0, hi=1.0),
        min_seeds=crit.integer("min_seeds", 10, lo=2),
        final_margin=crit.number("final_margin", 0.05, lo=0.0, hi=1.0),
        unlearning_evals=crit.integer("unlearning_evals", 2, lo=1),
        unlearning_margin=crit.number("unlearning_margin", 0.05, lo=0.0, hi=1.0),
        recipe_t_margin=crit.number("recipe_t_margin", 0.10, lo=0.0, hi=1.0),
        bootstrap=crit.integer("bootstrap", 10_000, lo=100),
        power=parse_power(crit) if crit.has("power") else None,
        sizes=parse_sizes(f, seeds),
        confirmation=parse_confirmation(f, target) if f.has("confirmation") else None)
    crit.done()
    f.done()
    return spec


def parse_confirmation(f: Fields, target: Thresholds) -> Confirmation:
    """``pretraining.confirmation``: its episodes must hold the declared band and power."""
    c = f.sub("confirmation")
    band = c.number("band", 0.02, lo=0.001, hi=0.5)
    power = c.number("power", 0.9, lo=0.5, hi=0.9999)
    episodes = c.integer("episodes", lo=1)
    sf = c.sub("screen_margin")
    below = sf.number("success", lo=0.0, hi=1.0)
    above = sf.number("collision", lo=0.0, hi=1.0)
    sf.done()
    screen = Thresholds(success=max(0.0, target.success - below),
                        collision=min(1.0, target.collision + above))
    inside, outside = stats.classification(episodes, target.success, target.collision, band)
    if inside < power or outside > 1.0 - power:
        need = stats.episodes_for_classification(target.success, target.collision, band, power)
        raise c.error("episodes", f">= {need}: the fewest that classify a policy {band} inside "
                      f"the target as at target, and one {band} outside as not, each with "
                      f"probability >= {power} (harness.stats.classification; at {episodes}: "
                      f"{inside:.3f} and {1 - outside:.3f})", episodes)
    c.done()
    return Confirmation(episodes=episodes, band=band, power=power, screen=screen)


def parse_power(crit: Fields) -> ComparisonPower:
    """``pretraining.criteria.power``: the declared effects, the power and the pilot."""
    f = crit.sub("power")
    pf = f.sub("pilot", required=True)
    pilot = PowerPilot(base=pf.number("base", lo=0.0, hi=1.0),
                       final_sd=pf.number("final_sd", lo=0.0, hi=0.5),
                       t_median=pf.number("t_median", lo=1.0),
                       t_log_sd=pf.number("t_log_sd", lo=0.0, hi=3.0),
                       discordance=pf.number("discordance", lo=0.0, hi=1.0))
    pf.done()
    power = ComparisonPower(power=f.number("power", 0.8, lo=0.5, hi=0.999),
                            ratio=f.number("ratio", lo=0.0, hi=1.0),
                            final_drop=f.number("final_drop", lo=0.0, hi=1.0),
                            t_effect=f.number("t_effect", lo=0.0, hi=1.0),
                            drop=f.number("drop", lo=0.0, hi=1.0), pilot=pilot,
                            sims=f.integer("sims", 400, lo=50))
    f.done()
    return power
