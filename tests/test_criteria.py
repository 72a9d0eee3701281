"""One call per criterion: the row, the record and the assertion come from the same numbers."""

import json
import math

import pytest

from harness.criteria import (
    BlocksDownstream,
    Bound,
    Criteria,
    Criterion,
    CriterionFailed,
    UndeclaredCriterion,
    blocked_rows,
    scalar_params,
)


def recorder():
    rows, cited = [], []
    return Criteria(sink=rows.append, cite=cited.append, test="t::x"), rows, cited


def test_a_passing_bound_records_its_row_and_cites_the_artefact():
    c, rows, cited = recorder()
    row = c.at_least("SC-1", "final success", 0.955, 0.90, interval=(0.917, 0.976),
                     artifact="expert_run-1")
    assert row.passed and rows == [row] and cited == ["expert_run-1"]
    assert (row.measured, row.threshold, row.interval) == ("0.955", ">= 0.900",
                                                           "[0.917, 0.976]")


def test_a_failing_bound_is_recorded_before_it_fails_the_test():
    c, rows, _ = recorder()
    with pytest.raises(CriterionFailed, match=r"SC-2 collisions: measured 0.080 \[0.050, "
                                              r"0.120\], required <= 0.050"):
        c.at_most("SC-2", "collisions", 0.08, 0.05, interval=(0.05, 0.12))
    assert len(rows) == 1 and not rows[0].passed


def test_all_of_needs_every_bound_and_lists_them():
    c, rows, _ = recorder()
    with pytest.raises(CriterionFailed):
        c.all_of("SC-3", "ratio", [Bound("ratio", 0.5, "<=", 0.7), Bound("upper", 1.2, "<", 1.0),
                                   Bound("seeds", 10, ">=", 10, "d")])
    assert rows[0].threshold == "ratio <= 0.700; upper < 1.000; seeds >= 10"
    assert rows[0].measured == "ratio 0.500; upper 1.200; seeds 10"


def test_nan_never_passes():
    c, _, _ = recorder()
    with pytest.raises(CriterionFailed):
        c.at_most("SC-4", "drop", math.nan, 0.05)


def test_rows_round_trip_through_json():
    c, rows, _ = recorder()
    row = c.holds("SC-5", "named problems", True, measured="0", threshold="0", detail="none")
    assert Criterion.from_json(json.loads(json.dumps(row.to_json()))) == row
    with pytest.raises(ValueError, match="unknown comparison"):
        Bound("x", 1, "=<", 2)


PLUGIN_STUDY = '''
import pytest

@pytest.mark.criteria("C-1")
def test_good(criteria):
    criteria.at_least("C-1", "good thing", 0.95, 0.90, artifact=None)

@pytest.mark.criteria("C-2")
def test_bad(criteria):
    criteria.at_most("C-2", "bad thing", 0.20, 0.10, interval=(0.10, 0.30))
'''


def test_plugin_collects_criteria_fails_the_run_and_reports_failures_first(pytester, tmp_path):
    pytester.makepyfile(test_study=PLUGIN_STUDY)
    reports = tmp_path / "reports"
    result = pytester.runpytest_subprocess("-p", "no:xdist", "--reports-dir", str(reports),
                                           "--artifacts-dir", str(tmp_path / "art"))
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*harness: report written to*",
                                 "*C-2 bad thing: measured 0.200 [[]0.100, 0.300[]], required "
                                 "<= 0.100*"])
    context = json.loads(next(reports.glob("*/report_context.json")).read_text())
    assert [c["id"] for c in context["criteria"]] == ["C-2", "C-1"]  # failures first
    assert context["verdict"] is False and (reports / context["study"]["name"] / "report.pdf"
                                            ).stat().st_size > 0


def test_a_criterion_its_test_does_not_declare_is_refused_with_both_named():
    c = Criteria(sink=[].append, test="t::x", declared=("SC-1",))
    c.at_least("SC-1", "declared", 1.0, 0.5)
    with pytest.raises(UndeclaredCriterion, match=r"t::x records criterion SC-2, which its "
                                                  r"@pytest\.mark\.criteria marker does not "
                                                  r"declare \(declared: SC-1\)"):
        c.at_least("SC-2", "undeclared", 1.0, 0.5)


def test_a_blocked_test_gives_its_declared_criteria_as_blocked_rows_with_its_parameters():
    class Rejected(BlocksDownstream):
        blocker = "the expert was not approved"

    rows = blocked_rows("t::x[seed3]", ["SC-3", "SC-3u"], {"seed": 3}, Rejected("no"))
    assert [r.id for r in rows] == ["SC-3", "SC-3u"]
    assert all(r.not_run == "blocked: the expert was not approved" and not r.passed
               and r.blocked == "the expert was not approved" and r.params == {"seed": 3}
               for r in rows)
    assert Criterion.from_json(rows[0].to_json()) == rows[0]


def test_test_parameters_travel_as_scalars_and_keys_as_lists():
    assert scalar_params({"seed": 0, "arm_seed": ("pretrained", 2), "obj": object(),
                          "nested": (1, (2,))}) == {"seed": 0, "arm_seed": ["pretrained", 2]}
