"""The shift experiment in the pipeline: the baseline and the shifted- and matched-data arms on
``shift.seeds``, each run evaluated on every family of ``shift.eval_scenarios``, and the matrix
of their differences."""

from __future__ import annotations

from harness.core.graph import Need, Node, Section, Stage
from harness.names import ArmName, DatasetName
from harness.stages.shift.build import shift_matrix, shift_run
from harness.stages.shift.report import shift_answers, shift_section


def shift_keys(study) -> list[tuple[str, int]]:
    """(arm, seed) of every run the shift experiment evaluates (none when undeclared)."""
    sh = study.shift
    if sh is None:
        return []
    return [(a, s) for s in sh.seeds for a in (ArmName.BASELINE, sh.shifted.name, sh.matched.name)]


def _evaluate(p, _key, run):
    return shift_run(p.spec.shift, p.spec.pretraining, run, p.store)


def _matrix_inputs(study, _key):
    return {"evaluations": {k: Need("shift_run", k) for k in shift_keys(study)},
            "shifted": Need("dataset", DatasetName.SHIFTED),
            "matched": Need("dataset", DatasetName.MATCHED)}


def _matrix(p, _key, evaluations, shifted, matched):
    sh = p.spec.shift
    names = (ArmName.BASELINE, sh.shifted.name, sh.matched.name)
    by_arm = {a: [evaluations[(a, s)] for s in sh.seeds] for a in names}
    return shift_matrix(sh, p.spec.pretraining, by_arm,
                        {DatasetName.SHIFTED: shifted, DatasetName.MATCHED: matched}, p.store)


STAGE = Stage(
    "shift",
    nodes=(
        Node("shift_run", _evaluate, keys=shift_keys,
             inputs=lambda s, k: {"run": Need("arm_run", k)}, remote=True),
        Node("shift", _matrix, keys=lambda s: (None,) if s.shift is not None else (),
             inputs=_matrix_inputs),
    ),
    section=Section("shift", shift_section, "sections/shift.html.j2",
                    shift_answers),
)
