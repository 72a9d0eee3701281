"""The target stage in the pipeline: one ``arm_target`` per comparison run (when the spec
declares ``pretraining.confirmation``), read by the comparison."""

from __future__ import annotations

from harness.core.graph import Need, Node, Stage
from harness.stages.target.build import confirm_target


def target_keys(study) -> list[tuple[str, int]]:
    """(arm, seed) of every comparison run whose T is confirmed (none without a declared
    confirmation)."""
    pre = study.pretraining
    if pre.confirmation is None:
        return []
    return [(a.name, s) for s in pre.seeds for a in pre.arms]


def _confirm(p, _key, run):
    return confirm_target(p.spec.pretraining, run, p.store)


STAGE = Stage(
    "target",
    nodes=(Node("arm_target", _confirm, keys=target_keys,
                inputs=lambda s, k: {"run": Need("arm_run", k)}, remote=True),),
)
