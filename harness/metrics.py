"""Typed metric records: the one schema that writers, experiments and the report share.

Every stage writes its metrics as one of these frozen records (``to_json`` gives the manifest's
mapping) and every reader parses them back (``from_json``), so a renamed or missing key fails
where it is read, with the record and the field named, not at the end of a study as a KeyError
in a template. Key names and nesting are those of the manifests (``return`` is ``return_`` in
Python).

Input convention of the per-seed lists (as rliable): index ``i`` of every list of an arm's row is
the same seed, ``seeds[i]``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

R = TypeVar("R", bound="Record")


class SchemaError(ValueError):
    """A metrics mapping does not fit its record: names the record, the field and the value."""


class Record:
    """Base of the records: JSON (de)serialisation driven by the dataclass fields."""

    RENAMES: ClassVar[dict[str, str]] = {}
    """Python field name -> JSON key, where they differ."""
    OPTIONAL: ClassVar[frozenset[str]] = frozenset()
    """Fields left out of the JSON when None (absent for some kinds of run)."""

    def to_json(self) -> dict:
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None and f.name in self.OPTIONAL:
                continue
            out[self.RENAMES.get(f.name, f.name)] = _dump(value)
        return out

    @classmethod
    def from_json(cls: type[R], data: dict) -> R:
        if not isinstance(data, dict):
            raise SchemaError(f"{cls.__name__}: expected a mapping, found {type(data).__name__}")
        hints = typing.get_type_hints(cls)
        kwargs = {}
        names = set()
        for f in dataclasses.fields(cls):
            key = cls.RENAMES.get(f.name, f.name)
            names.add(key)
            if key not in data:
                if f.name in cls.OPTIONAL or f.default is not dataclasses.MISSING:
                    continue
                raise SchemaError(f"{cls.__name__}: field '{key}' missing "
                                  f"(has {sorted(data)})")
            kwargs[f.name] = _load(hints[f.name], data[key], f"{cls.__name__}.{key}")
        unknown = set(data) - names
        if unknown:
            raise SchemaError(f"{cls.__name__}: unknown fields {sorted(unknown)}")
        return cls(**kwargs)


def _dump(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_json()
    if isinstance(value, (list, tuple)):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value


def _load(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _load(inner[0], value, where) if len(inner) == 1 else value
    if isinstance(tp, type) and issubclass(tp, Record):
        try:
            return tp.from_json(value)
        except SchemaError as exc:
            raise SchemaError(f"{where}: {exc}") from None
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise SchemaError(f"{where}: expected a list, found {value!r}")
        item = args[0] if args else Any
        out = [_load(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(out) if origin is tuple else out
    if origin is dict:
        if not isinstance(value, dict):
            raise SchemaError(f"{where}: expected a mapping, found {value!r}")
        item = args[1] if len(args) == 2 else Any
        return {k: _load(item, v, f"{where}.{k}") for k, v in value.items()}
    return value


# ----------------------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class Distribution(Record):
    """Mean, std and quantiles of a sample (reward, length, clearance)."""

    mean: float
    std: float
    min: float
    q05: float
    q25: float
    median: float
    q75: float
    q95: float
    max: float


@dataclass(frozen=True)
class EvalSummary(Record):
    """A deterministic evaluation: rates with Wilson 95% intervals and distributions."""

    RENAMES: ClassVar[dict[str, str]] = {"return_": "return"}

    episodes: int
    success_rate: float
    success_ci: list[float]
    collision_rate: float
    collision_ci: list[float]
    timeout_rate: float
    timeout_ci: list[float]
    successes: int
    collisions: int
    timeouts: int
    collisions_by_kind: dict[str, int]
    return_: Distribution
    length: Distribution
    min_clearance: Distribution


@dataclass(frozen=True)
class FamilyRates(Record):
    """One scenario family's share of an evaluation: its rates with Wilson 95% intervals."""

    episodes: int
    success_rate: float
    success_ci: list[float]
    collision_rate: float
    collision_ci: list[float]
    timeout_rate: float

    @classmethod
    def of(cls, summary: EvalSummary) -> FamilyRates:
        return cls(episodes=summary.episodes, success_rate=summary.success_rate,
                   success_ci=list(summary.success_ci), collision_rate=summary.collision_rate,
                   collision_ci=list(summary.collision_ci), timeout_rate=summary.timeout_rate)


@dataclass(frozen=True)
class CurvePoint(Record):
    """One periodic evaluation of a learning curve (its own episode set). The rates are over
    all its episodes; of a scenario mix, ``families`` has each family's (``episodes`` each)."""

    RENAMES: ClassVar[dict[str, str]] = {"return_": "return"}
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"families"})

    timesteps: int
    wall_seconds: float
    episode_seeds: list[int]
    success_rate: float
    success_ci: list[float]
    collision_rate: float
    collision_ci: list[float]
    timeout_rate: float
    return_: Distribution
    episode_length: float
    families: dict[str, FamilyRates] | None = None


# ----------------------------------------------------------------------------- expert
@dataclass(frozen=True)
class SeedCheck(Record):
    """One expert seed against the promotion gate: over all its final episodes, or (with
    ``family``) over one scenario family's."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"family"})

    seed: int
    episodes: int
    success_rate: float
    success_ci: tuple[float, float]
    collision_rate: float
    collision_ci: tuple[float, float]
    timeout_rate: float
    passed: bool
    failures: tuple[str, ...]
    family: str | None = None


@dataclass(frozen=True)
class Decision(Record):
    """The promotion decision over every expert seed."""

    status: str
    """"approved" or "rejected"."""
    seeds: tuple[SeedCheck, ...]
    diagnostics: tuple[str, ...] = ()
    chosen_seed: int | None = None
    """The seed whose policy is published as the expert (best final success, then collisions)."""
    families: tuple[SeedCheck, ...] = ()
    """Of an expert trained on a scenario mix: every (seed, family) against the gate, which
    holds per family (a seed passes only when each of its families does)."""


@dataclass(frozen=True)
class ExpertMetrics(Record):
    """The ``expert`` artefact's metrics."""

    decision: Decision
    converged_at: dict[str, int | None]
    expert_training_steps: dict[str, int]


# ----------------------------------------------------------------------------- datasets
@dataclass(frozen=True)
class ValidationSummary(Record):
    ok: bool
    checks: list[str]
    failures: int


@dataclass(frozen=True)
class DatasetMetrics(Record):
    """The ``dataset`` artefact's metrics (``coverage`` as recorded in its metadata)."""

    episodes: int
    steps: int
    validation: ValidationSummary
    coverage: dict


@dataclass(frozen=True)
class PlaybackRow(Record):
    episode: int
    seed: int
    outcome_recorded: str
    matches: bool | None
    """None: not replayed (the environment is not deterministic under reset(seed))."""
    gif: str | None
    """None: no frames (not replayable, or no rgb_array rendering)."""
    mp4: str | None = None

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"mp4"})


@dataclass(frozen=True)
class InspectionMetrics(Record):
    """The ``dataset_inspection`` artefact's metrics: replay checks and anomaly counts."""

    anomaly_counts: dict[str, int]
    outcomes: dict[str, int]
    replay_matches: int
    replayed_episodes: int
    replay_mismatches: int
    playback: list[PlaybackRow]
    replayable: bool | None = None
    """False when the environment is not deterministic under reset(seed): nothing replayed."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"replayable"})


# ----------------------------------------------------------------------------- runs
@dataclass(frozen=True)
class ExpertRunMetrics(Record):
    """One expert seed's training (``expert_run``). Of a scenario mix, ``final_eval`` pools
    every family's final episodes and ``final_by_family`` has each family's."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"final_by_family"})

    converged_at: int | None
    """Step of the first of K consecutive evaluations at the thresholds (None: never)."""
    timesteps: int
    train_wall_seconds: float
    steps_per_second: float
    final_eval: EvalSummary
    last_periodic_eval: CurvePoint
    final_by_family: dict[str, EvalSummary] | None = None


@dataclass(frozen=True)
class ArmRunMetrics(Record):
    """One (arm, seed) run of the comparison (``arm_run``); the BC fields are absent for the
    baseline."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({
        "bc_curve", "bc_eval", "critic_curve", "bc_success_on_periodic_sets",
        "dataset_transitions", "bc_train_episodes", "bc_val_episodes"})

    time_to_target: int | None
    censored: bool
    budget: int
    timesteps: int
    final_eval: EvalSummary
    train_wall_seconds: float
    auc: float
    bc_curve: list[dict] | None = None
    bc_eval: EvalSummary | None = None
    critic_curve: list[dict] | None = None
    bc_success_on_periodic_sets: list[float] | None = None
    """The BC policy's success on the episode sets of evaluations 1..N (paired with them)."""
    dataset_transitions: int | None = None
    bc_train_episodes: int | None = None
    bc_val_episodes: int | None = None


# ----------------------------------------------------------------------------- comparison
@dataclass(frozen=True)
class ArmRow(Record):
    """One arm over the matched seeds; ratio fields are absent for the baseline."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({
        "ratio", "ratio_ci", "per_seed_ratio", "probability_of_improvement", "at_step_zero",
        "bc_success", "bc_collision", "unlearning_drop", "dataset_transitions"})

    seeds: list[int]
    time_to_target: list[float]
    """T per seed; censored runs at the budget."""
    censored: list[bool]
    iqm_time: float
    final_success: list[float]
    final_collision: list[float]
    final_episodes: int
    auc: list[float]
    run_ids: list[str]
    final_success_mean_ci: list[float]
    """(mean, lower, upper) over seeds."""
    final_collision_mean_ci: list[float]
    auc_mean_ci: list[float]
    ratio: float | None = None
    ratio_ci: list[float] | None = None
    per_seed_ratio: list[float] | None = None
    probability_of_improvement: float | None = None
    at_step_zero: int | None = None
    """Seeds with T = 0: at target before any online step."""
    bc_success: list[float] | None = None
    bc_collision: list[float] | None = None
    unlearning_drop: list[float] | None = None
    dataset_transitions: int | None = None


@dataclass(frozen=True)
class LevelRow(Record):
    """An arm's times at a sensitivity level."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({
        "ratio", "ratio_ci", "per_seed_ratio", "probability_of_improvement", "at_step_zero"})

    time_to_target: list[float]
    censored: list[bool]
    iqm_time: float
    ratio: float | None = None
    ratio_ci: list[float] | None = None
    per_seed_ratio: list[float] | None = None
    probability_of_improvement: float | None = None
    at_step_zero: int | None = None


@dataclass(frozen=True)
class Level(Record):
    label: str
    success: float
    collision: float
    consecutive: int
    deviation: str | None


@dataclass(frozen=True)
class SensitivityLevel(Record):
    level: Level
    arms: dict[str, LevelRow]


@dataclass(frozen=True)
class FinalDifference(Record):
    """Final success of an arm minus the baseline's, paired by seed."""

    difference: float
    ci: list[float]
    margin: float
    passed: bool


@dataclass(frozen=True)
class RecipeVersus(Record):
    """The recipe minus an ablation, paired by seed: largest drop below BC and IQM T."""

    drop_difference: float
    drop_ci: list[float]
    drop_verdict: str
    t_difference: float
    t_ci: list[float]
    t_verdict: str
    drop_margin: float
    t_margin: float
    passed: bool


@dataclass(frozen=True)
class ComparisonMetrics(Record):
    """The ``comparison`` artefact's metrics."""

    arms: dict[str, ArmRow]
    baseline_censored: int
    final_vs_baseline: dict[str, FinalDifference]
    recipe_vs: dict[str, RecipeVersus]
    sensitivity: dict[str, SensitivityLevel]
    expert_training_steps: dict[str, int]
    dataset_steps: int
    dataset_episodes: int


# ----------------------------------------------------------------------------- shift
@dataclass(frozen=True)
class ShiftCell(Record):
    """One arm of the shift experiment on one evaluated family, over the shift seeds.

    Rates pool every seed's episodes (``seeds x episodes``) with Wilson 95% intervals; T and
    curve area are per seed (index ``i`` = ``seeds[i]``) with bootstrap intervals over seeds.
    The BC fields (the policy before any online step) are absent for the baseline."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({
        "bc_success", "bc_success_ci", "bc_collision", "bc_collision_ci", "bc_per_seed"})

    final_success: float
    final_success_ci: list[float]
    final_collision: float
    final_collision_ci: list[float]
    final_per_seed: list[float]
    """Final success per seed."""
    time_to_target: list[float]
    """T per seed on this family's learning curve; censored runs at the budget."""
    censored: list[bool]
    iqm_time: list[float]
    """(IQM, lower, upper) over seeds."""
    auc: list[float]
    """Area under this family's success curve per seed, normalised to [0, 1]."""
    auc_mean_ci: list[float]
    """(mean, lower, upper) over seeds."""
    bc_success: float | None = None
    bc_success_ci: list[float] | None = None
    bc_collision: float | None = None
    bc_collision_ci: list[float] | None = None
    bc_per_seed: list[float] | None = None


@dataclass(frozen=True)
class ShiftRunMetrics(Record):
    """One arm run's ``shift_run`` evaluation (per-episode outcomes in its ``outcomes.json``):
    success per evaluated family of its final and (pre-trained arms) BC policy."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"bc_success"})

    arm: str
    seed: int
    final_success: dict[str, float]
    bc_success: dict[str, float] | None = None


@dataclass(frozen=True)
class ShiftDifference(Record):
    """The shifted-data arm minus a reference arm on one family: success (per-episode pairs,
    :func:`harness.stats.paired_rate_ci`), and for the fine-tuned policies T and curve area
    (paired by seed)."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({
        "t_difference", "t_ci", "t_verdict", "auc_difference", "auc_ci", "auc_verdict"})

    family: str
    stage: str
    """"fine-tuned" (the final policies: asserted) or "bc" (before fine-tuning: reported)."""
    reference: str
    """"matched" (the matched-data arm) or "baseline"."""
    success: float
    reference_success: float
    difference: float
    ci: list[float]
    margin: float
    verdict: str
    """"regression", "within margin" or "inconclusive" (:func:`harness.stats.shift_verdict`)."""
    t_difference: float | None = None
    """IQM(T shifted) - IQM(T reference) in online steps, paired by seed."""
    t_ci: list[float] | None = None
    t_verdict: str | None = None
    auc_difference: float | None = None
    auc_ci: list[float] | None = None
    auc_verdict: str | None = None


@dataclass(frozen=True)
class Regression(Record):
    """A named regression: the shifted-data arm worse than ``reference`` on ``family`` by more
    than the margin, the 95% interval of the difference below 0."""

    arm: str
    family: str
    stage: str
    reference: str
    success: float
    reference_success: float
    drop: float
    ci: list[float]
    margin: float


@dataclass(frozen=True)
class DatasetCoverage(Record):
    """A dataset's contents and its gaps against the fine-tuning scenario's declared ranges
    (:meth:`harness.envs.environment.Environment.coverage`)."""

    id: str
    families: dict[str, int]
    from_families: list[str]
    """The families the ranges below were read from (the fine-tuning family's own episodes
    when the dataset has it, else every family)."""
    layouts: list[str]
    obstacles: list[int]
    pedestrians: list[int]
    start_goal_distance: list[float]
    gaps: list[str]
    descriptors: dict[str, list[float]] | None = None
    """A declared environment's descriptor ranges [min, max] (None for the simulator)."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"descriptors"})


@dataclass(frozen=True)
class ShiftMetrics(Record):
    """The ``shift`` artefact's metrics: every arm on every evaluated family, the shifted-data
    arm against the matched-data arm and the baseline, coverage, and the regressions."""

    cells: dict[str, dict[str, ShiftCell]]
    """arm ("baseline", "matched", "shifted") -> family -> cell."""
    differences: list[ShiftDifference]
    regressions: list[Regression]
    margin: float
    seeds: list[int]
    episodes: int
    budget: int
    target: dict
    """The target T is measured at (success, collision, consecutive), as the runs declared it."""
    fine_tuning_scenario: str
    declared: dict
    """The fine-tuning scenario's declared ranges (layout, counts, start-goal distance)."""
    coverage: dict[str, DatasetCoverage]
    """"shifted" and "matched" datasets."""
    run_ids: dict[str, list[str]]


# ----------------------------------------------------------------------------- size study
@dataclass(frozen=True)
class SizeRow(Record):
    """One dataset size of the size study: every arm over the size's matched seeds."""

    episodes: int
    """Demonstration episodes (the largest row is the full dataset: the comparison's runs)."""
    transitions: int
    dataset: str
    """The artefact the arms cloned (a ``dataset_subset``, or the full ``dataset``)."""
    seeds: list[int]
    arms: dict[str, ArmRow]
    """The pre-trained arms and the baseline (its runs on these seeds)."""
    iqm_time_ci: dict[str, list[float]]
    """Per arm: 95% percentile bootstrap interval of IQM(T) over seeds."""
    meets_sc003: dict[str, bool]
    """Per pre-trained arm: IQM ratio <= ratio_max and its interval's upper bound < 1."""
    recipe_vs: dict[str, RecipeVersus]
    """The recipe against each other pre-trained arm at this size."""


@dataclass(frozen=True)
class DemonstrationsNeeded(Record):
    """The smallest size at which an arm meets SC-003 (None: at none of the sizes)."""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"episodes", "ratio", "ratio_ci"})

    arm: str
    episodes: int | None = None
    ratio: float | None = None
    ratio_ci: list[float] | None = None
    holds_above: bool = False
    """Whether SC-003 also holds at every larger size."""


@dataclass(frozen=True)
class SizeStudyMetrics(Record):
    """The ``size_study`` artefact's metrics."""

    sizes: list[SizeRow]
    needed: dict[str, DemonstrationsNeeded]
    recipe_beats: dict[str, list[int]]
    """Per other arm: the sizes at which the recipe is better (an interval of T or of the drop
    below BC that excludes no difference, in the recipe's favour)."""
