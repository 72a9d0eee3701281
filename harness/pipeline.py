"""The study's stages wired to the store, for fixtures and the CLI (thin; no algorithms here)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from harness.datasets.inspect import inspect_dataset
from harness.datasets.stage import record_dataset
from harness.expert import promote, require_approved, train_expert_seed
from harness.spec.study import DatasetSpec, ExpertSpec, Study
from harness.store import Artifact, Busy, Store
from harness.study import shift_matrix, summarise, train_arm
from harness.train import ProgressFn


def build_many(store: Store, keys: list, make: Callable[[object], Artifact],
               idle: Callable[[], bool] | None = None) -> list[Artifact]:
    """Build or reuse one artefact per key, skipping those another process is building so
    that this worker never idles while work it could do remains. When everything left is
    being built elsewhere, ``idle`` may do independent work (it returns whether it did any)
    before this worker waits."""
    done: dict = {}
    pending = list(keys)
    while pending:
        progressed = False
        for key in list(pending):
            try:
                with store.nonblocking():
                    done[key] = make(key)
            except Busy:
                continue
            pending.remove(key)
            progressed = True
        if pending and not progressed and not (idle is not None and idle()):
            key = pending.pop(0)
            done[key] = make(key)  # everything left is being built elsewhere: wait for one
    return [done[k] for k in keys]


class Backlog:
    """Work that depends on nothing upstream (the baseline arm runs), done by a worker that
    would otherwise wait for another worker's artefact."""

    def __init__(self, store: Store, tasks: list[Callable[[], Artifact]]):
        self.store = store
        self.tasks = list(tasks)

    def __call__(self) -> bool:
        """Build one not-yet-built task; True when a build happened."""
        for task in list(self.tasks):
            started = time.time()
            try:
                with self.store.nonblocking():
                    art = task()
            except Busy:
                continue  # another worker is on it
            self.tasks.remove(task)
            if datetime.fromisoformat(art.manifest["created"]).timestamp() >= started - 1:
                return True
        return False


def baseline_backlog(study: Study, store: Store, progress=None) -> Backlog:
    spec = study.pretraining
    arm = spec.arm("baseline")

    def task(seed: int) -> Callable[[], Artifact]:
        reporter = progress.for_run(f"baseline seed {seed}") if progress else None
        return lambda: train_arm(spec, study.expert.ppo, arm, seed, store, progress=reporter)

    return Backlog(store, [task(s) for s in spec.seeds])


class ExpertPipeline:
    """Per-seed expert runs and the promotion decision, built once and reused."""

    def __init__(self, spec: ExpertSpec, store: Store, progress: ProgressFn | None = None,
                 idle: Callable[[], bool] | None = None):
        self.spec = spec
        self.store = store
        self.progress = progress
        self.idle = idle
        self._runs: dict[int, Artifact] = {}
        self._expert: Artifact | None = None

    def run(self, seed: int) -> Artifact:
        if seed not in self.spec.seeds:
            raise KeyError(f"seed {seed} is not in expert.seeds {list(self.spec.seeds)}")
        if seed not in self._runs:
            self._runs[seed] = build_many(self.store, [seed], self._train, self.idle)[0]
        return self._runs[seed]

    def _train(self, seed: int) -> Artifact:
        reporter = self.progress.for_run(f"expert seed {seed}") if self.progress else None
        return train_expert_seed(self.spec, seed, self.store, reporter)

    def runs(self) -> list[Artifact]:
        missing = [s for s in self.spec.seeds if s not in self._runs]
        for seed, art in zip(missing, build_many(self.store, missing, self._train, self.idle),
                             strict=True):
            self._runs[seed] = art
        return [self._runs[s] for s in self.spec.seeds]

    def expert(self) -> Artifact:
        if self._expert is None:
            self._expert = promote(self.spec, self.runs(), self.store)
        return self._expert

    def approved(self) -> Artifact:
        return require_approved(self.expert())


class DatasetPipeline:
    """The expert dataset, recorded once from the approved expert, plus playback/analytics."""

    def __init__(self, spec: DatasetSpec, experts: ExpertPipeline, store: Store):
        self.spec = spec
        self.experts = experts
        self.store = store
        self._dataset: Artifact | None = None
        self._inspection: Artifact | None = None

    def dataset(self) -> Artifact:
        if self._dataset is None:
            self._dataset = record_dataset(self.spec, self.experts.approved(), self.store)
        return self._dataset

    def inspection(self) -> Artifact:
        """Playback GIFs, replay checks and analytics of the dataset (its own artefact)."""
        if self._inspection is None:
            self._inspection = inspect_dataset(self.dataset(), self.spec.playback_episodes,
                                               self.store)
        return self._inspection


class PretrainPipeline:
    """Matched-seed runs of every arm, their comparison, and the distribution-shift check."""

    def __init__(self, study: Study, datasets: DatasetPipeline, store: Store,
                 progress=None):
        self.study = study
        self.spec = study.pretraining
        self.ppo = study.expert.ppo
        self.datasets = datasets
        self.store = store
        self.progress = progress
        self._runs: dict[tuple[str, int], Artifact] = {}
        self._comparison: Artifact | None = None
        self._shift: Artifact | None = None
        self._shifted_dataset: Artifact | None = None

    def run(self, arm: str, seed: int) -> Artifact:
        key = (arm, seed)
        if key not in self._runs:
            a = self.spec.arm(arm)
            dataset = self.datasets.dataset() if a.pretrained else None
            reporter = self.progress.for_run(f"{arm} seed {seed}") if self.progress else None
            self._runs[key] = train_arm(self.spec, self.ppo, a, seed, self.store, dataset,
                                        progress=reporter)
        return self._runs[key]

    def comparison(self) -> Artifact:
        if self._comparison is None:
            keys = [(a.name, s) for s in self.spec.seeds for a in self.spec.arms]
            built = dict(zip(keys, build_many(self.store, keys, lambda k: self.run(*k)),
                             strict=True))
            runs = {a.name: [built[(a.name, s)] for s in self.spec.seeds]
                    for a in self.spec.arms}
            self._comparison = summarise(self.spec, runs, self.datasets.dataset(),
                                         self.datasets.experts.approved(), self.store)
        return self._comparison

    def shifted_dataset(self) -> Artifact:
        if self._shifted_dataset is None:
            spec = replace(self.study.dataset, scenarios=self.study.shift.dataset_scenarios,
                           stream="shift_dataset")
            self._shifted_dataset = record_dataset(spec, self.datasets.experts.approved(),
                                                   self.store)
        return self._shifted_dataset

    def shifted_run(self, seed: int) -> Artifact:
        key = ("shifted", seed)
        if key not in self._runs:
            reporter = self.progress.for_run(f"shifted seed {seed}") if self.progress else None
            self._runs[key] = train_arm(self.spec, self.ppo, self.spec.arm("pretrained"), seed,
                                        self.store, self.shifted_dataset(),
                                        budget=self.study.shift.budget, progress=reporter,
                                        stream="shifted")
        return self._runs[key]

    def shift(self) -> Artifact:
        if self._shift is None:
            sh = self.study.shift
            if sh.budget != self.spec.budget:
                raise ValueError("shift.budget must equal pretraining.budget so that its "
                                 "baseline and matched runs are the comparison's own")
            keys = [(arm, s) for s in sh.seeds for arm in ("baseline", "pretrained", "shifted")]

            def make(key):
                arm, seed = key
                return self.shifted_run(seed) if arm == "shifted" else self.run(arm, seed)

            built = dict(zip(keys, build_many(self.store, keys, make), strict=True))
            self._shift = shift_matrix(
                sh, self.spec, self.ppo, [built[("baseline", s)] for s in sh.seeds],
                [built[("pretrained", s)] for s in sh.seeds],
                [built[("shifted", s)] for s in sh.seeds], self.datasets.dataset(),
                self.shifted_dataset(), self.store)
        return self._shift
