"""The ``shift`` section of the spec: the distribution-shift experiment's datasets, arms,
families, seeds and margin."""

from __future__ import annotations

from dataclasses import dataclass, replace

from harness.names import ArmName, DatasetName
from harness.nav.scenario import Scenario
from harness.seeds import (
    SeedRange,
    evaluation_set,
    evaluation_span,
)
from harness.spec.common import SEED_PLAN_VERSION, Catalogue, parse_run_seeds
from harness.spec.errors import Fields
from harness.stages.dataset.config import DatasetSpec
from harness.stages.pretraining.config import Arm, PretrainSpec


@dataclass(frozen=True)
class ShiftPower:
    """The effect SHIFT must detect, declared before the run: a true success drop of ``drop``
    called a regression with probability >= ``power``, for runs whose true success varies
    between seeds by ``seed_sd`` around ``base`` (:func:`harness.power.shift_power`)."""

    drop: float
    power: float
    base: float
    seed_sd: float

    def as_dict(self) -> dict:
        return {"drop": self.drop, "power": self.power, "base": self.base,
                "seed_sd": self.seed_sd}


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
    power: ShiftPower | None = None
    """The declared power analysis (None: none declared; the report says so)."""

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
                **({"power": self.power.as_dict()} if self.power else {}),
                "eval_scenarios": [s.name for s in self.eval_scenarios],
                "dataset_scenarios": [s.name for s in self.dataset_scenarios],
                "episodes_per_dataset": self.episodes_per_dataset,
                "bootstrap": self.bootstrap, "episode_seeds": self.span(grid).as_dict(),
                "regression": "shifted - reference success < -margin and the 95% interval's "
                              "upper bound < 0 (fine-tuned policies, per family)",
                "seed_plan": SEED_PLAN_VERSION}


def parse_shift(f: Fields, pre: PretrainSpec, dataset: DatasetSpec,
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
                     seeds=parse_run_seeds(f, "seeds", default=list(pre.seeds[:2])),
                     budget=f.integer("budget", pre.budget, lo=1),
                     episodes=f.integer("episodes", 100, lo=1),
                     episodes_per_dataset=f.integer("episodes_per_dataset", dataset.episodes,
                                                    lo=1),
                     margin=f.number("margin", 0.10, lo=0.0, hi=1.0),
                     arms=(replace(recipe, name=ArmName.SHIFTED, dataset=DatasetName.SHIFTED),
                           replace(recipe, name=ArmName.MATCHED, dataset=DatasetName.MATCHED)),
                     bootstrap=f.integer("bootstrap", 10_000, lo=100),
                     power=parse_power(f) if f.has("power") else None)
    if spec.power is not None and spec.margin >= spec.power.drop:
        raise f.error("margin", f"a margin below power.drop = {spec.power.drop}: a regression "
                      f"needs the observed drop beyond the margin, so a true drop equal to it "
                      f"is called one about half the time whatever the seeds", spec.margin)
    f.done()
    return spec


def parse_power(f: Fields) -> ShiftPower:
    """``shift.power``: the effect SHIFT must detect and with what probability (checked by
    simulation in tests/test_shift.py and reported from the shift artefact)."""
    pf = f.sub("power")
    power = ShiftPower(drop=pf.number("drop", lo=0.0, hi=1.0),
                       power=pf.number("power", 0.8, lo=0.5, hi=0.999),
                       base=pf.number("base", 0.9, lo=0.0, hi=1.0),
                       seed_sd=pf.number("seed_sd", lo=0.0, hi=0.5))
    pf.done()
    return power
