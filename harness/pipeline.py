"""The study's stages wired to the store and the scheduler, for fixtures and the CLI.

Each stage asks its build (:mod:`harness.stages`) for its artefacts and
keeps what it got for the session; :class:`~harness.core.scheduling.Scheduler` decides the order of
builds. :func:`study_stages` builds the three stages of one study and registers the builds that
depend on nothing upstream (the baseline runs) as independent work for the scheduler.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from harness.core.progress import ProgressReporter
from harness.core.scheduling import Scheduler
from harness.core.store import Artifact, Store, reporting_under_way
from harness.names import ArmName, DatasetName
from harness.spec.study import Study
from harness.stages.comparison.build import summarise
from harness.stages.dataset.build import record_dataset
from harness.stages.dataset.config import DatasetSpec
from harness.stages.dataset.inspect import inspect_dataset
from harness.stages.dataset.subset import subset_dataset
from harness.stages.expert.build import promote, require_approved, train_expert_seed
from harness.stages.pretraining.build import train_arm
from harness.stages.pretraining.config import Arm
from harness.stages.shift.build import shift_matrix, shift_run
from harness.stages.sizes.build import summarise_sizes

log = logging.getLogger("harness.pipeline")

REMOTE_KINDS = ("expert_run", "arm_run", "dataset", "shift_run")
"""The expensive builds (expert seed runs, arm runs with the shift experiment's arms, dataset
recording, and the shift experiment's evaluation of every checkpoint of a run on every family,
~35 s each in the full profile): what a Ray executor sends to the cluster. The rest
(promotion, inspection, comparison, shift matrix, summaries) is cheap and reads the driver's
store: it runs in the driver."""
READ_FROM_INPUTS = {"arm_run": ("checkpoints",)}
"""Of the sub-folders the store's quick verification skips, those a remote build reads from an
input of this kind, so they travel with it: an arm run's checkpoints (its shift evaluation
plays every one of them). The rest (TensorBoard logs) stays on the driver."""


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
        self.study = study
        self.experts = experts
        self.store = store
        self._datasets: dict[str, Artifact] = {}
        self._subsets: dict[int, Artifact] = {}
        self._inspection: Artifact | None = None

    def dataset(self, which: str = "study") -> Artifact:
        """The study's dataset ("study"), or one of the shift experiment's two ("shifted":
        ``shift.dataset_scenarios``; "matched": the fine-tuning scenario), each recorded by the
        same expert with the same settings, ``shift.episodes_per_dataset`` episodes from its own
        stream of the recording purpose."""
        if which not in self._datasets:
            self._datasets[which] = record_dataset(self.dataset_spec(which),
                                                   self.experts.approved(), self.store)
        return self._datasets[which]

    def dataset_spec(self, which: str) -> DatasetSpec:
        if which == "study":
            return self.spec
        sh = self.study.shift
        if sh is None:
            raise KeyError(f"no dataset '{which}': the spec declares no shift experiment")
        sources = {DatasetName.SHIFTED: (sh.dataset_scenarios, "shift_dataset"),
                   DatasetName.MATCHED: ((self.study.pretraining.scenario,),
                                         "shift_matched_dataset")}
        if which not in sources:
            raise KeyError(f"no dataset '{which}' (study, shifted or matched)")
        scenarios, stream = sources[which]
        return replace(self.spec, scenarios=scenarios, mix=None, stream=stream,
                       episodes=sh.episodes_per_dataset, min_episodes=sh.episodes_per_dataset)

    def subset(self, episodes: int) -> Artifact:
        """The first ``episodes`` episodes of the study dataset (the size study's datasets);
        the full size is the study dataset itself."""
        if episodes == self.spec.episodes:
            return self.dataset()
        if episodes not in self._subsets:
            self._subsets[episodes] = subset_dataset(self.dataset(), episodes, self.store)
        return self._subsets[episodes]

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
        self._shift_runs: dict[tuple[str, int], Artifact] = {}
        self._sized: dict[tuple[str, int, int], Artifact] = {}
        self._size_study: Artifact | None = None

    def arms(self) -> tuple[Arm, ...]:
        """Every arm of the stage: the comparison's, then the shift experiment's two."""
        shift = self.study.shift
        return (*self.spec.arms, *(shift.arms if shift is not None else ()))

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

    def sized_run(self, arm: str, episodes: int, seed: int) -> Artifact:
        """Pre-trained ``arm`` of seed ``seed`` on the dataset of ``episodes`` episodes (the
        full size is the comparison's own run)."""
        if episodes == self.study.dataset.episodes:
            return self.run(arm, seed)
        key = (arm, episodes, seed)
        if key not in self._sized:
            a = self.spec.sized_arm(arm, episodes)
            reporter = self.progress.for_run(f"{a.name} seed {seed}") if self.progress else None
            self._sized[key] = train_arm(self.spec, self.ppo, a, seed, self.store,
                                         self.datasets.subset(episodes), progress=reporter)
        return self._sized[key]

    def size_study(self) -> Artifact:
        """The ``size_study`` artefact over every declared size and the full dataset."""
        if self._size_study is None:
            sz = self.spec.sizes
            if sz is None:
                raise KeyError("the spec declares no pretraining.sizes")
            full = self.study.dataset.episodes
            pretrained = [a.name for a in self.spec.arms if a.pretrained]
            keys = [(a, n, s) for n in sz.sizes for s in sz.seeds for a in pretrained]
            built = dict(zip(keys, self.scheduler.build_many(
                keys, lambda k: self.sized_run(*k)), strict=True))
            full_runs = self.runs([(a, s) for s in self.spec.seeds
                                   for a in (*pretrained, ArmName.BASELINE)])
            sized = {n: {a: {s: built[(a, n, s)] for s in sz.seeds} for a in pretrained}
                     for n in sz.sizes}
            sized[full] = {a: {s: full_runs[(a, s)] for s in self.spec.seeds}
                           for a in pretrained}
            baseline = {s: full_runs[(ArmName.BASELINE, s)] for s in self.spec.seeds}
            datasets = {n: self.datasets.subset(n) for n in (*sz.sizes, full)}
            self._size_study = summarise_sizes(self.spec, baseline, sized, datasets,
                                               self.store)
        return self._size_study

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

    def shift_evaluation(self, arm: str, seed: int) -> Artifact:
        """The ``shift_run`` of (arm, seed): that run's checkpoints and policies on every
        family of ``shift.eval_scenarios``."""
        key = (arm, seed)
        if key not in self._shift_runs:
            self._shift_runs[key] = shift_run(self.study.shift, self.spec, self.run(arm, seed),
                                              self.store)
        return self._shift_runs[key]

    def shift(self) -> Artifact:
        """The shift experiment: the shifted-data and matched-data arms and the baseline on
        ``shift.seeds``, evaluated on every family of ``shift.eval_scenarios``."""
        if self._shift is None:
            sh = self.study.shift
            if sh is None:
                raise KeyError("the spec declares no shift experiment")
            names = (ArmName.BASELINE, sh.shifted.name, sh.matched.name)
            keys = [(arm, s) for s in sh.seeds for arm in names]
            evaluated = dict(zip(keys, self.scheduler.build_many(
                keys, lambda k: self.shift_evaluation(*k)), strict=True))
            evaluations = {arm: [evaluated[(arm, s)] for s in sh.seeds] for arm in names}
            self._shift = shift_matrix(sh, self.spec, evaluations,
                                       {w: self.datasets.dataset(w)
                                        for w in (DatasetName.SHIFTED, DatasetName.MATCHED)},
                                       self.store)
        return self._shift


def size_matrix(study: Study) -> list[tuple[str, int, int]]:
    """(arm, episodes, seed) of every run of the size study below the full dataset, smallest
    sizes first."""
    sz = study.pretraining.sizes
    if sz is None:
        return []
    arms = [a.name for a in study.pretraining.arms if a.pretrained]
    return [(a, n, s) for n in sz.sizes for s in sz.seeds for a in arms]


def dataset_kinds(study: Study) -> tuple[str, ...]:
    """The datasets a study records: its own, and the shift experiment's two when declared."""
    return tuple(DatasetName) if study.shift is not None else (DatasetName.STUDY,)


def arm_matrix(study: Study) -> list[tuple[str, int]]:
    """(arm, seed) of every run of the pre-training stage, the shift experiment's arms included,
    seed-major so that workers finish whole seeds early."""
    pairs = []
    for s in study.pretraining.seeds:
        pairs += [(a.name, s) for a in study.pretraining.arms]
        if study.shift is not None and s in study.shift.seeds:
            pairs += [(a.name, s) for a in study.shift.arms]
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
    if not store.executor.concurrent:  # with Ray, build_ahead submits them in their turn
        scheduler.add_independent([
            (lambda a=a.name, s=s: pretraining.run(a, s))
            for s in study.pretraining.seeds for a in study.pretraining.arms
            if not a.pretrained])
    return StudyStages(experts, datasets, pretraining, scheduler)


WAVE_WAIT = 60.0
"""Seconds :func:`build_ahead` waits for a wave's builds to be under way before it starts the
next wave anyway (a job stuck upstream must not hold the rest back)."""


def build_ahead(stages: StudyStages, study: Study) -> threading.Thread:
    """Ask, each from its own thread, for every build of the study, for an executor that runs
    builds concurrently elsewhere (a Ray cluster). The threads only wait (the store's locks make
    the tests' own requests wait for or reuse what they build); a failure here is left for the
    test that asks for the same artefact to report.

    Order matters, because the cluster runs what it is given first come, first served: the
    expert seeds are the critical path (every dataset and pre-trained run waits for the
    promotion), so they are submitted first, in a wave of their own, and only once each is
    under way (submitted, or being built by someone else) do the others follow: the baseline
    runs (which depend on nothing), the datasets, each pre-trained run (the size study's
    included) as soon as its dataset exists, and each shift evaluation as soon as its run does.
    Submitted together, the expert seeds had raced the ten baseline runs for the queue: on
    the full profile the last seed started after 430 s instead of ~205 s, and the whole study
    waited for it. Returns the thread that starts the waves."""
    experts = [(f"expert seed {s}", lambda s=s: stages.expert.run(s)) for s in study.expert.seeds]
    pretrained = {a.name: a.pretrained for a in stages.pretraining.arms()}
    pairs = arm_matrix(study)
    rest = [(f"{a} seed {s}", lambda a=a, s=s: stages.pretraining.run(a, s))
            for a, s in pairs if not pretrained[a]]
    rest += [(f"{w} dataset", lambda w=w: stages.dataset.dataset(w))
             for w in dataset_kinds(study)]
    rest += [(f"{a} seed {s}", lambda a=a, s=s: stages.pretraining.run(a, s))
             for a, s in pairs if pretrained[a]]
    rest += [(f"{a} on {n} episodes seed {s}",
              lambda a=a, n=n, s=s: stages.pretraining.sized_run(a, n, s))
             for a, n, s in size_matrix(study)]  # the size study, as its subsets appear
    sh = study.shift
    rest += [(f"shift evaluation {a} seed {s}",
              lambda a=a, s=s: stages.pretraining.shift_evaluation(a, s))
             for s in (sh.seeds if sh is not None else ())
             for a in (ArmName.BASELINE, sh.shifted.name, sh.matched.name)]
    coordinator = threading.Thread(target=_waves, args=([experts, rest],), daemon=True,
                                   name="ahead")
    coordinator.start()
    return coordinator


def _waves(waves: list[list[tuple[str, Callable[[], object]]]]) -> None:
    for wave in waves:
        for event in [_start_ahead(name, job) for name, job in wave]:
            event.wait(WAVE_WAIT)


def _start_ahead(name: str, job: Callable[[], object]) -> threading.Event:
    """Run ``job`` in a thread of its own; the event is set once its first build is under way
    (or the job has returned)."""
    event = threading.Event()
    threading.Thread(target=_ahead, args=(name, job, event), daemon=True,
                     name=f"ahead {name}").start()
    return event


def _ahead(name: str, job: Callable[[], object], event: threading.Event) -> None:
    try:
        with reporting_under_way(lambda _id: event.set()):
            job()
    except Exception as exc:  # the test asking for it raises it with its context
        log.info("build ahead of %s stopped: %r", name, exc)
    finally:
        event.set()
