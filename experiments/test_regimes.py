"""Issue 24: where pre-training pays. The regime map's runs (degraded demonstrators on the
fine-tuning task, the expert's demonstrations on a new task), the demonstrators' measured
quality against what they recorded, and the map itself. Every value shown comes from the
cited artefact."""

import pytest

from harness.names import ArmName
from harness.stages.dataset.records import DatasetMetrics
from harness.stages.pretraining.recipe import bc_learned
from harness.stages.pretraining.records import ArmRunMetrics
from harness.stages.regimes.records import RegimeMapMetrics
from harness.stats import newcombe_difference

pytestmark = pytest.mark.stage(3.7)


def _regimes(study_spec):
    if study_spec.regimes is None:
        pytest.skip("this profile declares no regimes (the map runs in the research profile)")
    return study_spec.regimes


def test_regime_run(pipeline, regime_run, criteria):
    """One (regime, arm, seed) run on its regime's scenario; a pre-trained arm learnt
    something from its dataset (the kept BC policy against the untrained one)."""
    regime, arm, seed = regime_run
    run = pipeline.get("regime_run", regime_run)
    criteria.artifact(run.id)
    cfg = run.manifest["config"]
    assert cfg["arm"] == f"{arm}@{regime}" and run.manifest["seeds"] == [seed]
    m = ArmRunMetrics.from_json(run.metrics)
    assert m.timesteps >= cfg["budget"]
    if cfg["pretrained"]:
        loss, kept, untrained = bc_learned(m.bc_curve)
        assert kept < untrained, (loss, kept, untrained)


@pytest.mark.criteria("SC-024q", "SC-024d")
def test_demonstrator_quality_is_measured_and_matches_its_recording(study_spec, pipeline,
                                                                     criteria):
    """SC-024q: each demonstrator's measured success (its own evaluation set) and the success
    of the episodes it recorded (disjoint seeds, same scenario) are the same policy's: their
    difference's 99% score interval contains 0. SC-024d: the declared levels lie below the
    target, where fine-tuning has work to do."""
    rg = _regimes(study_spec)
    if not rg.demonstrators:
        pytest.skip("this profile declares no demonstrator-quality regime")
    target = study_spec.pretraining.target
    below = []
    for d in rg.demonstrators:
        art = pipeline.get("demo_dataset", d.name)
        meta = art.manifest["dataset"]["demonstrator"]
        q = meta["quality"]
        outcomes = DatasetMetrics.from_json(art.metrics).coverage["outcomes"]
        n_rec = sum(outcomes.values())
        k_rec = outcomes.get("success", 0)
        lo, hi = newcombe_difference(k_rec, n_rec, q["successes"], q["episodes"], level=0.99)
        criteria.holds(
            "SC-024q", f"demonstrator {d.name} (epsilon {d.epsilon}): recorded "
            f"success matches its measured quality", lo <= 0.0 <= hi,
            measured=f"recorded {k_rec}/{n_rec} = {k_rec / n_rec:.3f}; measured "
                     f"{q['success_rate']:.3f} on {q['episodes']} episodes",
            threshold="99% interval of the difference contains 0",
            interval=f"[{lo:+.3f}, {hi:+.3f}]", artifact=art.id,
            detail=f"collisions: measured {q['collision_rate']:.3f}, recorded "
                   f"{outcomes.get('collision', 0) / n_rec:.3f}")
        if not target.met(q["success_rate"], q["collision_rate"]):
            below.append(d.name)
    need = min(3, len(rg.demonstrators))
    criteria.holds(
        "SC-024d", "demonstrator quality: the declared levels lie below the target",
        len(below) >= need, measured=f"{len(below)} of {len(rg.demonstrators)} below "
        f"(success >= {target.success}, collision <= {target.collision} missed): "
        f"{', '.join(below) or 'none'}", threshold=f">= {need} below the target")


def test_the_map(study_spec, pipeline, criteria):
    """The map has a row for every declared regime, each with its sentence; the new task's
    baseline is PPO from scratch on it."""
    rg = _regimes(study_spec)
    art = pipeline.get("regime_map")
    criteria.artifact(art.id)
    m = RegimeMapMetrics.from_json(art.metrics)
    assert [r.regime for r in m.rows] == [r.name for r in rg.regimes]
    for row, regime in zip(m.rows, rg.regimes, strict=True):
        assert row.scenario == regime.scenario.name
        assert set(row.arms) == {ArmName.BASELINE, *rg.arms}
        assert row.pays
        print(f"{row.regime}: {row.pays}")
