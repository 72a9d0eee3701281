"""The ``comparison`` artefact: matched-seed statistics of every arm against the baseline, and
of the recipe against each ablation (DESIGN.md section 4; the statistics are :mod:`compare`).

Time to target per seed and arm (censored runs at the budget), IQM ratio with its bootstrap
interval, probability of improvement, success AUC, final performance and its paired difference
with the baseline, the no-unlearning drop, and the declared sensitivity levels. The declared
criteria are part of the artefact's config, so the report shows the values it was built with.
"""

from __future__ import annotations

import json

import numpy as np

from harness import power, stats
from harness.core.store import Artifact, Build, Store
from harness.names import ArmName
from harness.spec.common import TargetLevel
from harness.stages.comparison.records import (
    ArmRow,
    ComparisonMetrics,
    Confirmed,
    CriterionPower,
    FinalDifference,
    Level,
    LevelRow,
    RecipeVersus,
    SensitivityLevel,
)
from harness.stages.dataset.records import DatasetMetrics
from harness.stages.expert.records import ExpertMetrics
from harness.stages.pretraining.config import PretrainSpec
from harness.stages.pretraining.records import ArmRunMetrics
from harness.stages.target.records import TargetMetrics


def summarise(spec: PretrainSpec, runs: dict[str, list[Artifact]], dataset: Artifact,
              expert: Artifact, store: Store,
              targets: dict[str, list[Artifact]] | None = None) -> Artifact:
    """The ``comparison`` artefact over matched seeds (every arm against the baseline, the
    recipe against each ablation), with the declared criteria in its config. With
    ``targets`` (the runs' ``arm_target`` artefacts, in the same order), T at the default
    level is the confirmed one; else it is read from the periodic evaluations alone."""
    base = runs[ArmName.BASELINE]
    seeds = [r.manifest["seeds"][0] for r in base]
    for name, arm_runs in runs.items():
        if [r.manifest["seeds"][0] for r in arm_runs] != seeds:
            raise ValueError(f"arm '{name}' is not matched to the baseline's seeds {seeds}")
        if targets is not None and [a.manifest["seeds"][0] for a in targets[name]] != seeds:
            raise ValueError(f"arm '{name}': its confirmed targets are not its runs' seeds")
    if (targets is None) != (spec.confirmation is None):
        raise ValueError("confirmed targets are given exactly when the spec declares "
                         "pretraining.confirmation")

    def build(b: Build) -> None:
        confirmed = targets or {}
        arms = {name: arm_row(spec, name, arm_runs, base, confirmed.get(name),
                              confirmed.get(ArmName.BASELINE))
                for name, arm_runs in runs.items()}
        b.metrics = ComparisonMetrics(
            arms=arms, baseline_censored=int(sum(arms[ArmName.BASELINE].censored)),
            final_vs_baseline={name: _final_difference(spec, row, arms[ArmName.BASELINE])
                               for name, row in arms.items() if name != ArmName.BASELINE},
            recipe_vs={name: recipe_versus(spec, arms[ArmName.PRETRAINED], row)
                       for name, row in arms.items()
                       if name not in (ArmName.BASELINE, ArmName.PRETRAINED)},
            sensitivity={lvl.label: _level(spec, lvl, runs) for lvl in spec.sensitivity},
            expert_training_steps=ExpertMetrics.from_json(expert.metrics).expert_training_steps,
            dataset_steps=DatasetMetrics.from_json(dataset.metrics).steps,
            dataset_episodes=DatasetMetrics.from_json(dataset.metrics).episodes,
            confirmation=_confirmed(spec, targets) if targets is not None else None,
            power=comparison_power(spec, len(seeds),
                                   ablations=len(runs) > 2) if spec.power else None).to_json()
        b.extra = {"scenario": spec.scenario.name}

    all_runs = [r for arm_runs in runs.values() for r in arm_runs]
    all_targets = [a for arm in (targets or {}).values() for a in arm]
    return store.get_or_build("comparison", spec.comparison_config(), seeds, build,
                              inputs=[dataset, expert, *all_runs, *all_targets])


def _confirmed(spec: PretrainSpec, targets: dict[str, list[Artifact]]) -> Confirmed:
    """The confirmation as run: design, operating characteristic, cost over every run."""
    conf, t = spec.confirmation, spec.target
    _, outside = stats.classification(conf.episodes, t.success, t.collision, conf.band)
    inside = stats.judged_at_target(min(1.0, t.success + conf.band),
                                    max(0.0, t.collision - conf.band), t, conf.screen,
                                    spec.eval.episodes, conf.episodes)
    metrics = [TargetMetrics.from_json(a.metrics) for arm in targets.values() for a in arm]
    return Confirmed(
        episodes=conf.episodes, band=conf.band, power=conf.power,
        screen=conf.screen.as_dict(), screen_episodes=spec.eval.episodes,
        judged_inside=inside, judged_outside=outside,
        confirmations=sum(len(m.candidates) for m in metrics),
        confirmation_steps=sum(m.confirmation_steps for m in metrics),
        training_steps=sum(m.training_steps for m in metrics))


def comparison_power(spec: PretrainSpec, seeds: int, ablations: bool = True
                     ) -> dict[str, CriterionPower]:
    """Each comparison criterion's power for this design (``seeds`` per arm, the declared
    episodes, grid and margins), simulated from the declared effects and pilot."""
    pw, pilot, n = spec.power, spec.power.pilot, spec.power.sims
    grid, budget, req = spec.eval.every, spec.budget, spec.power.power
    t_args = (seeds, pilot.t_median, pilot.t_log_sd, grid, budget)
    out = {}
    r = power.ratio_power(pw.ratio, spec.ratio_max, *t_args, sims=n)
    out["SC-003"] = CriterionPower(
        effect=f"a true IQM ratio of {pw.ratio} passes; a ratio of 1 (no benefit) must not",
        detect=r.detect, clear=r.clear, required=req,
        design=f"{seeds} seeds per arm, grid {grid:,}, ratio <= {spec.ratio_max} and CI "
               f"upper bound < 1; T lognormal around {pilot.t_median:,.0f} steps, log-sd "
               f"{pilot.t_log_sd}", met=r.detect >= req and r.clear <= 1.0 - req)
    f = power.final_power(pw.final_drop, spec.final_margin, seeds, spec.final_episodes,
                          pilot.base, pilot.final_sd, sims=n)
    out["SC-003f"] = CriterionPower(
        effect=f"a true final-success regression of {pw.final_drop}", detect=f.detect,
        clear=f.clear, required=req,
        design=f"{seeds} seeds x {spec.final_episodes} episodes, margin {spec.final_margin}; "
               f"success {pilot.base}, between-seed sd {pilot.final_sd}",
        met=min(f.detect, f.clear) >= req)
    window = (seeds, spec.unlearning_evals, spec.eval.episodes, pilot.discordance)
    u = power.unlearning_power(pw.drop, spec.unlearning_margin, *window, sims=5 * n)
    out["SC-003u"] = CriterionPower(
        effect=f"a true drop of {pw.drop} below BC at one evaluation of a seed's window",
        detect=u.detect, clear=u.clear, false_alarm=u.false_alarm, required=req,
        design=f"per seed, {spec.unlearning_evals} evaluations x {spec.eval.episodes} "
               f"episodes, margin {spec.unlearning_margin} on the largest drop; BC and the "
               f"fine-tuned policy disagree on {pilot.discordance} of the episodes; "
               f"'passes' is every one of {seeds} seeds", met=min(u.detect, u.clear) >= req)
    if ablations:
        t_margin = spec.recipe_t_margin * budget
        t = power.t_difference_power(pw.t_effect * budget, t_margin, *t_args, sims=n)
        out["SC-003r T"] = CriterionPower(
            effect=f"the recipe's T longer by {pw.t_effect * budget:,.0f} steps",
            detect=t.detect, clear=t.clear, required=req,
            design=f"{seeds} seeds per arm, margin {t_margin:,.0f} on the IQM difference's "
                   f"CI upper bound; T as for SC-003", met=min(t.detect, t.clear) >= req)
        d = power.drop_difference_power(pw.drop, spec.unlearning_margin, *window, sims=n)
        out["SC-003r drop"] = CriterionPower(
            effect=f"the recipe's runs dropping {pw.drop} below BC, the ablation's not",
            detect=d.detect, clear=d.clear, required=req,
            design=f"{seeds} seeds per arm, margin {spec.unlearning_margin} on the CI upper "
                   f"bound of the difference of largest drops; drops as for SC-003u",
            met=min(d.detect, d.clear) >= req)
    return out


def _curve(run: Artifact) -> list[dict]:
    return json.loads(run.file("learning_curve.json").read_text())


def _times(spec: PretrainSpec, arm_runs: list[Artifact], level: TargetLevel | None = None,
           targets: list[Artifact] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """T per run (censored at the budget) and the censoring mask: confirmed (``targets``), at
    the run's own target from its periodic evaluations, or at ``level`` recomputed from the
    learning curves."""
    if targets is not None:
        ts = [TargetMetrics.from_json(a.metrics).time_to_target for a in targets]
    elif level is None:
        ts = [ArmRunMetrics.from_json(r.metrics).time_to_target for r in arm_runs]
    else:
        ts = [stats.time_to_target(_curve(r), level.thresholds.success,
                                     level.thresholds.collision, level.consecutive)
              for r in arm_runs]
    return stats.censored_times(ts, spec.budget)


def _ratio_stats(spec: PretrainSpec, t: np.ndarray, cens: np.ndarray, t_base: np.ndarray,
                 cens_base: np.ndarray) -> dict:
    ratio, lo, hi = stats.ratio_ci(t, t_base, spec.bootstrap, seed=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_seed = (t / t_base).tolist()
    return {"ratio": ratio, "ratio_ci": [lo, hi], "per_seed_ratio": per_seed,
            "probability_of_improvement": stats.probability_of_improvement(
                t, t_base, cens, cens_base),
            "at_step_zero": int((t == 0).sum())}


def arm_row(spec: PretrainSpec, name: str, arm_runs: list[Artifact], base: list[Artifact],
            targets: list[Artifact] | None = None, base_targets: list[Artifact] | None = None
            ) -> ArmRow:
    metrics = [ArmRunMetrics.from_json(r.metrics) for r in arm_runs]
    t, cens = _times(spec, arm_runs, targets=targets)
    final_success = [m.final_eval.success_rate for m in metrics]
    final_collision = [m.final_eval.collision_rate for m in metrics]
    auc = [m.auc for m in metrics]
    extra: dict = {}
    if name != ArmName.BASELINE:
        extra = _ratio_stats(spec, t, cens, *_times(spec, base, targets=base_targets))
        extra.update(
            bc_success=[m.bc_eval.success_rate for m in metrics],
            bc_collision=[m.bc_eval.collision_rate for m in metrics],
            unlearning_drop=[stats.unlearning_drop(m.bc_success_on_periodic_sets, _curve(r))
                             for m, r in zip(metrics, arm_runs, strict=True)],
            unlearning_drop_ci=[list(stats.unlearning_drop_ci(
                m.bc_success_on_periodic_sets, _curve(r), spec.eval.episodes)[1:])
                for m, r in zip(metrics, arm_runs, strict=True)],
            dataset_transitions=metrics[0].dataset_transitions)
    return ArmRow(
        seeds=[r.manifest["seeds"][0] for r in arm_runs], time_to_target=t.tolist(),
        censored=cens.tolist(), iqm_time=stats.iqm(t), final_success=final_success,
        final_collision=final_collision, final_episodes=metrics[0].final_eval.episodes,
        auc=auc, run_ids=[r.id for r in arm_runs],
        final_success_mean_ci=list(stats.mean_ci(final_success, spec.bootstrap)),
        final_collision_mean_ci=list(stats.mean_ci(final_collision, spec.bootstrap)),
        auc_mean_ci=list(stats.mean_ci(auc, spec.bootstrap)), grid_step=spec.eval.every,
        target_ids=[a.id for a in targets] if targets is not None else None,
        confirmations=[len(TargetMetrics.from_json(a.metrics).candidates) for a in targets]
        if targets is not None else None, **extra)


def _level(spec: PretrainSpec, level: TargetLevel, runs: dict[str, list[Artifact]]
           ) -> SensitivityLevel:
    """A sensitivity row: T of every arm at another declared level (from the same curves)."""
    t_base, cens_base = _times(spec, runs[ArmName.BASELINE], level)
    rows = {}
    for name, arm_runs in runs.items():
        t, cens = _times(spec, arm_runs, level)
        extra = _ratio_stats(spec, t, cens, t_base, cens_base) if name != ArmName.BASELINE \
            else {}
        rows[name] = LevelRow(time_to_target=t.tolist(), censored=cens.tolist(),
                              iqm_time=stats.iqm(t), **extra)
    return SensitivityLevel(level=Level(**level.as_dict()), arms=rows)


def _final_difference(spec: PretrainSpec, row: ArmRow, base: ArmRow) -> FinalDifference:
    """Final success of an arm minus the baseline's, paired by seed, with its interval."""
    diff, lo, hi = stats.rate_difference_ci(row.final_success, base.final_success,
                                            base.final_episodes, spec.bootstrap)
    return FinalDifference(difference=diff, ci=[lo, hi], margin=spec.final_margin,
                           passed=lo >= -spec.final_margin)


def recipe_versus(spec: PretrainSpec, recipe: ArmRow, other: ArmRow) -> RecipeVersus:
    """The recipe against an ablation: largest drop below BC and T, paired by seed."""
    drop, d_lo, d_hi = stats.paired_difference_ci(recipe.unlearning_drop,
                                                    other.unlearning_drop, spec.bootstrap)
    t, t_lo, t_hi = stats.paired_difference_ci(recipe.time_to_target, other.time_to_target,
                                                 spec.bootstrap, iqm_of=True)
    t_margin = spec.recipe_t_margin * spec.budget
    return RecipeVersus(
        drop_difference=drop, drop_ci=[d_lo, d_hi], drop_verdict=stats.verdict(d_lo, d_hi),
        t_difference=t, t_ci=[t_lo, t_hi], t_verdict=stats.verdict(t_lo, t_hi),
        drop_margin=spec.unlearning_margin, t_margin=t_margin,
        passed=d_hi <= spec.unlearning_margin and t_hi <= t_margin)
