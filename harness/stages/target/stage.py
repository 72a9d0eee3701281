"""The target stage in the pipeline: one ``arm_target`` per comparison run (when the spec
declares ``pretraining.confirmation``), read by the comparison; and :func:`target_node`, the
same confirmation for the runs of any other stage (the size study's, the regime map's)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from harness.core.graph import Key, Need, Node, Stage
from harness.stages.target.build import confirm_target


def target_node(name: str, run_node: str, runs: Callable[[Any], Sequence[Key]],
                scenario: Callable[[Any, Key], Any] | None = None) -> Node:
    """A node confirming the time to target of every run of ``run_node`` (keyed like it, by
    ``runs(spec)``), on the run's own episodes; none without a declared confirmation.
    ``scenario(spec, key)``: where a run trained when that is not the comparison's scenario."""

    def keys(study) -> Sequence[Key]:
        return runs(study) if study.pretraining.confirmation is not None else []

    def confirm(p, key, run):
        where = scenario(p.spec, key) if scenario is not None else None
        return confirm_target(p.spec.pretraining, run, p.store, scenario=where)

    return Node(name, confirm, kind="arm_target", keys=keys,
                inputs=lambda s, k: {"run": Need(run_node, k)}, remote=True)


def comparison_runs(study) -> list[tuple[str, int]]:
    """(arm, seed) of every comparison run."""
    pre = study.pretraining
    return [(a.name, s) for s in pre.seeds for a in pre.arms]


def target_keys(study) -> Sequence[Key]:
    """(arm, seed) of every comparison run whose T is confirmed (none without a declared
    confirmation)."""
    return ARM_TARGET.keys(study)


ARM_TARGET = target_node("arm_target", "arm_run", comparison_runs)

STAGE = Stage("target", nodes=(ARM_TARGET,))
