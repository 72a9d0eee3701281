"""The dataset stage in the pipeline: the datasets the approved expert records (the study's,
and the shift experiment's two when it is declared), and the study dataset's inspection."""

from __future__ import annotations

from dataclasses import replace

from harness.core.graph import Need, Node, Section, Stage
from harness.names import DatasetName
from harness.stages.dataset.build import record_dataset
from harness.stages.dataset.config import DatasetSpec
from harness.stages.dataset.inspect import inspect_dataset
from harness.stages.dataset.report import dataset_answers, dataset_section
from harness.stages.expert.build import require_approved


def dataset_kinds(study) -> tuple[str, ...]:
    """The datasets a study records: its own, and the shift experiment's two when declared."""
    return tuple(DatasetName) if study.shift is not None else (DatasetName.STUDY,)


def dataset_spec(study, which: str) -> DatasetSpec:
    """The study's dataset ("study"), or one of the shift experiment's two ("shifted":
    ``shift.dataset_scenarios``; "matched": the fine-tuning scenario), each recorded by the
    same expert with the same settings, ``shift.episodes_per_dataset`` episodes from its own
    stream of the recording purpose."""
    if which == DatasetName.STUDY:
        return study.dataset
    sh = study.shift
    if sh is None:
        raise KeyError(f"no dataset '{which}': the spec declares no shift experiment")
    sources = {DatasetName.SHIFTED: (sh.dataset_scenarios, "shift_dataset"),
               DatasetName.MATCHED: ((study.pretraining.scenario,), "shift_matched_dataset")}
    if which not in sources:
        raise KeyError(f"no dataset '{which}' (study, shifted or matched)")
    scenarios, stream = sources[which]
    return replace(study.dataset, scenarios=scenarios, mix=None, stream=stream,
                   episodes=sh.episodes_per_dataset, min_episodes=sh.episodes_per_dataset)


def _record(p, which: str, expert):
    return record_dataset(dataset_spec(p.spec, which), require_approved(expert), p.store)


def _inspect(p, _key, dataset):
    return inspect_dataset(dataset, p.spec.dataset.playback_episodes, p.store)


STAGE = Stage(
    "dataset",
    nodes=(
        Node("dataset", _record, keys=dataset_kinds,
             inputs=lambda s, _k: {"expert": Need("expert")}, remote=True),
        Node("dataset_inspection", _inspect,
             inputs=lambda s, _k: {"dataset": Need("dataset", DatasetName.STUDY)}),
    ),
    section=Section("dataset", dataset_section, "sections/dataset.html.j2",
                    dataset_answers),
)
