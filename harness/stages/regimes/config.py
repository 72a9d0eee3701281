"""The ``regimes`` section of the spec: the regimes of the map of where pre-training pays
(issue 24), each declared before any of its runs.

- **Demonstrator quality**: datasets of ``quality.episodes`` episodes recorded on the
  fine-tuning scenario by the approved expert degraded to a share ``epsilon`` of random actions
  (:mod:`harness.stages.dataset.demonstrator`), each demonstrator's quality measured on its
  own evaluation set; the pre-trained arms clone each and fine-tune, against the comparison's
  baseline runs of the same seeds. Its reference (epsilon 0) is the shift experiment's
  matched-data arm when that runs on these seeds (the expert's own demonstrations there).
- **A new task**: ``new_task.scenario``, a family the expert never trained on and harder than
  its mix, declared by its design; the pre-trained arms clone the study dataset (the expert on
  its own mix) and fine-tune on it, against a baseline from scratch on it.

Each (regime, arm) run trains on its own stream of episode seeds (:data:`harness.seeds.
REGIME_STREAMS`), with its time to target confirmed like the comparison's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from harness.names import ArmName
from harness.nav.scenario import Scenario
from harness.seeds import DEMONSTRATOR_STREAMS, REGIME_STREAMS
from harness.spec.common import Catalogue, parse_run_seeds, parse_scenario, scenario_dict
from harness.spec.errors import Fields
from harness.stages.dataset.config import DatasetSpec
from harness.stages.dataset.demonstrator import Demonstrator
from harness.stages.pretraining.config import Arm, PretrainSpec

QUALITY, TASK = "quality", "new task"


@dataclass(frozen=True)
class Regime:
    """One cell of the map: its runs are ``arms`` on ``scenario``, pre-trained arms cloning
    the dataset ``dataset`` ("study" or a demonstrator's name)."""

    name: str
    axis: str
    scenario: Scenario
    dataset: str
    arms: tuple[Arm, ...]
    """With their streams set; the baseline is among them only when the regime has its own."""
    demonstrator: Demonstrator | None = None

    def arm(self, name: str) -> Arm:
        for a in self.arms:
            if a.name.split("@")[0] == name:
                return a
        raise KeyError(f"regime '{self.name}' has no arm '{name}'")

    @property
    def own_baseline(self) -> bool:
        return any(not a.pretrained for a in self.arms)


@dataclass(frozen=True)
class RegimesSpec:
    seeds: tuple[int, ...]
    """Matched seeds of every regime, a subset of ``pretraining.seeds``."""
    arms: tuple[str, ...]
    """The pre-trained arms every regime runs (the recipe and its ablations)."""
    demonstrators: tuple[Demonstrator, ...]
    quality_episodes: int
    """Episodes of each demonstrator's dataset."""
    new_task: Scenario | None
    regimes: tuple[Regime, ...]
    reason: str | None = None
    """Why this design (seeds, levels), in the spec's words."""

    def regime(self, name: str) -> Regime:
        for r in self.regimes:
            if r.name == name:
                return r
        raise KeyError(f"no regime '{name}' (regimes: {[r.name for r in self.regimes]})")

    def config(self) -> dict:
        return {"seeds": list(self.seeds), "arms": list(self.arms),
                "demonstrators": [d.config() for d in self.demonstrators],
                "quality_episodes": self.quality_episodes,
                "new_task": scenario_dict(self.new_task) if self.new_task else None,
                "regimes": [r.name for r in self.regimes], "reason": self.reason}


def demonstrator_dataset(base: DatasetSpec, regimes: RegimesSpec, pre: PretrainSpec,
                         name: str) -> DatasetSpec:
    """The dataset demonstrator ``name`` records on the fine-tuning scenario, on its own
    recording stream."""
    k = [d.name for d in regimes.demonstrators].index(name)
    d = regimes.demonstrators[k]
    return replace(base, scenarios=(pre.scenario,), mix=None, stream=DEMONSTRATOR_STREAMS[k],
                   episodes=regimes.quality_episodes, min_episodes=regimes.quality_episodes,
                   demonstrator=d, quality_scenario=pre.scenario)


def parse_regimes(f: Fields, pre: PretrainSpec, catalogue: Catalogue) -> RegimesSpec:
    rf = f.sub("regimes")
    seeds = parse_run_seeds(rf, "seeds", default=list(pre.seeds))
    outside = [s for s in seeds if s not in pre.seeds]
    if outside:
        raise rf.error("seeds", f"pre-training seeds, a subset of {list(pre.seeds)} (the "
                       f"quality regimes reuse the comparison's baseline runs)", list(seeds))
    pretrained = [a.name for a in pre.arms if a.pretrained]
    arms = tuple(rf.string_list("arms", pretrained, choices=pretrained))
    demonstrators: list[Demonstrator] = []
    qf = rf.sub("quality") if rf.has("quality") else None
    episodes = 0
    if qf is not None:
        episodes = qf.integer("episodes", lo=1)
        q_eps = qf.integer("quality_episodes", 500, lo=1)
        listed = qf.raw("demonstrators")
        if not isinstance(listed, list):
            raise qf.error("demonstrators", "a list of {name, epsilon}", listed)
        for i, raw in enumerate(listed):
            df = Fields(raw, qf.file, qf.path(f"demonstrators[{i}]"))
            demonstrators.append(Demonstrator(
                name=df.string("name"), epsilon=df.number("epsilon", lo=0.0, hi=1.0),
                quality_episodes=q_eps))
            df.done()
        if not demonstrators or len(demonstrators) > len(DEMONSTRATOR_STREAMS):
            raise qf.error("demonstrators", f"1 to {len(DEMONSTRATOR_STREAMS)} demonstrators",
                           len(demonstrators))
        names = [d.name for d in demonstrators]
        if len(set(names)) != len(names) or any("@" in n or "/" in n for n in names):
            raise qf.error("demonstrators", "distinct names without '@' or '/'", names)
        qf.done()
    new_task = parse_scenario(rf, "new_task", catalogue) if rf.has("new_task") else None
    if new_task is not None and new_task.name == pre.scenario.name:
        raise rf.error("new_task", f"a scenario other than the fine-tuning one "
                       f"({pre.scenario.name})", new_task.name)
    reason = rf.string("reason", None)
    rf.done()

    regimes: list[Regime] = []
    streams = iter(REGIME_STREAMS)
    needed = len(demonstrators) * len(arms) + (len(arms) + 1 if new_task else 0)
    if needed > len(REGIME_STREAMS):
        raise f.error("regimes", f"at most {len(REGIME_STREAMS)} (regime, arm) runs per seed "
                      f"(harness.seeds.REGIME_STREAMS)", needed)

    def variant(name: str, regime: str) -> Arm:
        base = pre.arm(name)
        return replace(base, name=f"{name}@{regime}", stream=next(streams))

    for d in demonstrators:
        regimes.append(Regime(name=d.name, axis=QUALITY, scenario=pre.scenario,
                              dataset=d.name, arms=tuple(variant(a, d.name) for a in arms),
                              demonstrator=d))
    if new_task is not None:
        regimes.append(Regime(name=new_task.name, axis=TASK, scenario=new_task, dataset="study",
                              arms=(variant(ArmName.BASELINE, new_task.name),
                                    *(variant(a, new_task.name) for a in arms))))
    return RegimesSpec(seeds=tuple(seeds), arms=arms, demonstrators=tuple(demonstrators),
                       quality_episodes=episodes, new_task=new_task, regimes=tuple(regimes),
                       reason=reason)
