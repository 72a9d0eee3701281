"""The size study in the pipeline: nested subsets of the study dataset, each pre-trained arm on
each (below the full size, whose runs are the comparison's), and their summary."""

from __future__ import annotations

from harness.core.graph import Need, Node, Section, Stage
from harness.names import ArmName, DatasetName
from harness.stages.dataset.subset import subset_dataset
from harness.stages.pretraining.build import train_arm
from harness.stages.sizes.build import summarise_sizes
from harness.stages.sizes.report import size_answers, size_section
from harness.stages.target.stage import target_node


def _pretrained(study) -> list[str]:
    return [a.name for a in study.pretraining.arms if a.pretrained]


def size_matrix(study) -> list[tuple[str, int, int]]:
    """(arm, episodes, seed) of every run of the size study below the full dataset, smallest
    sizes first."""
    sz = study.pretraining.sizes
    if sz is None:
        return []
    return [(a, n, s) for n in sz.sizes for s in sz.seeds for a in _pretrained(study)]


def _subset(p, episodes: int, dataset):
    return subset_dataset(dataset, episodes, p.store)


def _train(p, key, dataset):
    name, episodes, seed = key
    a = p.spec.pretraining.sized_arm(name, episodes)
    return train_arm(p.spec.pretraining, p.spec.expert.ppo, a, seed, p.store, dataset,
                     progress=p.reporter(f"{a.name} seed {seed}"))


SIZED_TARGET = target_node("sized_target", "sized_run", size_matrix)


def _study_inputs(study, _key):
    pre = study.pretraining
    full = study.dataset.episodes
    confirmed = pre.confirmation is not None
    every = (*_pretrained(study), ArmName.BASELINE)
    return {"sized": {k: Need("sized_run", k) for k in size_matrix(study)},
            "full": {(a, s): Need("arm_run", (a, s)) for s in pre.seeds for a in every},
            "sized_targets": {k: Need("sized_target", k) for k in SIZED_TARGET.keys(study)},
            "full_targets": {(a, s): Need("arm_target", (a, s)) for s in pre.seeds
                             for a in every} if confirmed else {},
            "subsets": {n: Need("dataset_subset", n) for n in pre.sizes.sizes},
            "full_size": {full: Need("dataset", DatasetName.STUDY)}}


def _summarise(p, _key, sized, full, sized_targets, full_targets, subsets, full_size):
    pre = p.spec.pretraining
    sz = pre.sizes
    n_full = p.spec.dataset.episodes
    pretrained = _pretrained(p.spec)
    runs = {n: {a: {s: sized[(a, n, s)] for s in sz.seeds} for a in pretrained}
            for n in sz.sizes}
    runs[n_full] = {a: {s: full[(a, s)] for s in pre.seeds} for a in pretrained}
    baseline = {s: full[(ArmName.BASELINE, s)] for s in pre.seeds}
    targets = None
    if full_targets:  # T confirmed as the comparison's (the statistics of SC-003)
        targets = {n: {a: {s: sized_targets[(a, n, s)] for s in sz.seeds} for a in pretrained}
                   for n in sz.sizes}
        targets[n_full] = {a: {s: full_targets[(a, s)] for s in pre.seeds} for a in pretrained}
        targets[ArmName.BASELINE] = {s: full_targets[(ArmName.BASELINE, s)] for s in pre.seeds}
    return summarise_sizes(pre, baseline, runs, {**subsets, **full_size}, p.store, targets)


STAGE = Stage(
    "sizes",
    nodes=(
        Node("dataset_subset", _subset,
             keys=lambda s: s.pretraining.sizes.sizes if s.pretraining.sizes else (),
             inputs=lambda s, _k: {"dataset": Need("dataset", DatasetName.STUDY)}),
        Node("sized_run", _train, kind="arm_run", keys=size_matrix,
             inputs=lambda s, k: {"dataset": Need("dataset_subset", k[1])}, param="size_run",
             ids=lambda k: f"{k[0]}-{k[1]}eps-seed{k[2]}", remote=True),
        SIZED_TARGET,
        Node("size_study", _summarise,
             keys=lambda s: (None,) if s.pretraining.sizes is not None else (),
             inputs=_study_inputs),
    ),
    section=Section("sizes", size_section, "sections/sizes.html.j2",
                    size_answers),
)
