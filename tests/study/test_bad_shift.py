"""A deliberately bad distribution shift fails the study end to end (issue 12 part 2).

Runs after the smoke study in ``make test`` (``HARNESS_SMOKE_STORE`` names the finished store):
on a copy of that store (its approved expert is reused, see ``specs/bad_shift.yaml``) the SHIFT
criterion of ``experiments/test_pretraining.py`` runs on a spec whose shifted demonstrations
come from families unlike the fine-tuning one, with tiny budgets. The study must exit non-zero,
and the SHIFT row must name the regression: arm, family, drop and interval.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SMOKE = os.environ.get("HARNESS_SMOKE_STORE")
ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.skipif(not SMOKE, reason="needs a finished smoke store: "
                                "HARNESS_SMOKE_STORE (make test sets it after the smoke study)")


def test_a_bad_shift_fails_the_shift_criterion(tmp_path):
    root = tmp_path / "artifacts"
    shutil.copytree(SMOKE, root, ignore=shutil.ignore_patterns(".locks", ".progress"))
    reports = tmp_path / "reports"
    study = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "experiments" / "test_pretraining.py"),
         "-k", "distribution_shift", "-p", "no:xdist", "-p", "no:cacheprovider", "-q",
         "--study-spec", str(ROOT / "specs" / "bad_shift.yaml"), "--profile", "bad_shift",
         "--artifacts-dir", str(root), "--reports-dir", str(reports)],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
        env={**os.environ, "HARNESS_SMOKE_STORE": ""})
    out = study.stdout[-4000:]
    assert study.returncode == 1, out  # 1: tests failed (not a usage or internal error)
    assert "1 failed" in study.stdout.strip().splitlines()[-1], out
    assert "SHIFT no distribution-shift regression" in study.stdout, out
    context = json.loads((reports / "nav-pretrain-bad-shift" / "report_context.json")
                         .read_text())
    row = next(c for c in context["criteria"] if c["id"] == "SHIFT")
    assert not row["passed"] and row["measured"] != "0"
    assert "shifted-data arm on doorway (fine-tuned)" in row["detail"], row
    assert "95% CI of the difference [-" in row["detail"], row
    assert row["deviation"].startswith("one seed per arm (0)"), row  # specs/bad_shift.yaml
    regressions = context["shift"]["regressions"]
    assert regressions and all(r["ci"][1] < 0 and r["drop"] > r["margin"]
                               for r in regressions), regressions
    assert {r["family"] for r in regressions} == {"doorway"}
