"""Live progress: per-run lines with an estimate of time left, tailed by the controller."""

import time

from harness.core.progress import ProgressReporter, ProgressTail, eta_seconds, format_row


def test_eta_and_line_format():
    row = {"timesteps": 250_000, "budget": 1_000_000, "wall_seconds": 10.0,
           "success_rate": 0.5, "collision_rate": 0.1, "converged_at": None}
    assert eta_seconds(row) == 30.0
    line = format_row("baseline seed 3", row)
    assert "250,000/1,000,000" in line and "eta 0.5 min" in line and "success 0.50" in line


def test_tail_prints_the_newest_line_of_each_run_once(tmp_path):
    report = ProgressReporter(None, tmp_path).for_run("expert seed 0")
    start = time.time() - 1
    for steps in (100, 200):
        report({"timesteps": steps, "budget": 1000, "wall_seconds": 1.0, "success_rate": 0.1,
                "collision_rate": 0.0, "converged_at": None})
    tail = ProgressTail(tmp_path, start, print)
    lines = tail.poll()
    assert len(lines) == 1 and "200/1,000" in lines[0]
    assert tail.poll() == []
    with open(next(tmp_path.glob("*.jsonl")), "a") as fh:
        fh.write('{"partial": ')  # a line being written is skipped, not fatal
    assert tail.poll() == []
