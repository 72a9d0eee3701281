"""The whole study on an environment nobody here wrote (issue 13), as a user runs it.

For each spec under ``specs/envs/`` (Gymnasium's MuJoCo InvertedPendulum-v5; MiniGrid's
LavaGap from the ``minigrid`` package; ``highway-fast-v0`` from ``highway-env``, a package that
requires Gymnasium >= 1.0, issue 21) the study runs on its ``ci`` profile exactly as the
README says a lab runs its own simulator, ``pytest experiments/ -n 2 --study-spec <spec>``, and
must come out complete: expert gate decided, dataset recorded, validated and played back, BC,
comparison, shift check and the report. Needs the ``[envs]`` extra (``make test`` installs it);
marked ``envs`` and run by ``make test`` after the harness tests. One test module per spec, so
that ``--dist loadfile`` can give the studies to different workers.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from markupsafe import escape  # the escaping Jinja applies to the report

ROOT = Path(__file__).parents[2]
STORE = Path(os.environ.get("HARNESS_ENVS_STORE", ROOT / "artifacts-envs"))
REPORTS = Path(os.environ.get("HARNESS_ENVS_REPORTS", ROOT / "reports" / "envs"))

SPECS = {"inverted_pendulum": ("inverted-pendulum", "mujoco"),
         "lava_gap": ("lava-gap", "minigrid"),
         "highway": ("highway", "highway_env")}


def run_env_study(spec: str) -> None:
    """Run ``specs/envs/<spec>.yaml`` on its ``ci`` profile and check the study came out whole."""
    name, package = SPECS[spec]
    pytest.importorskip(package, reason="the [envs] extra: pip install -e .[envs]")
    study = subprocess.run(
        [sys.executable, "-m", "pytest", "experiments/", "-n", "2", "-p", "no:cacheprovider",
         "-q", "--study-spec", f"specs/envs/{spec}.yaml", "--profile", "ci",
         "--artifacts-dir", str(STORE / spec), "--reports-dir", str(REPORTS)],
        capture_output=True, text=True, timeout=1500, cwd=ROOT)
    tail = study.stdout[-6000:] + study.stderr[-2000:]
    print(tail)
    report = REPORTS / name
    context = json.loads((report / "report_context.json").read_text())
    assert (report / "report.pdf").stat().st_size > 0
    env = context["environment"]
    assert env["name"] == name and env["families"], env
    expert = context["expert"]
    assert expert["status"] in ("approved", "rejected"), expert
    if expert["status"] == "rejected":  # a hard env may be refused: then with diagnostics
        assert expert["diagnostics"], expert
        pytest.fail(f"{name}: the expert was not promoted: {expert['diagnostics']}")
    # Every stage must run and every criterion be decided; a criterion may fail on its merits
    # (a null result is reported, not hidden), but nothing else may fail.
    failed = context["failed_tests"]
    assert all("CriterionFailed" in t["message"] for t in failed), failed
    assert study.returncode == (1 if failed else 0), tail
    refused = [f"{c['id']}: {c['measured']}" for c in context["criteria"]
               if not c["passed"] and not c.get("not_run")]
    print(f"{name}: {len(context['criteria'])} criteria, failed: {refused or 'none'}")
    assert context["verdict"] == (not refused)
    dataset = context["dataset"]
    assert dataset["validation"]["ok"] and dataset["episodes"] >= 200
    playback = dataset["inspection"]["playback"]
    assert playback and all(p["matches"] for p in playback), playback
    folder = STORE / spec / "dataset_inspection" / dataset["inspection"]["id"]
    for row in playback:  # GIF and MP4 of every played-back episode, from rgb_array frames
        for video in (row["gif"], row["mp4"]):
            assert (folder / video).stat().st_size > 0, video
    ids = {c["id"] for c in context["criteria"]}
    assert {"SC-001", "SC-002", "SC-003", "SHIFT"} <= ids, sorted(ids)  # SHIFT: run or not run
    shift = next(c for c in context["criteria"] if c["id"] == "SHIFT")
    # a profile without a shift experiment shows SHIFT as not run, never as passed
    assert bool(shift.get("not_run")) == (context["shift"] is None), shift
    # ... and, when the profile removed the base spec's shift, as a deviation (a SHIFT that
    # ran may carry deviations of its own, e.g. one seed per arm)
    if context["shift_deviation"]:
        assert shift["deviation"] == context["shift_deviation"], shift
        page = (report / "report.html").read_text()
        dev = escape(context["shift_deviation"])
        # the criteria table, the shift section and the appendix's row; and page one's list
        assert page.count("DEVIATION: " + dev) == 3, page.count("DEVIATION: " + dev)
        assert dev in page[:page.index('<nav class="toc">')]
