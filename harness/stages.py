"""The study's stages wired to the store and the scheduler, for fixtures and the CLI.

Each stage asks the stage modules (:mod:`harness.expert`, :mod:`harness.datasets.stage`,
:mod:`harness.arm_runs`, :mod:`harness.comparison`, :mod:`harness.shift`) for its artefacts and
keeps what it got for the session; :class:`~harness.scheduling.Scheduler` decides the order of
builds. :func:`study_stages` builds the three stages of one study and registers the builds that
depend on nothing upstream (the baseline runs) as independent work for the scheduler.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace

from harness.arm_runs import train_arm
from harness.comparison import summarise
from harness.datasets.inspect import inspect_dataset
from harness.datasets.stage import record_dataset
from harness.expert import promote, require_approved, train_expert_seed
from harness.progress import ProgressReporter
from harness.scheduling import Scheduler
from harness.shift import shift_matrix
from harness.spec.study import Arm, Study
from harness.store import Artifact, Store

log = logging.getLogger("harness.stages")


class ExpertStage:
    """Per-seed expert runs and the promotion decision."""

    def __init__(self, study: Study, store: Store, scheduler: Scheduler,
                 progress: ProgressReporter | None = None):
        self.spec = study.expert
        self.store = store
        self.scheduler = scheduler
        self.progress = progress
        self._runs: dict[int, Artifact] = {}
        self._expert: Artifact | None = None

    def run(self, seed: int) -> Artifact:
        if seed not in self.spec.seeds:
            raise KeyError(f"seed {seed} is not in expert.seeds {list(self.spec.seeds)}")
        if seed not in self._runs:
            self._runs[seed] = self.scheduler.build(seed, self._train)
        return self._runs[seed]

    def _train(self, seed: int) -> Artifact:
        reporter = self.progress.for_run(f"expert seed {seed}") if self.progress else None
        return train_expert_seed(self.spec, seed, self.store, reporter)

    def runs(self) -> list[Artifact]:
        missing = [s for s in self.spec.seeds if s not in self._runs]
        for seed, art in zip(missing, self.scheduler.build_many(missing, self._train),
                             strict=True):
            self._runs[seed] = art
        return [self._runs[s] for s in self.spec.seeds]

    def expert(self) -> Artifact:
        if self._expert is None:
            self._expert = promote(self.spec, self.runs(), self.store)
        return self._expert

    def approved(self) -> Artifact:
        return require_approved(self.expert())


class DatasetStage:
    """The datasets recorded from the approved expert, and the study dataset's inspection."""

    def __init__(self, study: Study, experts: ExpertStage, store: Store):
        self.spec = study.dataset
        self.shift_scenarios = study.shift.dataset_scenarios
        self.experts = experts
        self.store = store
        self._datasets: dict[str, Artifact] = {}
        self._inspection: Artifact | None = None

    def dataset(self, which: str = "study") -> Artifact:
        """The study's dataset ("study"), or the shift experiment's ("shift": the same expert
        and recording settings on ``shift.dataset_scenarios``, its own episode seeds)."""
        if which not in self._datasets:
            if which == "study":
                spec = self.spec
            elif which == "shift":
                spec = replace(self.spec, scenarios=self.shift_scenarios, stream="shift_dataset")
            else:
                raise KeyError(f"no dataset '{which}' (study or shift)")
            self._datasets[which] = record_dataset(spec, self.experts.approved(), self.store)
        return self._datasets[which]

    def inspection(self) -> Artifact:
        """Playback GIFs, replay checks and analytics of the study dataset."""
        if self._inspection is None:
            self._inspection = inspect_dataset(self.dataset(), self.spec.playback_episodes,
                                               self.store)
        return self._inspection


class PretrainingStage:
    """Matched-seed runs of every arm (the shift experiment's arm included), their comparison,
    and the distribution-shift check."""

    def __init__(self, study: Study, datasets: DatasetStage, store: Store, scheduler: Scheduler,
                 progress: ProgressReporter | None = None):
        self.study = study
        self.spec = study.pretraining
        self.ppo = study.expert.ppo
        self.datasets = datasets
        self.store = store
        self.scheduler = scheduler
        self.progress = progress
        self._runs: dict[tuple[str, int], Artifact] = {}
        self._comparison: Artifact | None = None
        self._shift: Artifact | None = None

    def arms(self) -> tuple[Arm, ...]:
        """Every arm of the stage: the comparison's, then the shift experiment's."""
        return (*self.spec.arms, self.study.shift.arm)

    def arm(self, name: str) -> Arm:
        for a in self.arms():
            if a.name == name:
                return a
        raise KeyError(f"no arm '{name}' (arms: {[a.name for a in self.arms()]})")

    def run(self, arm: str, seed: int) -> Artifact:
        key = (arm, seed)
        if key not in self._runs:
            a = self.arm(arm)
            dataset = self.datasets.dataset(a.dataset) if a.pretrained else None
            reporter = self.progress.for_run(f"{arm} seed {seed}") if self.progress else None
            self._runs[key] = train_arm(self.spec, self.ppo, a, seed, self.store, dataset,
                                        progress=reporter)
        return self._runs[key]

    def runs(self, keys: list[tuple[str, int]]) -> dict[tuple[str, int], Artifact]:
        built = self.scheduler.build_many(keys, lambda k: self.run(*k))
        return dict(zip(keys, built, strict=True))

    def comparison(self) -> Artifact:
        if self._comparison is None:
            built = self.runs([(a.name, s) for s in self.spec.seeds for a in self.spec.arms])
            runs = {a.name: [built[(a.name, s)] for s in self.spec.seeds]
                    for a in self.spec.arms}
            self._comparison = summarise(self.spec, runs, self.datasets.dataset(),
                                         self.datasets.experts.approved(), self.store)
        return self._comparison

    def shift(self) -> Artifact:
        if self._shift is None:
            sh = self.study.shift
            names = ("baseline", "pretrained", sh.arm.name)
            built = self.runs([(arm, s) for s in sh.seeds for arm in names])
            baseline, matched, shifted = ([built[(arm, s)] for s in sh.seeds] for arm in names)
            self._shift = shift_matrix(sh, self.spec, baseline, matched, shifted,
                                       self.datasets.dataset(), self.datasets.dataset("shift"),
                                       self.store)
        return self._shift


def arm_matrix(study: Study) -> list[tuple[str, int]]:
    """(arm, seed) of every run of the pre-training stage, the shift experiment's arm included,
    seed-major so that workers finish whole seeds early."""
    pairs = []
    for s in study.pretraining.seeds:
        pairs += [(a.name, s) for a in study.pretraining.arms]
        if s in study.shift.seeds:
            pairs.append((study.shift.arm.name, s))
    return pairs


@dataclass(frozen=True)
class StudyStages:
    expert: ExpertStage
    dataset: DatasetStage
    pretraining: PretrainingStage
    scheduler: Scheduler


def study_stages(study: Study, store: Store, progress: ProgressReporter | None = None
                 ) -> StudyStages:
    """The stages of one study on one store, sharing one scheduler. The runs of arms that
    depend on nothing upstream (the baseline) are the scheduler's independent work."""
    scheduler = Scheduler(store)
    experts = ExpertStage(study, store, scheduler, progress)
    datasets = DatasetStage(study, experts, store)
    pretraining = PretrainingStage(study, datasets, store, scheduler, progress)
    scheduler.add_independent([
        (lambda a=a.name, s=s: pretraining.run(a, s))
        for s in study.pretraining.seeds for a in study.pretraining.arms if not a.pretrained])
    return StudyStages(experts, datasets, pretraining, scheduler)


def build_ahead(stages: StudyStages, study: Study) -> list[threading.Thread]:
    """Ask, each from its own thread, for every build of the study at once, for an executor
    that runs builds concurrently elsewhere (a Ray cluster): the expert seeds and the
    baseline runs start now, each dataset as soon as the expert is approved, each pre-trained
    run as soon as its dataset exists. The threads only wait (the store's locks make the
    tests' own requests wait for or reuse what they build); a failure here is left for the
    test that asks for the same artefact to report."""
    jobs = [(f"expert seed {s}", lambda s=s: stages.expert.run(s)) for s in study.expert.seeds]
    pretrained = {a.name: a.pretrained for a in stages.pretraining.arms()}
    pairs = arm_matrix(study)
    jobs += [(f"{a} seed {s}", lambda a=a, s=s: stages.pretraining.run(a, s))
             for a, s in pairs if not pretrained[a]]
    jobs += [(f"{w} dataset", lambda w=w: stages.dataset.dataset(w)) for w in ("study", "shift")]
    jobs += [(f"{a} seed {s}", lambda a=a, s=s: stages.pretraining.run(a, s))
             for a, s in pairs if pretrained[a]]
    threads = [threading.Thread(target=_ahead, args=job, daemon=True, name=f"ahead {job[0]}")
               for job in jobs]
    for t in threads:
        t.start()
    return threads


def _ahead(name: str, job) -> None:
    try:
        job()
    except Exception as exc:  # the test asking for it raises it with its context
        log.info("build ahead of %s stopped: %r", name, exc)
