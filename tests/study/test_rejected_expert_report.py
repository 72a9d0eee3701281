"""A study whose expert cannot pass reads as clearly as a passing one (issue 25).

The tiny study of ``legacy_seed_line.yaml`` on its profile ``rejected`` (2,048 expert steps):
the expert is rejected, and every test downstream of it stops on ``ExpertNotApproved``. The
report must state the rejection and its diagnostics once (page one, as a list), show the
downstream tests and their declared criteria as blocked, not as failures of their own, and
keep the criteria the expert itself failed as failures.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
SPEC = Path(__file__).with_name("legacy_seed_line.yaml")


def test_a_rejected_expert_is_said_once_and_blocks_the_rest(tmp_path):
    from pypdf import PdfReader

    store, reports = tmp_path / "artifacts", tmp_path / "reports"
    study = subprocess.run(
        [sys.executable, "-m", "pytest", "experiments/", "-p", "no:xdist", "-p", "no:cacheprovider",
         "-q", "--study-spec", str(SPEC), "--profile", "rejected", "--artifacts-dir",
         str(store), "--reports-dir", str(reports)],
        capture_output=True, text=True, timeout=900, cwd=ROOT)
    tail = study.stdout[-5000:] + study.stderr[-2000:]
    assert study.returncode == 1, tail
    folder = reports / "legacy-seed-line"
    context = json.loads((folder / "report_context.json").read_text())
    assert not context["verdict"] and context["expert"]["status"] == "rejected", tail
    [group] = context["blocked"]
    assert group["blocker"] == "the expert was not approved"
    assert len(group["tests"]) >= 15 and {"SC-002", "SC-003", "SC-IND"} <= set(group["criteria"])
    assert not any("ExpertNotApproved" in t["message"] or "not approved" in t["message"]
                   for t in context["failed_tests"]), context["failed_tests"]
    blocked = [c for c in context["criteria"] if c.get("blocked")]
    assert {c["id"] for c in blocked} == set(group["criteria"])
    assert all(c["not_run"] and not c["passed"] for c in blocked)
    failed = {c["id"] for c in context["criteria"] if not c["passed"] and not c["not_run"]}
    assert "SC-001" in failed and failed <= {"SC-001", "SC-001a", "SC-001b", "SC-001c"}

    one = re.sub(r"\s+", " ", PdfReader(folder / "report.pdf").pages[0].extract_text())
    assert "NOT ACCEPTED" in one and "REJECTED: the expert on 'line'" in one, one
    assert f"{len(group['tests'])} test(s) downstream were not run" in one, one
    diagnostics = context["expert"]["diagnostics"]
    assert diagnostics
    html = (folder / "report.html").read_text()
    body = html[:html.index("Appendix A:")]
    for d in diagnostics:
        assert re.sub(r"\s+", " ", d)[:50] in one, (d, one)
        # the body: page one's list and the expert's own section; the appendix adds the audit
        # copies of SC-001's row and its test; never one per blocked test
        key = d[:50].replace("'", "&#39;")
        assert body.count(key) <= 2 and html.count(key) <= 4, d
