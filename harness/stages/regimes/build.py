"""The ``regime_map`` artefact: where pre-training pays (issue 24).

Each regime (a degraded demonstrator's dataset on the fine-tuning task, or the expert's own
dataset on a new task) is a comparison in the style of SC-003 on the regime's matched seeds:
every arm against its baseline (the comparison's runs of those seeds for the quality regimes,
PPO from scratch on the new task for it), T confirmed per run (:mod:`harness.stages.target`),
the IQM ratio with its seed-bootstrap interval, P(improvement), the BC policies' own level and
final success, and the recipe against each other pre-trained arm, paired by seed. The size
axis is the size study's rows (:mod:`harness.stages.sizes`), read beside it by the report.
Each row carries a sentence, computed from its numbers, saying whether pre-training pays there.
"""

from __future__ import annotations

import json

from harness.core.store import Artifact, Build, Store
from harness.metrics import EvalSummary
from harness.names import ArmName
from harness.stages.comparison.build import arm_row, recipe_versus
from harness.stages.comparison.records import ArmRow
from harness.stages.dataset.records import DatasetMetrics
from harness.stages.expert.records import ExpertMetrics
from harness.stages.pretraining.config import PretrainSpec
from harness.stages.regimes.config import QUALITY, Regime, RegimesSpec
from harness.stages.regimes.records import DemonstratorQuality, RegimeMapMetrics, RegimeRow


def _label(regime: Regime) -> str:
    if regime.demonstrator is not None:
        return f"demonstrator: {regime.demonstrator.describe()}"
    return (f"new task {regime.scenario.name}: the expert's own-mix demonstrations, "
            f"fine-tuning and baseline on {regime.scenario.name}")


def pays(spec: PretrainSpec, rows: dict[str, ArmRow], bc_below: dict[str, int]) -> str:
    """One sentence: does pre-training pay in this regime, by how much, and does the recipe
    matter (from the recipe's ratio interval and the recipe-vs-ablation intervals)."""
    pre = rows[ArmName.PRETRAINED]
    n = len(pre.seeds)
    lo, hi = pre.ratio_ci
    where = (f"BC alone misses the target on {bc_below[ArmName.PRETRAINED]} of {n} seeds"
             if bc_below[ArmName.PRETRAINED] else f"BC alone is at the target on all {n} seeds")
    if hi < 1.0 and pre.ratio <= spec.ratio_max:
        verdict = (f"pre-training pays: the recipe reaches the target in {pre.ratio:.2f} "
                   f"[{lo:.2f}, {hi:.2f}] of the baseline's steps (IQM)")
    elif hi < 1.0:
        verdict = (f"pre-training helps but less than SC-003 asks: ratio {pre.ratio:.2f} "
                   f"[{lo:.2f}, {hi:.2f}] > {spec.ratio_max}")
    elif lo > 1.0:
        verdict = (f"pre-training costs steps here: ratio {pre.ratio:.2f} [{lo:.2f}, {hi:.2f}]")
    else:
        verdict = (f"no difference shown: ratio {pre.ratio:.2f} [{lo:.2f}, {hi:.2f}] "
                   f"includes 1")
    censored = sum(pre.censored)
    if censored:
        verdict += f" ({censored} of {n} recipe runs never reached the target)"
    return f"{where}; {verdict}."


def _recipe_words(versus: dict) -> str:
    out = []
    for other, v in versus.items():
        if v.t_verdict == "indistinguishable" and v.drop_verdict == "indistinguishable":
            out.append(f"the recipe and {other} cannot be told apart")
        else:
            out.append(f"recipe vs {other}: T {v.t_verdict} ({v.t_difference:+,.0f} "
                       f"[{v.t_ci[0]:+,.0f}, {v.t_ci[1]:+,.0f}]), drop below BC "
                       f"{v.drop_verdict}")
    return "; ".join(out)


def _bc_below(spec: PretrainSpec, row: ArmRow) -> int:
    return sum(not spec.target.met(s, c) for s, c in zip(row.bc_success, row.bc_collision,
                                                         strict=True))


def regime_row(spec: PretrainSpec, regime: Regime, runs: dict[str, list[Artifact]],
               targets: dict[str, list[Artifact]], base: list[Artifact],
               base_targets: list[Artifact], dataset: Artifact) -> RegimeRow:
    """The regime's comparison: ``runs[arm]`` and ``targets[arm]`` in seed order (the
    baseline's are ``base`` and ``base_targets``)."""
    seeds = [r.manifest["seeds"][0] for r in base]
    for name, arm_runs in runs.items():
        if [r.manifest["seeds"][0] for r in arm_runs] != seeds:
            raise ValueError(f"regime '{regime.name}', arm '{name}': runs of seeds "
                             f"{[r.manifest['seeds'][0] for r in arm_runs]}, not the matched "
                             f"seeds {seeds}")
    rows = {ArmName.BASELINE: arm_row(spec, ArmName.BASELINE, base, base, base_targets,
                                      base_targets)}
    for name, arm_runs in runs.items():
        rows[name] = arm_row(spec, name, arm_runs, base, targets[name], base_targets)
    bc_below = {name: _bc_below(spec, rows[name]) for name in runs}
    versus = {name: recipe_versus(spec, rows[ArmName.PRETRAINED], rows[name])
              for name in runs if name != ArmName.PRETRAINED}
    sentence = pays(spec, rows, bc_below)
    if versus:
        sentence = sentence[:-1] + "; " + _recipe_words(versus) + "."
    d = DatasetMetrics.from_json(dataset.metrics)
    demo = dataset.manifest.get("dataset", {}).get("demonstrator")
    return RegimeRow(regime=regime.name, axis=regime.axis, label=_label(regime),
                     scenario=regime.scenario.name, dataset_id=dataset.id,
                     dataset_episodes=d.episodes, dataset_steps=d.steps, arms=rows,
                     bc_below_target=bc_below, pays=sentence, demonstrator=demo,
                     recipe_vs=versus or None)


def _quality(dataset: Artifact) -> DemonstratorQuality:
    """A demonstrator's measured quality beside its recorded episodes' outcomes (both on the
    fine-tuning scenario, on disjoint episodes)."""
    demo = dataset.manifest["dataset"]["demonstrator"]
    cov = DatasetMetrics.from_json(dataset.metrics).coverage
    outcomes = cov["outcomes"]
    total = sum(outcomes.values())
    return DemonstratorQuality(
        name=demo["name"], epsilon=demo["epsilon"],
        quality=EvalSummary.from_json(demo["quality"]),
        recorded_success=outcomes.get("success", 0) / total,
        recorded_collision=outcomes.get("collision", 0) / total, recorded_episodes=total)


def summarise_regimes(spec: PretrainSpec, regimes: RegimesSpec,
                      runs: dict[str, dict[str, list[Artifact]]],
                      targets: dict[str, dict[str, list[Artifact]]],
                      baselines: dict[str, tuple[list[Artifact], list[Artifact]]],
                      datasets: dict[str, Artifact], expert: Artifact,
                      store: Store) -> Artifact:
    """The ``regime_map`` artefact. Per regime name: ``runs`` and ``targets`` by pre-trained
    arm (seed order), ``baselines`` (runs, targets) and ``datasets`` (what its arms cloned)."""
    for r in regimes.regimes:
        if r.name not in runs or not all(runs[r.name].get(a.name.split("@")[0])
                                         for a in r.arms if a.pretrained):
            raise ValueError(f"regime '{r.name}' has no runs: the map cannot show it")

    def build(b: Build) -> None:
        rows = [regime_row(spec, r, runs[r.name], targets[r.name], *baselines[r.name],
                           datasets[r.name]) for r in regimes.regimes]
        quality = [_quality(datasets[r.name]) for r in regimes.regimes if r.axis == QUALITY]
        b.metrics = RegimeMapMetrics(
            rows=rows, demonstrators=quality,
            expert_training_steps=sum(ExpertMetrics.from_json(expert.metrics)
                                      .expert_training_steps.values())).to_json()
        b.status = "complete"
        (b.dir / "regimes.json").write_text(json.dumps(regimes.config(), indent=1))

    inputs = [expert, *datasets.values()]
    for r in regimes.regimes:
        inputs += [*baselines[r.name][0], *baselines[r.name][1]]
        for arm_runs in runs[r.name].values():
            inputs += arm_runs
        for arm_targets in targets[r.name].values():
            inputs += arm_targets
    unique = list({a.id: a for a in inputs}.values())
    return store.get_or_build("regime_map", {"stage": "regime_map", **regimes.config(),
                                             "comparison": spec.comparison_config()},
                              list(regimes.seeds), build, inputs=unique)
