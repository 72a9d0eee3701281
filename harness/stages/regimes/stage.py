"""The regime map in the pipeline: the degraded demonstrators' datasets, one run per (regime,
arm, seed) with its confirmed T, and the map (issue 24)."""

from __future__ import annotations

from harness.core.graph import Need, Node, Section, Stage
from harness.names import ArmName, DatasetName
from harness.stages.dataset.build import record_dataset
from harness.stages.expert.build import require_approved
from harness.stages.pretraining.build import train_arm
from harness.stages.regimes.build import summarise_regimes
from harness.stages.regimes.config import QUALITY, demonstrator_dataset
from harness.stages.regimes.report import regimes_answers, regimes_section
from harness.stages.target.stage import target_node


def _base(name: str) -> str:
    return name.split("@")[0]


def demonstrator_keys(study) -> list[str]:
    return [d.name for d in study.regimes.demonstrators] if study.regimes else []


def regime_matrix(study) -> list[tuple[str, str, int]]:
    """(regime, arm, seed) of every run of the map, seed-major."""
    rg = study.regimes
    if rg is None:
        return []
    return [(r.name, _base(a.name), s) for s in rg.seeds for r in rg.regimes for a in r.arms]


def _record(p, name: str, expert):
    spec = demonstrator_dataset(p.spec.dataset, p.spec.regimes, p.spec.pretraining, name)
    return record_dataset(spec, require_approved(expert), p.store)


def _run_inputs(study, key):
    regime = study.regimes.regime(key[0])
    if key[1] == ArmName.BASELINE:
        return {}
    if regime.axis == QUALITY:
        return {"dataset": Need("demo_dataset", regime.dataset)}
    return {"dataset": Need("dataset", DatasetName.STUDY)}


def _train(p, key, dataset=None):
    name, arm_name, seed = key
    regime = p.spec.regimes.regime(name)
    a = regime.arm(arm_name)
    return train_arm(p.spec.pretraining, p.spec.expert.ppo, a, seed, p.store, dataset,
                     scenario=regime.scenario, progress=p.reporter(f"{a.name} seed {seed}"))


REGIME_TARGET = target_node("regime_target", "regime_run", regime_matrix,
                            scenario=lambda spec, key: spec.regimes.regime(key[0]).scenario)


def _map_inputs(study, _key):
    rg, pre = study.regimes, study.pretraining
    confirmed = pre.confirmation is not None
    out = {"runs": {k: Need("regime_run", k) for k in regime_matrix(study)},
           "targets": {k: Need("regime_target", k) for k in REGIME_TARGET.keys(study)},
           "comparison_runs": {}, "comparison_targets": {},
           "datasets": {n: Need("demo_dataset", n) for n in demonstrator_keys(study)},
           "study_dataset": Need("dataset", DatasetName.STUDY), "expert": Need("expert")}
    if any(not r.own_baseline for r in rg.regimes):
        out["comparison_runs"] = {s: Need("arm_run", (ArmName.BASELINE, s)) for s in rg.seeds}
        if confirmed:
            out["comparison_targets"] = {s: Need("arm_target", (ArmName.BASELINE, s))
                                         for s in rg.seeds}
    return out


def _summarise(p, _key, runs, targets, comparison_runs, comparison_targets, datasets,
               study_dataset, expert):
    rg = p.spec.regimes
    by_regime, t_by_regime, baselines, data = {}, {}, {}, {}
    for r in rg.regimes:
        pretrained = [_base(a.name) for a in r.arms if a.pretrained]
        by_regime[r.name] = {a: [runs[(r.name, a, s)] for s in rg.seeds] for a in pretrained}
        t_by_regime[r.name] = {a: [targets[(r.name, a, s)] for s in rg.seeds]
                               for a in pretrained} if targets else \
            {a: None for a in pretrained}
        if r.own_baseline:
            base = [runs[(r.name, ArmName.BASELINE, s)] for s in rg.seeds]
            base_t = [targets[(r.name, ArmName.BASELINE, s)] for s in rg.seeds] \
                if targets else None
        else:
            base = [comparison_runs[s] for s in rg.seeds]
            base_t = [comparison_targets[s] for s in rg.seeds] if comparison_targets else None
        baselines[r.name] = (base, base_t)
        data[r.name] = datasets[r.dataset] if r.axis == QUALITY else study_dataset
    return summarise_regimes(p.spec.pretraining, rg, by_regime, t_by_regime, baselines, data,
                             require_approved(expert), p.store)


STAGE = Stage(
    "regimes",
    nodes=(
        Node("demo_dataset", _record, kind="dataset", keys=demonstrator_keys,
             inputs=lambda s, _k: {"expert": Need("expert")}, remote=True),
        Node("regime_run", _train, kind="arm_run", keys=regime_matrix, inputs=_run_inputs,
             param="regime_run", ids=lambda k: f"{k[1]}-{k[0]}-seed{k[2]}", remote=True,
             travels=("checkpoints",)),
        REGIME_TARGET,
        Node("regime_map", _summarise,
             keys=lambda s: (None,) if s.regimes is not None else (), inputs=_map_inputs),
    ),
    section=Section("regimes", regimes_section, "sections/regimes.html.j2",
                    regimes_answers),
)
