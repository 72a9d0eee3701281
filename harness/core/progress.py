"""Live progress of training runs: timesteps, latest evaluation, estimated time left.

Every process appends one JSON line per evaluation to ``<store>/.progress/<pid>.jsonl`` and logs
it; the controller (or a lone process) prints a line to the terminal.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("harness.core.progress")


def eta_seconds(row: dict) -> float | None:
    """Time left to the budget at the current rate (an upper bound under early stopping)."""
    steps, budget, wall = row.get("timesteps", 0), row.get("budget"), row.get("wall_seconds", 0)
    if not budget or steps <= 0 or wall <= 0:
        return None
    return max(0.0, (budget - steps) * wall / steps)


def format_row(name: str, row: dict) -> str:
    eta = eta_seconds(row)
    budget = row.get("budget") or 0
    conv = row.get("converged_at")
    return (f"[{name}] {row['timesteps']:>10,}/{budget:,} steps  "
            f"success {row['success_rate']:.2f}  collision {row['collision_rate']:.2f}  "
            + (f"converged at {conv:,}" if conv is not None else
               (f"eta {eta / 60:.1f} min" if eta is not None else "")))


class ProgressReporter:
    """Factory of per-run progress callbacks bound to a pytest config (or to nothing)."""

    def __init__(self, config=None, directory: Path | None = None):
        self.config = config
        worker = getattr(config, "workerinput", {}).get("workerid") if config else None
        self.worker = worker or "main"
        self.directory = directory
        self.terminal = None
        if config is not None and worker is None:
            self.terminal = config.pluginmanager.get_plugin("terminalreporter")

    def for_run(self, name: str) -> RunProgress:
        return RunProgress(self, name)

    def report(self, name: str, row: dict) -> None:
        """Log one evaluation row of run ``name``, append it to this process's progress file
        and, in a lone process, print it."""
        line = format_row(name, row)
        log.info("%s %s", self.worker, line)
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            with open(self.directory / f"{os.getpid()}.jsonl", "a") as fh:
                fh.write(json.dumps({"time": time.time(), "worker": self.worker,
                                     "run": name, "line": line}) + "\n")
        if self.terminal is not None:
            self.terminal.write_line(line)


class RunProgress:
    """The progress callback of one run (``callback(row)`` at every evaluation). A plain object,
    not a closure, so that an executor that ships a build elsewhere can recognise it and relay
    the rows back to this process (:mod:`harness.core.executor`)."""

    def __init__(self, reporter: ProgressReporter, name: str):
        self.reporter = reporter
        self.name = name

    def __call__(self, row: dict) -> None:
        self.reporter.report(self.name, row)


class ProgressTail(threading.Thread):
    """Controller-side thread: every ``interval`` seconds, print the newest line of each run
    that reported since the last print (from the workers' progress files)."""

    def __init__(self, directory: Path, since: float, write: Callable[[str], None],
                 interval: float = 20.0):
        super().__init__(daemon=True, name="harness-progress")
        self.directory = directory
        self.since = since
        self.write = write
        self.interval = interval
        self._stop_event = threading.Event()
        self._printed: dict[str, float] = {}

    def poll(self) -> list[str]:
        latest: dict[str, dict] = {}
        for path in sorted(self.directory.glob("*.jsonl")):
            try:
                lines = path.read_text().splitlines()
            except OSError:
                continue
            for raw in lines:
                try:
                    rec = json.loads(raw)
                except json.JSONDecodeError:
                    continue  # a line being written right now
                if rec["time"] >= self.since and rec["time"] > self._printed.get(rec["run"], 0):
                    if rec["run"] not in latest or rec["time"] > latest[rec["run"]]["time"]:
                        latest[rec["run"]] = rec
        out = []
        for run, rec in sorted(latest.items(), key=lambda kv: kv[1]["time"]):
            self._printed[run] = rec["time"]
            out.append(f"harness progress [{rec['worker']}] {rec['line']}")
        return out

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            for line in self.poll():
                self.write(line)

    def stop(self) -> None:
        self._stop_event.set()
