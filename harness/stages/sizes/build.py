"""The ``size_study`` artefact: how many demonstrations the pre-trained arms need (issue 12).

For every declared dataset size (nested subsets of the study dataset) and for the full dataset
(the comparison's own runs), each pre-trained arm against the baseline on matched seeds, with the
statistics of the comparison (:mod:`harness.stages.comparison.build`): T per seed (censored
at the budget, never dropped), IQM(T) with its bootstrap interval, the IQM ratio to the baseline
with its interval, the BC policy's own success and collisions, the largest drop below BC, final
success and collisions; SC-003 per size (ratio <= ``ratio_max`` and the interval's upper bound
< 1, on that size's seeds); the recipe against each other arm per size; and, per arm, the
smallest size at which SC-003 holds ("demonstrations needed").
"""

from __future__ import annotations

from harness import stats
from harness.core.store import Artifact, Build, Store
from harness.names import ArmName
from harness.stages.comparison.build import arm_row, recipe_versus
from harness.stages.comparison.records import ArmRow
from harness.stages.dataset.records import DatasetMetrics
from harness.stages.pretraining.config import PretrainSpec
from harness.stages.sizes.records import DemonstrationsNeeded, SizeRow, SizeStudyMetrics


def summarise_sizes(spec: PretrainSpec, baseline: dict[int, Artifact],
                    sized: dict[int, dict[str, dict[int, Artifact]]],
                    datasets: dict[int, Artifact], store: Store,
                    targets: dict | None = None) -> Artifact:
    """The ``size_study`` artefact.

    ``baseline[seed]`` is the comparison's baseline run of ``seed``; ``sized[episodes][arm]
    [seed]`` the run of a pre-trained arm on the dataset of that many episodes
    (``datasets[episodes]``); the largest size's runs are the comparison's own. With
    ``targets`` (the same nesting, the baseline's under ``"baseline"`` by seed), T is the
    confirmed one (issue 24: the statistics of SC-003); else it is read from the periodic
    evaluations."""
    pretrained = [a.name for a in spec.arms if a.pretrained]
    sizes = sorted(sized)

    def build(b: Build) -> None:
        rows = [_size_row(spec, n, sized[n], baseline, datasets[n], pretrained,
                          targets[n] if targets else None,
                          targets[ArmName.BASELINE] if targets else None) for n in sizes]
        needed = {arm: _needed(arm, rows) for arm in pretrained}
        beats = {other: [r.episodes for r in rows if _recipe_better(r.recipe_vs[other])]
                 for other in pretrained if other != ArmName.PRETRAINED}
        b.metrics = SizeStudyMetrics(sizes=rows, needed=needed, recipe_beats=beats).to_json()
        b.status = "complete"

    inputs = [*(datasets[n] for n in sizes), *(baseline[s] for s in sorted(baseline)),
              *(run for n in sizes for arm in pretrained
                for _, run in sorted(sized[n][arm].items()))]
    if targets:
        inputs += [*(targets[ArmName.BASELINE][s] for s in sorted(targets[ArmName.BASELINE])),
                   *(t for n in sizes for arm in pretrained
                     for _, t in sorted(targets[n][arm].items()))]
    return store.get_or_build("size_study", {**spec.size_study_config(),
                                             "confirmed": bool(targets)},
                              list(spec.sizes.seeds), build, inputs=inputs)


def _size_row(spec: PretrainSpec, episodes: int, runs: dict[str, dict[int, Artifact]],
              baseline: dict[int, Artifact], dataset: Artifact, pretrained: list[str],
              targets: dict[str, dict[int, Artifact]] | None = None,
              base_targets: dict[int, Artifact] | None = None) -> SizeRow:
    seeds = sorted(runs[pretrained[0]])
    for arm in pretrained:
        if sorted(runs[arm]) != seeds:
            raise ValueError(f"size {episodes}: arm '{arm}' ran seeds {sorted(runs[arm])}, not "
                             f"the matched seeds {seeds}")
    missing = [s for s in seeds if s not in baseline]
    if missing:
        raise ValueError(f"size {episodes}: no baseline run of seeds {missing}")
    base = [baseline[s] for s in seeds]
    base_t = [base_targets[s] for s in seeds] if base_targets else None
    arms: dict[str, ArmRow] = {ArmName.BASELINE: arm_row(spec, ArmName.BASELINE, base, base,
                                                         base_t, base_t)}
    for arm in pretrained:
        arms[arm] = arm_row(spec, arm, [runs[arm][s] for s in seeds], base,
                            [targets[arm][s] for s in seeds] if targets else None, base_t)
    iqm_ci = {name: list(stats.iqm_ci(row.time_to_target, spec.bootstrap)[1:])
              for name, row in arms.items()}
    meets = {arm: _meets_sc003(spec, arms[arm]) for arm in pretrained}
    recipe = arms[ArmName.PRETRAINED]
    return SizeRow(episodes=episodes,
                   transitions=DatasetMetrics.from_json(dataset.metrics).steps,
                   dataset=dataset.id, seeds=seeds, arms=arms, iqm_time_ci=iqm_ci,
                   meets_sc003=meets,
                   recipe_vs={other: recipe_versus(spec, recipe, arms[other])
                              for other in pretrained if other != ArmName.PRETRAINED})


def _meets_sc003(spec: PretrainSpec, row: ArmRow) -> bool:
    """SC-003 on this size's seeds: IQM ratio <= ratio_max and its interval below 1."""
    return bool(row.ratio is not None and row.ratio <= spec.ratio_max
                and row.ratio_ci[1] < 1.0)


def _needed(arm: str, rows: list[SizeRow]) -> DemonstrationsNeeded:
    """The smallest size at which ``arm`` meets SC-003, and whether it holds at every larger."""
    for i, row in enumerate(rows):
        if row.meets_sc003[arm]:
            r = row.arms[arm]
            return DemonstrationsNeeded(
                arm=arm, episodes=row.episodes, ratio=r.ratio, ratio_ci=r.ratio_ci,
                holds_above=all(x.meets_sc003[arm] for x in rows[i:]), at_floor=i == 0)
    return DemonstrationsNeeded(arm=arm)


def _recipe_better(v) -> bool:
    """The recipe is better than the other arm: an interval in its favour on T or the drop."""
    return v.t_verdict == "better" or v.drop_verdict == "better"
