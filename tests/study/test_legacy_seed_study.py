"""A whole tiny study on an environment that seeds NumPy's legacy generator (issue 21).

``tests.toy_envs:LegacySeededLineWorld`` calls ``np.random.RandomState(seed)`` with every episode
seed it is reset with, which raises for seeds of 2**32 and above (robot_sf and many other
simulators do the same). The spec (``tests/study/legacy_seed_line.yaml``) declares no
distribution-shift experiment. The study must run end to end on it (expert, dataset, BC,
comparison, independence, report), with every episode seed below 2**32 and some above 2**31
(so the seeds did reach the upper half of the plan), and SHIFT shown as not run.
"""

import json
import subprocess
import sys
from pathlib import Path

from harness.seeds import SEED_LIMIT, SeedRange

ROOT = Path(__file__).parents[2]
SPEC = Path(__file__).with_name("legacy_seed_line.yaml")


def _ranges(manifest: dict) -> list[SeedRange]:
    recorded = manifest.get("episode_seeds") or manifest["config"].get("episode_seeds") or {}
    if "purpose" in recorded:
        recorded = {"evaluation": recorded}
    return [SeedRange.from_dict(r) for r in recorded.values()]


def test_a_legacy_seeded_environment_runs_a_whole_study_without_a_shift_section(tmp_path):
    store, reports = tmp_path / "artifacts", tmp_path / "reports"
    study = subprocess.run(
        [sys.executable, "-m", "pytest", "experiments/", "-n", "2", "-p", "no:cacheprovider",
         "-q", "--study-spec", str(SPEC), "--profile", "tiny", "--artifacts-dir", str(store),
         "--reports-dir", str(reports)],
        capture_output=True, text=True, timeout=900, cwd=ROOT)
    tail = study.stdout[-5000:] + study.stderr[-2000:]
    assert study.returncode == 0, tail
    report = reports / "legacy-seed-line"
    context = json.loads((report / "report_context.json").read_text())
    assert context["verdict"] and context["expert"]["status"] == "approved", tail
    shift = [c for c in context["criteria"] if c["id"] == "SHIFT"]
    assert len(shift) == 1 and shift[0]["not_run"] and not shift[0]["passed"], shift
    assert not context["shift_declared"] and context["shift"] is None
    html = (report / "report.html").read_text()
    assert "No distribution-shift experiment was declared" in html and "NOT RUN" in html
    ranges = [r for m in store.glob("*/*/manifest.json")
              for r in _ranges(json.loads(m.read_text()))]
    assert ranges, "no artefact recorded its episode seeds"
    assert max(r.stop for r in ranges) <= SEED_LIMIT
    assert max(r.stop for r in ranges) > 2**31  # the legacy generator took the upper half too
