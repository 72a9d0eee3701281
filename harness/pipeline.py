"""The study's stages wired to the store, for fixtures and the CLI (thin; no algorithms here)."""

from __future__ import annotations

from harness.datasets.inspect import inspect_dataset
from harness.datasets.stage import record_dataset
from harness.expert import promote, require_approved, train_expert_seed
from harness.spec.study import DatasetSpec, ExpertSpec
from harness.store import Artifact, Store
from harness.train import ProgressFn


class ExpertPipeline:
    """Per-seed expert runs and the promotion decision, built once and reused."""

    def __init__(self, spec: ExpertSpec, store: Store, progress: ProgressFn | None = None):
        self.spec = spec
        self.store = store
        self.progress = progress
        self._runs: dict[int, Artifact] = {}
        self._expert: Artifact | None = None

    def run(self, seed: int) -> Artifact:
        if seed not in self.spec.seeds:
            raise KeyError(f"seed {seed} is not in expert.seeds {list(self.spec.seeds)}")
        if seed not in self._runs:
            reporter = self.progress.for_run(f"expert seed {seed}") if self.progress else None
            self._runs[seed] = train_expert_seed(self.spec, seed, self.store, reporter)
        return self._runs[seed]

    def runs(self) -> list[Artifact]:
        return [self.run(s) for s in self.spec.seeds]

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
