"""The report reads answer-first (issue 25): page one's answers come from the stages' contexts
(no number typed into a template), criteria recorded per seed become grids, a rejection blocking
the tests downstream is said once, and every section heading is in the table of contents."""

import html as html_lib
import re

from harness.report.answers import answer, resolve
from harness.report.render import (
    blocked_groups,
    criteria_groups,
    deviations,
    render_html,
    with_contents,
)
from harness.stages.comparison.report import pretraining_answers
from harness.stages.dataset.report import dataset_answers


def _row(cid, passed=True, params=None, **kw):
    return {"id": cid, "name": kw.pop("name", f"{cid} thing"), "passed": passed,
            "measured": kw.pop("measured", "0.950"), "threshold": ">= 0.900",
            "interval": kw.pop("interval", "[0.910, 0.970]"), "artifact": None, "detail": "",
            "deviation": kw.pop("deviation", None), "test": f"t::{cid}", "not_run": None,
            "params": params or {}, "blocked": None, "flags": [], **kw}


def test_a_criterion_per_seed_and_family_is_one_grid_family_by_seed_failures_first():
    rows = [_row("SC-001b", passed=not (s == 2 and f == "doorway"),
                 params={"expert_seed": s, "expert_family": f}, measured=f"{s}{f}")
            for s in (0, 1, 2) for f in ("crowd", "doorway")]
    rows += [_row("SC-001"), _row("SC-003u", params={"pretrain_seed": 1}),
             _row("SC-003u", params={"pretrain_seed": 0}),
             _row("SC-003", passed=False)]
    groups = criteria_groups(rows)
    assert [g["id"] for g in groups] == ["SC-001b", "SC-003", "SC-001", "SC-003u"]
    grid = groups[0]["grid"]
    assert grid["columns"] == [0, 1, 2] and [r["label"] for r in grid["rows"]] == ["crowd",
                                                                                  "doorway"]
    assert grid["rows"][1]["cells"][2]["measured"] == "2doorway"
    assert not grid["rows"][1]["cells"][2]["passed"] and groups[0]["passed"] == 5
    assert groups[1]["grid"] is None and groups[2]["grid"] is None  # recorded once: a row
    assert groups[3]["grid"]["columns"] == [0, 1]  # seeds sorted, one row
    arm = criteria_groups([_row("X", params={"arm_seed": [a, s]}) for a in ("pretrained",
                                                                           "naive")
                           for s in (1, 0)])[0]["grid"]
    assert arm["columns"] == [0, 1] and [r["label"] for r in arm["rows"]] == ["pretrained",
                                                                             "naive"]


def test_a_rejection_blocking_many_tests_is_one_group_and_failed_tests_exclude_them():
    message = "expert 'e' is rejected, not approved: ... Diagnostics: seed 0: success 0.1 < 0.9"
    tests = [{"nodeid": f"t::{i}", "outcome": "failed", "message": message,
              "blocked": {"blocker": "the expert was not approved", "message": message,
                          "criteria": [f"SC-{i % 3}"]}} for i in range(20)]
    tests.append({"nodeid": "t::x", "outcome": "failed", "message": "boom", "blocked": None})
    groups = blocked_groups(tests)
    assert len(groups) == 1 and len(groups[0]["tests"]) == 20
    assert groups[0]["criteria"] == ["SC-0", "SC-1", "SC-2"]


def test_an_answer_carries_the_verdict_of_its_criteria():
    rows = [_row("A"), _row("B", passed=False), {**_row("C", passed=False), "not_run": "x"},
            {**_row("D", passed=False), "not_run": "blocked: y", "blocked": "y"}]
    got = resolve([answer("a", "t", criteria=["A"]), answer("b", "t", criteria=["A", "B"]),
                   answer("c", "t", criteria=["C"]), answer("d", "t", criteria=["A", "D"]),
                   answer("e", "t")], rows)
    assert [a["status"] for a in got] == ["pass", "fail", "not run", "blocked", "info"]


def test_every_deviation_is_listed_once_with_the_criteria_it_concerns():
    class Study:
        shift_deviation = "one seed per arm"

    rows = [_row("SC-003", deviation="3 seeds"), _row("SC-003f", deviation="3 seeds"),
            _row("SC-001")]
    assert deviations(rows, Study()) == [
        {"text": "3 seeds", "criteria": ["SC-003", "SC-003f"]},
        {"text": "one seed per arm", "criteria": ["SHIFT"]}]


def test_every_heading_is_anchored_and_listed_in_the_contents():
    html = with_contents('<!-- contents --><h2>One</h2><p>x</p><h2 class="pagebreak appendix">'
                         'Appendix A: <b>all</b></h2>')
    assert '<h2 id="s1">One</h2>' in html and '<h2 id="s2" class="pagebreak appendix">' in html
    assert '<a class="toc" href="#s1">One</a>' in html
    assert '<li class=appendix><a class="toc" href="#s2">Appendix A: all</a>' in html


PT = {"id": "comparison-1", "budget": 123457, "final_episodes": 211,
      "target": {"success": 0.91, "collision": 0.04}, "criteria": {"ratio_max": 0.66},
      "dataset_steps": 76543, "dataset_episodes": 217, "expert_steps_total": 3456789,
      "arms": {"baseline": {"seeds": [0, 1, 2], "iqm_time": 181234.0,
                            "censored": [False, True, False],
                            "final_success_mean_ci": [0.9712, 0.96, 0.98]},
               "pretrained": {"seeds": [0, 1, 2], "iqm_time": 21345.0, "ratio": 0.1178,
                              "ratio_ci": [0.0411, 0.2966], "at_step_zero": 1,
                              "censored": [False, False, False], "unlearning_drop": [0.013],
                              "final_success_mean_ci": [0.9655, 0.95, 0.97]}},
      "final_vs_baseline": {"pretrained": {"difference": -0.0057, "ci": [-0.0123, 0.0031],
                                           "margin": 0.05}},
      "recipe_vs": {"naive": {"t_difference": 5120.0, "t_ci": [-1024.0, 7168.0],
                              "t_verdict": "indistinguishable", "drop_difference": 0.0021,
                              "drop_ci": [-0.004, 0.008], "drop_verdict": "no worse"}},
      "power": {"SC-003": {"met": True}}}


def test_no_number_on_page_one_is_typed_into_the_template():
    """Render page one from answers built from a context whose every number is distinctive,
    then strip every value the context supplied: no digit may remain in page one's text."""
    ds = {"id": "dataset-1", "episodes": 217, "steps": 76543, "deterministic": True,
          "expert": {"id": "expert-q", "chosen_seed": 7},
          "validation": {"checks": ["a"] * 13, "failures": 0},
          "inspection": {"anomaly_counts": {"replay_mismatch": 0}, "replayed": 217,
                         "anomalous_total": 0}}
    answers = resolve(pretraining_answers(PT) + dataset_answers(ds), [])
    text = " ".join(a["text"] for a in answers)
    for value in ("IQM T = 21,345", "181,234", "0.118 [0.041, 0.297]", "<= 0.66",
                  "1 of 3 seeds", "0 of 3 pre-trained, 1 of 3 baseline", "76,543",
                  "(217 episodes)", "3,456,789", "-0.006 [-0.012, +0.003]",
                  "+5,120 [-1,024, +7,168]", "13 checks"):
        assert value in text, value
    context = {"title": "T", "study": {"name": "n", "profile": "p", "file": "f",
                                      "config_hash": "h"},
               "provenance": {"git": {"commit": "c", "dirty": False}}, "generated": "g",
               "duration_min": "D", "exitstatus": "X", "verdict": True, "answers": answers,
               "counts": {"passed": "P", "failed": "F", "blocked": "B", "not_run": "N"},
               "tests": ["t"], "not_run": [], "blocked": [], "failed_tests": [],
               "deviations": [{"text": "dev", "criteria": ["SC-003"]}], "pretraining": None,
               "expert": None}
    html = render_html(context, "page_one.html.j2")
    page = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    page = html_lib.unescape(re.sub(r"<[^>]+>", " ", page))
    page = page.replace("sha256", " ").replace("1 tests", " tests")  # a label; len(tests)
    for a in answers:
        page = page.replace(a["text"], " ")
        for c in a["criteria"]:
            page = page.replace(c, " ")
        for item in a["items"] + a["limits"]:
            page = page.replace(item, " ")
    page = page.replace("SC-003", " ")
    assert not re.search(r"\d", page), re.findall(r".{30}\d.{30}", page)
