"""Typed metric records: the one schema that writers, experiments and the report share.

This module holds the base :class:`Record` and the records several stages share (evaluation
summaries, learning-curve points, dataset coverage); each stage's own records live in its folder
(``harness/stages/<stage>/records.py``).

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


