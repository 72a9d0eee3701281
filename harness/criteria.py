"""Acceptance criteria: one call per criterion that formats the row, records it and asserts.

An experiment file reads as the list of its criteria::

    criteria.at_least("SC-001b", "expert seed 0 final success", 0.955, 0.90,
                      interval=(0.917, 0.976), artifact=run.id)
    criteria.all_of("SC-003", "sample efficiency", [Bound("IQM ratio", r, "<=", 0.70),
                                                   Bound("CI upper bound", hi, "<", 1.0)])

The value, the limit and the interval are given once; the threshold text, the measured text and
the pass/fail all come from them, so the row in the report cannot disagree with the assertion.
The row reaches the report (through ``record``) before the assertion fails the test.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq}


class CriterionFailed(AssertionError):
    """An acceptance criterion is not met (fails its test, gates CI)."""


class BlocksDownstream(Exception):  # noqa: N818 (a mixin of errors, not an error itself)
    """Mixin of the errors that stop every test downstream of a rejected artefact (an expert
    that failed its gate): such a test is *blocked*, not failed on its own, and the criteria it
    declares (``@pytest.mark.criteria``) are shown as not run, with the rejection said once."""

    blocker: str = "an upstream artefact was rejected"


class UndeclaredCriterion(AssertionError):
    """A test recorded a criterion its ``@pytest.mark.criteria`` marker does not declare."""


@dataclass(frozen=True)
class Bound:
    """One condition of a criterion: ``value op limit``."""

    label: str
    value: float
    op: str
    limit: float
    fmt: str = ".3f"

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown comparison {self.op!r}; one of {sorted(OPS)}")

    def holds(self) -> bool:
        return self.value == self.value and OPS[self.op](self.value, self.limit)  # NaN fails

    def measured(self) -> str:
        return f"{self.value:{self.fmt}}"

    def threshold(self) -> str:
        return f"{self.op} {self.limit:{self.fmt}}"


@dataclass(frozen=True)
class Criterion:
    """One row of the report's criteria table (what the plugin collects across workers)."""

    id: str
    name: str
    passed: bool
    measured: str
    threshold: str
    interval: str | None = None
    artifact: str | None = None
    detail: str = ""
    deviation: str | None = None
    test: str = ""
    not_run: str | None = None
    """Why the criterion was not evaluated (its experiment was not declared, or an upstream
    artefact was rejected): such a row is neither passed nor failed, and the report shows it as
    not run."""
    params: dict = field(default_factory=dict)
    """The test's parameters (e.g. ``{"expert_seed": 0, "expert_family": "crowd"}``): the report
    lays the rows of one criterion out as a grid over them."""
    blocked: str | None = None
    """What upstream rejection kept the criterion from being evaluated (``not_run`` too)."""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Criterion:
        return cls(**data)

    @property
    def status(self) -> str:
        return "not run" if self.not_run else ("passed" if self.passed else "failed")

    def message(self) -> str:
        interval = f" {self.interval}" if self.interval else ""
        return (f"{self.id} {self.name}: measured {self.measured}{interval}, required "
                f"{self.threshold}" + (f" ({self.detail})" if self.detail else ""))


def format_interval(interval: Sequence[float] | str | None, fmt: str = ".3f") -> str | None:
    if interval is None or isinstance(interval, str):
        return interval
    lo, hi = interval
    return f"[{lo:{fmt}}, {hi:{fmt}}]"


@dataclass
class Criteria:
    """Records criteria for one test through ``sink`` (the plugin passes the test's node)."""

    sink: Callable[[Criterion], None]
    cite: Callable[[str], None] = lambda artifact_id: None
    """Called with the id of every artefact the test cites (the report indexes them)."""
    test: str = ""
    rows: list[Criterion] = field(default_factory=list)
    params: dict = field(default_factory=dict)
    """The test's parameters, copied onto each row."""
    declared: tuple[str, ...] | None = None
    """The ids the test's ``criteria`` marker declares (None: no marker, nothing checked). A
    blocked test's declared criteria are shown as not run, so a test records only those."""

    def _check(self, cid: str) -> None:
        if self.declared is not None and cid not in self.declared:
            raise UndeclaredCriterion(
                f"{self.test} records criterion {cid}, which its @pytest.mark.criteria marker "
                f"does not declare (declared: {', '.join(self.declared) or 'none'})")

    def artifact(self, artifact_id: str) -> None:
        """Cite an artefact without a criterion (the report indexes it and its inputs)."""
        self.cite(artifact_id)

    def at_most(self, cid: str, name: str, value: float, limit: float, **kw) -> Criterion:
        """``value <= limit``."""
        __tracebackhide__ = True  # pytest shows the experiment's line, not this one
        return self.all_of(cid, name, [Bound(name, value, "<=", limit, kw.pop("fmt", ".3f"))],
                           **kw)

    def at_least(self, cid: str, name: str, value: float, limit: float, **kw) -> Criterion:
        """``value >= limit``."""
        __tracebackhide__ = True
        return self.all_of(cid, name, [Bound(name, value, ">=", limit, kw.pop("fmt", ".3f"))],
                           **kw)

    def all_of(self, cid: str, name: str, bounds: Sequence[Bound], *,
               interval: Sequence[float] | str | None = None, artifact: str | None = None,
               detail: str = "", deviation: str | None = None, measured: str | None = None,
               interval_fmt: str = ".3f") -> Criterion:
        """Every bound holds. The measured and threshold texts list the bounds (one bound:
        just its value and limit)."""
        __tracebackhide__ = True
        if not bounds:
            raise ValueError(f"criterion {cid} has no bound")
        if len(bounds) == 1:
            text, threshold = bounds[0].measured(), bounds[0].threshold()
        else:
            text = "; ".join(f"{b.label} {b.measured()}" for b in bounds)
            threshold = "; ".join(f"{b.label} {b.threshold()}" for b in bounds)
        return self.holds(cid, name, all(b.holds() for b in bounds),
                          measured=measured or text, threshold=threshold,
                          interval=format_interval(interval, interval_fmt), artifact=artifact,
                          detail=detail, deviation=deviation)

    def not_run(self, cid: str, name: str, reason: str,
                deviation: str | None = None) -> Criterion:
        """Record that criterion ``cid`` was not evaluated, and why (e.g. the spec declares no
        distribution-shift experiment); ``deviation`` when not running it departs from the study
        as declared (a profile removed it). The caller then skips its test."""
        self._check(cid)
        row = Criterion(id=cid, name=name, passed=False, measured="not run", threshold="",
                        detail=reason, test=self.test, not_run=reason, deviation=deviation,
                        params=self.params)
        self.rows.append(row)
        self.sink(row)
        return row

    def holds(self, cid: str, name: str, passed: bool, *, measured: str, threshold: str,
              interval: str | None = None, artifact: str | None = None, detail: str = "",
              deviation: str | None = None) -> Criterion:
        """A criterion whose pass/fail is not a comparison of numbers (e.g. a count of named
        problems that must be zero, with the problems in ``detail``)."""
        __tracebackhide__ = True
        self._check(cid)
        row = Criterion(id=cid, name=name, passed=bool(passed), measured=measured,
                        threshold=threshold, interval=interval, artifact=artifact,
                        detail=detail, deviation=deviation, test=self.test, params=self.params)
        if artifact:
            self.cite(artifact)
        self.rows.append(row)
        self.sink(row)
        if not row.passed:
            raise CriterionFailed(row.message())
        return row


def blocked_rows(test: str, declared: Sequence[str], params: dict,
                 error: BlocksDownstream) -> list[Criterion]:
    """The rows of a blocked test's declared criteria: not run, blocked by ``error``."""
    reason = f"blocked: {error.blocker}"
    return [Criterion(id=cid, name=f"not evaluated: {error.blocker}", passed=False,
                      measured="blocked",
                      threshold="", detail=reason, test=test, not_run=reason, params=params,
                      blocked=error.blocker) for cid in declared]


def scalar_params(params: dict) -> dict:
    """A test's parameters that travel in a report: scalars (str, int, float, bool) and tuples
    of them (a node's key, e.g. an arm run's ``(arm, seed)``, as a list)."""
    scalar = (str, int, float, bool)
    out: dict = {}
    for k, v in params.items():
        if isinstance(v, scalar):
            out[k] = v
        elif isinstance(v, tuple) and all(isinstance(x, scalar) for x in v):
            out[k] = list(v)
    return out
