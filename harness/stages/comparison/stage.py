"""The comparison in the pipeline: every arm of ``pretraining.arms`` on the matched seeds,
summarised against the baseline."""

from __future__ import annotations

from harness.core.graph import Need, Node, Section, Stage
from harness.names import DatasetName
from harness.stages.comparison.build import summarise
from harness.stages.comparison.report import pretraining_answers, pretraining_section
from harness.stages.expert.build import require_approved
from harness.stages.target.stage import target_keys


def _inputs(study, _key):
    pre = study.pretraining
    return {"runs": {(a.name, s): Need("arm_run", (a.name, s))
                     for s in pre.seeds for a in pre.arms},
            "targets": {k: Need("arm_target", k) for k in target_keys(study)},
            "dataset": Need("dataset", DatasetName.STUDY), "expert": Need("expert")}


def _summarise(p, _key, runs, targets, dataset, expert):
    pre = p.spec.pretraining
    by_arm = {a.name: [runs[(a.name, s)] for s in pre.seeds] for a in pre.arms}
    confirmed = {a.name: [targets[(a.name, s)] for s in pre.seeds] for a in pre.arms} \
        if targets else None
    return summarise(pre, by_arm, dataset, require_approved(expert), p.store, confirmed)


STAGE = Stage(
    "comparison",
    nodes=(Node("comparison", _summarise, inputs=_inputs),),
    section=Section("pretraining", pretraining_section, "sections/comparison.html.j2",
                    pretraining_answers),
)
