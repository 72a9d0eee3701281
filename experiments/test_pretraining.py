"""User story 3 / SC-003: BC pre-training + fine-tuning reaches the target in far fewer online
steps than PPO from scratch, on matched seeds, without unlearning or final regression."""

import pytest

from harness.criteria import Bound
from harness.names import ArmName, DatasetName
from harness.stages.comparison.records import ComparisonMetrics
from harness.stages.pretraining.recipe import bc_learned
from harness.stages.pretraining.records import ArmRunMetrics
from harness.stages.shift.records import ShiftMetrics

pytestmark = pytest.mark.stage(3)


def test_arm_run(pipeline, arm_seed, criteria):
    """Each (arm, seed) run, the shift experiment's included: the configured hyperparameters
    are in effect; a pre-trained arm learnt something from BC (validation NLL fell) on the
    dataset's observation contract."""
    arm, seed = arm_seed
    run = pipeline.get("arm_run", (arm, seed))
    criteria.artifact(run.id)
    cfg = run.manifest["config"]
    got = run.manifest["hyperparameters_in_effect"]
    for key, want in cfg["ppo"].items():
        if key != "log_std_init":
            assert got[key] == want, key
    m = ArmRunMetrics.from_json(run.metrics)
    assert m.timesteps >= cfg["budget"]
    if cfg["pretrained"]:
        loss, kept, untrained = bc_learned(m.bc_curve)
        assert kept < untrained, (loss, kept, untrained, m.bc_curve)


DESIGN_MIN_SEEDS = 10  # DESIGN.md section 4 / issue 9: SC-003 on >= 10 independent seeds
DESIGN_BAND, DESIGN_POWER = 0.02, 0.9  # DESIGN.md section 4: "at target" judged 0.02 either
# side with probability >= 0.9


def _deviations(cfg: dict, n_seeds: int) -> str | None:
    """Where the comparison's declared criteria depart from DESIGN.md (shown in the row)."""
    out = []
    if cfg["target"]["deviation"]:
        out.append(f"target {cfg['target']['success']} / {cfg['target']['collision']} "
                   f"{cfg['target']['deviation']}")
    if n_seeds < DESIGN_MIN_SEEDS:
        out.append(f"{n_seeds} seeds per arm, fewer than the {DESIGN_MIN_SEEDS} DESIGN requires "
                   f"(declared min_seeds {cfg['min_seeds']})")
    conf = cfg.get("confirmation")
    if conf is None:
        out.append("T read from the periodic evaluations alone: its classification error is "
                   "not the 0.02 / 0.9 DESIGN requires")
    elif conf["band"] > DESIGN_BAND or conf["power"] < DESIGN_POWER:
        out.append(f"T judged at target {conf['band']} either side with power {conf['power']} "
                   f"({conf['episodes']} episodes), coarser than the {DESIGN_BAND} / "
                   f"{DESIGN_POWER} DESIGN requires")
    return "; ".join(out) or None


def _power(m: ComparisonMetrics, cid: str) -> tuple[str, str | None]:
    """The power behind criterion ``cid``'s margin, in words, and a deviation when this design
    does not reach the declared power (both from the comparison artefact)."""
    if m.power is None or cid not in m.power:
        return "; no power analysis declared (pretraining.criteria.power)", \
            "no power analysis declared for its margin"
    p = m.power[cid]
    if cid == "SC-003":
        words = (f"; power: {p.effect}: P(pass) {p.detect:.2f} at the declared ratio, "
                 f"{p.clear:.2f} with no benefit")
    else:
        words = (f"; power: fails {p.effect} with p = {p.detect:.2f}, passes with no effect "
                 f"with p = {p.clear:.2f}")
        if p.false_alarm is not None:
            words += f" (one seed failing with no drop: {p.false_alarm:.3f})"
    words += f" ({p.design}; required {p.required})"
    return words, None if p.met else f"this design's power is below the declared {p.required}"


def _join(*parts: str | None) -> str | None:
    return "; ".join(p for p in parts if p) or None


@pytest.mark.criteria("SC-003")
def test_sample_efficiency(pipeline, criteria):
    cmp = pipeline.get("comparison")
    cfg = cmp.manifest["config"]  # every value shown comes from the artefact, not the spec
    m = ComparisonMetrics.from_json(cmp.metrics)
    row = m.arms[ArmName.PRETRAINED]
    n = len(row.seeds)
    lo, hi = row.ratio_ci
    target, conf = cfg["target"], m.confirmation
    judged = (f"confirmed on {conf.episodes} episodes of each run's own (P(at target) "
              f"{conf.judged_inside:.2f} {conf.band} inside, <= {conf.judged_outside:.2f} "
              f"{conf.band} outside)" if conf else
              f"confirmed by the next {target['consecutive'] - 1} evaluation(s)")
    words = ""
    if row.at_step_zero:
        words = (f"behaviour cloning alone is at the target on {row.at_step_zero} of {n} seeds "
                 f"(T = 0, {judged})")
        words += ("; the ratio measures BC reaching the target without online steps, not a "
                  "speed-up of fine-tuning; " if 2 * row.at_step_zero > n else "; ")
    how = (f"T confirmed on {conf.episodes} episodes" if conf
           else f"k = {target['consecutive']}")
    criteria.all_of(
        "SC-003", f"sample efficiency: IQM(T pre-trained) / IQM(T baseline), matched seeds; "
        f"target success >= {target['success']}, collision <= {target['collision']}, "
        f"{how}; T resolution: grid step {cfg['every']:,}",
        [Bound("ratio", row.ratio, "<=", cfg["ratio_max"]),
         Bound("CI upper bound", hi, "<", 1.0),
         Bound("seeds", n, ">=", cfg["min_seeds"], "d")],
        interval=(lo, hi), artifact=cmp.id,
        deviation=_join(_deviations(cfg, n), _power(m, "SC-003")[1]),
        detail=f"{words}IQM T pre-trained {row.iqm_time:,.0f} vs baseline "
        f"{m.arms['baseline'].iqm_time:,.0f} steps; censored: pre-trained "
        f"{sum(row.censored)}, baseline {m.baseline_censored} (entered at the "
        f"budget {cfg['budget']:,}, ranked last); P(improvement) "
        f"{row.probability_of_improvement:.2f}; online steps only (dataset "
        f"{m.dataset_steps:,} steps, expert training "
        f"{sum(m.expert_training_steps.values()):,} steps reported beside)"
        + _power(m, "SC-003")[0])


@pytest.mark.criteria("SC-003f")
def test_no_final_regression(pipeline, criteria):
    cmp = pipeline.get("comparison")
    m = ComparisonMetrics.from_json(cmp.metrics)
    res = m.final_vs_baseline[ArmName.PRETRAINED]
    pre = m.arms[ArmName.PRETRAINED].final_success_mean_ci
    base = m.arms[ArmName.BASELINE].final_success_mean_ci
    criteria.at_least(
        "SC-003f", "no final-performance regression: 95% CI lower bound of final success, "
        "pre-trained minus baseline (paired by seed)", res.ci[0], -res.margin,
        fmt="+.3f", interval=res.ci, interval_fmt="+.3f", artifact=cmp.id,
        deviation=_power(m, "SC-003f")[1],
        detail=f"difference {res.difference:+.3f}; pre-trained {pre[0]:.3f} "
               f"[{pre[1]:.3f}, {pre[2]:.3f}] vs baseline {base[0]:.3f} "
               f"[{base[1]:.3f}, {base[2]:.3f}], {m.arms['baseline'].final_episodes} episodes "
               f"per run" + _power(m, "SC-003f")[0])


@pytest.mark.criteria("SC-003u")
def test_no_unlearning(pipeline, pretrain_seed, criteria):
    cmp = pipeline.get("comparison")
    cfg = cmp.manifest["config"]
    m = ComparisonMetrics.from_json(cmp.metrics)
    row = m.arms[ArmName.PRETRAINED]
    i = row.seeds.index(pretrain_seed)
    criteria.at_most(
        "SC-003u", f"no unlearning, seed {pretrain_seed}: largest success drop below the BC "
        f"policy over the first {cfg['unlearning_evals']} fine-tuning evaluations, each on the "
        f"same episodes as the BC policy", row.unlearning_drop[i], cfg["unlearning_margin"],
        fmt="+.3f", artifact=row.run_ids[i],
        interval=tuple(row.unlearning_drop_ci[i]) if row.unlearning_drop_ci else None,
        deviation=_power(m, "SC-003u")[1],
        detail="the interval is simultaneous over those evaluations (Newcombe score intervals, "
               "Bonferroni); the criterion is judged on the point value, as declared"
               + _power(m, "SC-003u")[0])


@pytest.mark.criteria("SC-003r")
def test_recipe_versus_naive(pipeline, criteria):
    """The fine-tuning recipe against each ablation, on the largest drop below BC and on T."""
    cmp = pipeline.get("comparison")
    m = ComparisonMetrics.from_json(cmp.metrics)
    for name, res in m.recipe_vs.items():
        d_lo, d_hi = res.drop_ci
        t_lo, t_hi = res.t_ci
        same = res.drop_verdict == res.t_verdict == "indistinguishable"
        criteria.all_of(
            "SC-003r", f"recipe vs {name} BC -> PPO: not worse on the largest drop below BC nor "
            f"on T (95% CI upper bounds of the differences recipe - {name}, paired by seed)",
            [Bound("drop difference upper", d_hi, "<=", res.drop_margin, "+.3f"),
             Bound("IQM T difference upper", t_hi, "<=", res.t_margin, "+,.0f")],
            interval=f"drop [{d_lo:+.3f}, {d_hi:+.3f}]; T [{t_lo:+,.0f}, {t_hi:+,.0f}]",
            artifact=cmp.id,
            deviation=_join(_power(m, "SC-003r drop")[1], _power(m, "SC-003r T")[1]),
            detail=f"drop {res.drop_difference:+.3f} ({res.drop_verdict}); IQM T "
                   f"{res.t_difference:+,.0f} steps ({res.t_verdict})" +
                   ("; the recipe and naive BC -> PPO cannot be told apart on this study"
                    if same else "") + "; drop" + _power(m, "SC-003r drop")[0][1:]
                   + "; T" + _power(m, "SC-003r T")[0][1:])


def test_ablation_is_matched_and_reported(study_spec, pipeline):
    """The naive BC -> PPO ablation runs on the same seeds and gets the same statistics."""
    arms = ComparisonMetrics.from_json(pipeline.get("comparison").metrics).arms
    for name in (a.name for a in study_spec.pretraining.arms if a.name != ArmName.BASELINE):
        assert arms[name].seeds == arms[ArmName.BASELINE].seeds
        assert arms[name].ratio == arms[name].ratio  # not NaN
        assert len(arms[name].unlearning_drop) == len(arms[name].seeds)


def _regression_words(r) -> str:
    return (f"shifted-data arm on {r.family} ({r.stage}): success {r.success:.2f} vs "
            f"{'matched-data arm' if r.reference == 'matched' else 'baseline'} "
            f"{r.reference_success:.2f}, drop {r.drop:.2f} > {r.margin}, 95% CI of the "
            f"difference [{r.ci[0]:+.2f}, {r.ci[1]:+.2f}]")


def _shift_deviation(seeds: list[int]) -> str | None:
    """A shift experiment on one seed per arm (a CI profile's, to save minutes) pairs its
    comparisons by episode only: its intervals say nothing of seed-to-seed variation."""
    if len(seeds) > 1:
        return None
    return (f"one seed per arm ({seeds[0]}): the intervals cover episode-to-episode variation "
            f"only, not seed-to-seed")


@pytest.mark.criteria("SHIFT")
def test_distribution_shift(study_spec, pipeline, criteria):
    """SHIFT: the shifted-data arm (demonstrations from other families) against the
    matched-data arm (demonstrations from the fine-tuning scenario) and the baseline, per
    evaluated family: no regression beyond the margin with an interval below zero."""
    if study_spec.shift is None:
        removed = study_spec.shift_deviation  # its own DEVIATION line in the row
        reason = ("this profile runs no distribution-shift experiment" if removed
                  else "no distribution-shift experiment declared (the spec has no shift: section)")
        criteria.not_run("SHIFT", "no distribution-shift regression", reason, deviation=removed)
        pytest.skip(removed or reason)
    shift = pipeline.get("shift")
    cfg = shift.manifest["config"]
    m = ShiftMetrics.from_json(shift.metrics)
    assert m.coverage[DatasetName.SHIFTED].gaps, (
        "the shift experiment's shifted dataset covers the fine-tuning scenario: it is not a shift")
    matched = m.coverage[DatasetName.MATCHED]
    assert not matched.gaps, matched.gaps
    checked = [d for d in m.differences if d.stage == "fine-tuned"]
    unsure = [d for d in checked if d.verdict == "inconclusive"]
    detail = "; ".join(_regression_words(r) for r in m.regressions) or (
        f"{len(checked)} comparisons (shifted-data arm vs matched-data arm and vs baseline on "
        f"{', '.join(cfg['eval_scenarios'])}), {len(unsure)} inconclusive")
    criteria.at_most(
        "SHIFT", f"no distribution-shift regression: final success of the shifted-data arm "
        f"(demonstrations from {', '.join(cfg['dataset_scenarios'])}) minus the matched-data "
        f"arm's and the baseline's, per family, paired by seed and episode; a regression is a "
        f"drop > {cfg['margin']} with its 95% CI below 0",
        len(m.regressions), 0, fmt="d", artifact=shift.id,
        detail=f"{detail}; shifted dataset gaps: {'; '.join(m.coverage['shifted'].gaps)}",
        deviation=_shift_deviation(shift.manifest["seeds"]))
