"""Wall time of the whole study at -n 1 and -n 2, cold and re-run (opt-in benchmark).

    HARNESS_BENCH_PROFILE=full pytest tests/benchmarks/test_study_speed.py --benchmark -s

Each measurement runs ``pytest experiments/`` in a subprocess against its own empty artefact
store (cold), then once more against the same store (the re-run must reuse everything).
"""

import os
import subprocess
import sys
import time

import pytest

from harness.core.benchmark import publish
from harness.core.paths import ROOT

pytestmark = pytest.mark.benchmark
PROFILE = os.environ.get("HARNESS_BENCH_PROFILE", "smoke")
WORKERS = [int(n) for n in os.environ.get("HARNESS_BENCH_WORKERS", "1,2").split(",")]


def run_study(workers: int, store, reports) -> tuple[float, int]:
    cmd = [sys.executable, "-m", "pytest", "experiments/", "--profile", PROFILE, "-q",
           "-p", "no:cacheprovider", "--artifacts-dir", str(store), "--reports-dir",
           str(reports), "-n", str(workers)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - start, proc.returncode


def test_study_wall_time(tmp_path, capsys):
    rows = []
    for n in WORKERS:
        store, reports = tmp_path / f"store-{n}", tmp_path / f"reports-{n}"
        cold, rc = run_study(n, store, reports)
        warm, rc2 = run_study(n, store, reports)
        rows.append({"profile": PROFILE, "workers": n, "cold seconds": cold,
                     "re-run seconds": warm, "exit codes": f"{rc}/{rc2}"})
    if len(rows) > 1:
        for r in rows:
            r["speed-up vs -n 1"] = rows[0]["cold seconds"] / r["cold seconds"]
    with capsys.disabled():
        publish(f"study_wall_time_{PROFILE}", rows)
    assert all(r["exit codes"] == "0/0" for r in rows)
