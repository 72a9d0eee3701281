"""The pre-training stage in the pipeline: one run per (arm, seed), the shift experiment's arms
included, each pre-trained arm on the dataset its arm names."""

from __future__ import annotations

from harness.core.graph import Need, Node, Stage
from harness.stages.pretraining.build import train_arm
from harness.stages.pretraining.config import Arm


def arms(study) -> tuple[Arm, ...]:
    """Every arm of the stage: the comparison's, then the shift experiment's two."""
    shift = study.shift
    return (*study.pretraining.arms, *(shift.arms if shift is not None else ()))


def arm(study, name: str) -> Arm:
    for a in arms(study):
        if a.name == name:
            return a
    raise KeyError(f"no arm '{name}' (arms: {[a.name for a in arms(study)]})")


def arm_matrix(study) -> list[tuple[str, int]]:
    """(arm, seed) of every run of the pre-training stage, the shift experiment's arms included,
    seed-major so that workers finish whole seeds early."""
    pairs = []
    for s in study.pretraining.seeds:
        pairs += [(a.name, s) for a in study.pretraining.arms]
        if study.shift is not None and s in study.shift.seeds:
            pairs += [(a.name, s) for a in study.shift.arms]
    return pairs


def _inputs(study, key):
    a = arm(study, key[0])
    return {"dataset": Need("dataset", a.dataset)} if a.pretrained else {}


def _train(p, key, dataset=None):
    name, seed = key
    return train_arm(p.spec.pretraining, p.spec.expert.ppo, arm(p.spec, name), seed, p.store,
                     dataset, progress=p.reporter(f"{name} seed {seed}"))


STAGE = Stage(
    "pretraining",
    nodes=(
        Node("arm_run", _train, keys=arm_matrix, inputs=_inputs, param="arm_seed",
             ids=lambda k: f"{k[0]}-seed{k[1]}", remote=True, travels=("checkpoints",)),
    ),
    params={"pretrain_seed": lambda s: [(x, f"seed{x}") for x in s.pretraining.seeds]},
)
