"""Whole-spec checks run at load, before anything trains: cross-field rules, the base spec on its
own, and errors located where the offending value is written.

A profile is deep-merged over the base; a value that comes from the profile is reported at its
real path (``profiles.smoke.expert.budget``), and the base is validated on its own too, so a bad
base value hidden by the chosen profile is still an error.

Cross-field rules (each names the field that breaks it and the value it must agree with):

- ``shift.budget`` equals ``pretraining.budget``: the shift experiment reuses the comparison's own
  baseline runs, which were trained for ``pretraining.budget``, beside its two arms.
- ``shift.seeds`` are pre-training seeds: not allowed otherwise, for the same reason (a seed
  outside would train baseline runs that no comparison contains and no test is parametrised
  over).
- an evaluation interval fits in its budget (``eval.every <= budget``), and the budget holds
  enough evaluations (at step 0, then every E) for K consecutive passes, for the number of
  unlearning evaluations, and for the fine-tuning warm-ups to end.
- an evaluation interval is a multiple of ``ppo.n_envs``, so that every evaluation lands exactly
  on its grid step (the vectorised env advances ``n_envs`` steps at a time).
- a budget fits the block of episode seeds every training run owns (:mod:`harness.seeds`).
- the size study's sizes lie below ``dataset.episodes`` (the full dataset is the comparison's).
- every range of episode seeds the study reserves fits its purpose (:mod:`harness.spec.seed_plan`),
  and every declared family's ``reset`` takes the largest seed the study will use.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from harness.names import ArmName
from harness.seeds import block_size
from harness.spec.errors import SpecError
from harness.spec.seed_plan import probe_largest_seed, study_ranges
from harness.spec.study import Study, deep_merge, parse_study


def checked_study(base: dict, override: object, profile: str, path: str | Path) -> Study:
    """The study of ``profile``: parsed, with cross-field rules checked, and the base spec
    checked on its own; raises :class:`SpecError` at the real location of the problem."""
    if not isinstance(override, dict):
        raise SpecError(path, f"profiles.{profile}", "a mapping (a partial spec)", override)
    try:
        study = parse_study(deep_merge(base, override), path, profile)
        check_rules(study)
        study_ranges(study)  # every range fits its purpose of the seed plan
    except SpecError as exc:
        raise relocate(exc, override, profile) from None
    probe_largest_seed(study)
    if override:
        base_study = parse_study(base, path, "<base>")
        check_rules(base_study)
        if study.shift is None and base_study.shift is not None:
            study = replace(study, shift_deviation=(
                f"the base spec declares a distribution-shift experiment and profile "
                f"'{profile}' removes it (profiles.{profile}.shift: null): SHIFT was not run"))
    return study


def relocate(exc: SpecError, override: dict, profile: str) -> SpecError:
    """The same error at ``profiles.<profile>.<field>`` when the profile sets that field."""
    node: object = override
    for part in exc.field.split("."):
        name, _, index = part.partition("[")  # a list item: "demonstrators[3]"
        if not isinstance(node, dict) or name not in node:
            return exc
        node = node[name]
        if index:
            k = int(index.rstrip("]"))
            if not isinstance(node, list) or k >= len(node):
                return exc
            node = node[k]
    return SpecError(exc.file, f"profiles.{profile}.{exc.field}", exc.expected, exc.found)


def evaluations(budget: int, every: int) -> int:
    """Periodic evaluations a run holds: one at step 0, then one every ``every`` steps."""
    return budget // every + 1


def check_rules(study: Study) -> None:
    """Raise the first broken cross-field rule as a :class:`SpecError`."""
    f = study.file
    ex, pre, sh = study.expert, study.pretraining, study.shift
    n_envs, rollout = ex.ppo.n_envs, ex.ppo.n_envs * ex.ppo.n_steps
    for field, every in (("expert.eval.every", ex.eval.every),
                         ("pretraining.eval.every", pre.eval.every)):
        if every % n_envs:
            near = n_envs * max(1, round(every / n_envs))
            raise SpecError(f, field, f"a multiple of expert.ppo.n_envs = {n_envs}, so that each "
                            f"evaluation lands exactly on its grid step (e.g. {near})", every)
    for field, budget, purpose in (("expert.budget", ex.budget, "expert_training"),
                                   ("pretraining.budget", pre.budget, "comparison_training")):
        block = block_size(purpose)
        if budget + rollout > block:
            raise SpecError(f, field, f"at most {block - rollout:,} steps: a run plays at most "
                            f"one episode per step, and its episodes must fit its block of "
                            f"{block:,} episode seeds ({purpose}, harness.seeds.LAYOUT)", budget)
    if ex.eval.every > ex.budget:
        raise SpecError(f, "expert.eval.every", f"<= expert.budget = {ex.budget}",
                        ex.eval.every)
    if evaluations(ex.budget, ex.eval.every) < ex.convergence.consecutive:
        raise SpecError(f, "expert.convergence.consecutive", f"<= the "
                        f"{evaluations(ex.budget, ex.eval.every)} evaluations expert.budget "
                        f"holds at eval.every = {ex.eval.every}", ex.convergence.consecutive)
    if pre.eval.every > pre.budget:
        raise SpecError(f, "pretraining.eval.every", f"<= pretraining.budget = {pre.budget}",
                        pre.eval.every)
    n = evaluations(pre.budget, pre.eval.every)
    if n < pre.consecutive:
        raise SpecError(f, "pretraining.target.consecutive", f"<= the {n} evaluations "
                        f"pretraining.budget holds at eval.every = {pre.eval.every}",
                        pre.consecutive)
    if n - 1 < pre.unlearning_evals:  # evaluations 1..N after step 0 (the BC policy's)
        raise SpecError(f, "pretraining.criteria.unlearning_evals", f"<= the {n - 1} "
                        f"evaluations after step 0 that pretraining.budget holds at eval.every "
                        f"= {pre.eval.every}", pre.unlearning_evals)
    recipe = pre.arm(ArmName.PRETRAINED).finetune
    warmups = recipe.critic_warmup_steps + recipe.actor_warmup_steps
    if warmups >= pre.budget:
        raise SpecError(f, "pretraining.finetune.actor_warmup_steps",
                        f"critic_warmup_steps + actor_warmup_steps < pretraining.budget = "
                        f"{pre.budget}", f"{recipe.critic_warmup_steps} + "
                        f"{recipe.actor_warmup_steps}")

    def full_rate(m: int) -> int:  # window evaluations after both warm-ups
        return sum(j * pre.eval.every >= warmups for j in range(1, m + 1))

    # issue 23: the window is fine-tuning proper, not the warm-ups alone (or all there is)
    m = pre.unlearning_evals
    if 2 * full_rate(m) < m and m < n - 1:
        need = next(k for k in range(m, n) if 2 * full_rate(k) >= k or k == n - 1)
        raise SpecError(f, "pretraining.criteria.unlearning_evals",
                        f"a window with at least half its evaluations after the recipe's "
                        f"warm-ups ({warmups:,} steps), where the actor learns at its full "
                        f"rate, or every evaluation of the budget ({n - 1}): {full_rate(m)} of "
                        f"{m} are; {need} evaluations would do", m)
    if sh is not None and sh.budget != pre.budget:
        raise SpecError(f, "shift.budget", f"pretraining.budget = {pre.budget} (the shift "
                        f"experiment reuses the comparison's baseline runs)", sh.budget)
    if pre.sizes is not None and pre.sizes.sizes[-1] >= study.dataset.episodes:
        raise SpecError(f, "pretraining.sizes.episodes", f"sizes below dataset.episodes = "
                        f"{study.dataset.episodes} (the full dataset is the comparison itself)",
                        list(pre.sizes.sizes))
    outside = [s for s in sh.seeds if s not in pre.seeds] if sh is not None else []
    if outside:
        raise SpecError(f, "shift.seeds", f"pre-training seeds, a subset of {list(pre.seeds)} "
                        f"(the shift experiment reuses the comparison's baseline runs)",
                        list(sh.seeds))
