"""Every range of episode seeds a study reserves, with the spec field that decides it.

:mod:`harness.seeds` lays out the purposes and blocks; this module applies that layout to one
study (every expert seed's training block, every arm run's, every dataset's, every evaluation
span) so that three things read the same list: the spec check that every range fits its purpose
(an error naming the field that asked for too much), the environment probe that resets each
declared family with the largest seed the study will use (:func:`probe_largest_seed`), and the
tests of disjointness.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.seeds import (
    DEMONSTRATOR_STREAMS,
    SeedRange,
    own_evaluations,
    recording_seeds,
    training_block,
)


@dataclass(frozen=True)
class PlannedRange:
    label: str
    """What plays these seeds (e.g. ``naive seed 3``)."""
    field: str
    """The spec field that asks for them (e.g. ``pretraining.seeds``)."""
    range: SeedRange


def study_ranges(study) -> list[PlannedRange]:
    """Every range the spec reserves, labelled by run and located by field. Raises
    :class:`SpecError` naming the field whose range does not fit its purpose."""
    from harness.spec.errors import SpecError

    out: list[PlannedRange] = []

    def add(label: str, field: str, make: Callable[[], SeedRange]) -> None:
        try:
            out.append(PlannedRange(label, field, make()))
        except ValueError as exc:
            raise SpecError(study.file, field, "a value whose episode seeds fit the seed plan "
                            "(harness.seeds.LAYOUT)", str(exc)) from None

    e, p, sh = study.expert, study.pretraining, study.shift
    for s in e.seeds:
        add(f"expert seed {s}", "expert.seeds",
            lambda s=s: training_block("expert_training", "expert", s))
    arms = [(a, s, "pretraining.seeds") for a in p.arms for s in p.seeds]
    if sh is not None:
        arms += [(a, s, "shift.seeds") for a in sh.arms for s in sh.seeds]
    if p.sizes is not None:
        arms += [(p.sized_arm(a.name, n), s, "pretraining.sizes.seeds") for n in p.sizes.sizes
                 for a in p.arms if a.pretrained for s in p.sizes.seeds]
    rg = study.regimes
    regime_arms = [(a, s) for r in rg.regimes for a in r.arms for s in rg.seeds] if rg else []
    arms += [(a, s, "regimes.seeds") for a, s in regime_arms]
    for arm, s, field in arms:
        add(f"{arm.name} seed {s}", field,
            lambda a=arm, s=s: training_block("comparison_training", a.seed_stream, s))
    if p.confirmation is not None:  # at most one confirmation per grid step
        grid = len(p.eval.grid(p.budget))
        for arm in p.arms:
            for s in p.seeds:
                add(f"{arm.name} seed {s} confirmations", "pretraining.confirmation.episodes",
                    lambda a=arm, s=s: own_evaluations("comparison_confirmation_eval",
                                                       a.seed_stream, s, grid,
                                                       p.confirmation.episodes))
        for arm, s in regime_arms:
            add(f"{arm.name} seed {s} confirmations", "pretraining.confirmation.episodes",
                lambda a=arm, s=s: own_evaluations("comparison_confirmation_eval",
                                                   a.seed_stream, s, grid,
                                                   p.confirmation.episodes))
    add("dataset", "dataset.episodes", study.dataset.seed_range)
    if sh is not None:
        for name, stream in (("shifted dataset", "shift_dataset"),
                             ("matched dataset", "shift_matched_dataset")):
            add(name, "shift.episodes_per_dataset",
                lambda st=stream: recording_seeds(st, sh.episodes_per_dataset))
    if rg is not None:
        for k, d in enumerate(rg.demonstrators):
            add(f"demonstrator {d.name} dataset", "regimes.quality.episodes",
                lambda k=k: recording_seeds(DEMONSTRATOR_STREAMS[k], rg.quality_episodes))
        if rg.demonstrators:  # one quality set every demonstrator plays (paired)
            add("demonstrator quality", "regimes.quality.quality_episodes",
                rg.demonstrators[0].quality_set)
    add("expert periodic evaluations", "expert.eval.episodes", lambda: e.eval.span(e.budget))
    add("expert final evaluation", "expert.final_eval.episodes", e.final_set)
    add("comparison periodic evaluations", "pretraining.eval.episodes",
        lambda: p.eval.span(p.budget))
    add("comparison final evaluation", "pretraining.final_episodes", p.final_set)
    if sh is not None:
        add("shift evaluations", "shift.episodes", lambda: sh.span(len(p.eval.grid(sh.budget))))
    return out


def largest_seed(study) -> PlannedRange:
    """The range that holds the largest episode seed the study may hand to ``reset``."""
    return max(study_ranges(study), key=lambda r: r.range.stop)


def probe_largest_seed(study) -> None:
    """Reset every declared family with the largest seed the study may use (and the smallest),
    so that an environment that cannot take the seed plan fails here, before any training,
    instead of at the first reset of some run. Raises :class:`SpecError` naming the family."""
    if study.environment is None:  # the built-in simulator seeds a PCG64 with any integer
        return
    from harness.spec.errors import SpecError

    top = largest_seed(study)
    seed = top.range.stop - 1
    lowest = min(r.range.start for r in study_ranges(study))
    for name, family in study.environment.items():
        env, s = None, None
        field = "environment" if name == family.environment else f"environment.families.{name}"
        try:
            env = family.make()
            for s in (lowest, seed):
                env.reset(seed=s)
        except Exception as exc:  # the user's env may raise anything: name what failed
            raise SpecError(study.file, field, f"an environment "
                            f"whose reset(seed=...) accepts every episode seed of the study, "
                            f"[{lowest:,}, {seed:,}] (the largest: {top.label}, from "
                            f"{top.field}; harness.seeds keeps every seed below 2**32)",
                            f"making '{family.label()}' raised {exc!r}" if s is None else
                            f"reset(seed={s}) raised {exc!r}") from None
        finally:
            if env is not None:
                env.close()
