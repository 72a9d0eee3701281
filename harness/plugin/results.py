"""On the controller: the criteria, cited artefacts and test outcomes the tests record (they
travel from xdist workers in ``report.user_properties``), the live progress tail, and the report
rendered once at the end of the session, whether or not criteria failed. One object per session,
registered as a plugin by :func:`harness.plugin.session.pytest_configure`."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from harness.core import paths
from harness.plugin.state import ARTIFACT, BLOCKED, CRITERION, STORE_FAULT, started

log = logging.getLogger("harness")


class Results:
    """What the study's tests recorded, and what happens with it at the end."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.results: dict[str, list] = {"criteria": [], "tests": [], "artifacts": []}
        self.fault: str | None = None
        self.tail = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        results = self.results
        blocked = next((v for k, v in report.user_properties if k == BLOCKED), None)
        for key, value in report.user_properties:
            if key == STORE_FAULT and self.fault is None:
                self.fault = value
            if key == CRITERION and (report.when == "call" or blocked is not None):
                results["criteria"].append(value)
            elif key == ARTIFACT and value not in results["artifacts"]:
                results["artifacts"].append(value)
        if report.when == "call" or (report.when == "setup" and not report.passed):
            message = ""
            if report.failed and report.longrepr is not None:
                message = _short(report)
            results["tests"].append({"nodeid": report.nodeid, "outcome": report.outcome,
                                     "when": report.when, "duration": round(report.duration, 2),
                                     "message": message, "blocked": blocked})

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        # Under xdist the workers' output never reaches the terminal: the controller tails the
        # progress lines they write to the store and prints the latest of each run. A lone Ray
        # driver does the same with the lines its nodes relay, from a thread that steps past
        # the capture of the test that is waiting meanwhile.
        config = self.config
        xdist = bool(getattr(config.option, "numprocesses", None) or 0)
        ray_driver = config.getoption("--executor") == "ray"
        if xdist or ray_driver:
            from harness.core.progress import ProgressTail

            root = Path(config.getoption("--artifacts-dir") or paths.artifacts_dir())
            reporter = config.pluginmanager.get_plugin("terminalreporter")
            capture = None if xdist else config.pluginmanager.get_plugin("capturemanager")
            if reporter is not None:
                self.tail = ProgressTail(root / ".progress", started(config),
                                         lambda line: _write_uncaptured(reporter, capture, line))
                self.tail.start()

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        config = self.config
        if self.tail is not None:
            self.tail.stop()
            self.tail = None
        if config.getoption("--no-report"):
            return
        results = self.results
        if self.fault is not None:
            session.config.pluginmanager.get_plugin("terminalreporter").write_line(
                f"harness: no report was written: {self.fault}", red=True)
            session.exitstatus = exitstatus or 1
            return
        if not results["criteria"] and not results["artifacts"]:
            return  # a run of the harness's own tests, not of the study
        from harness.report.render import render_study_report

        out_dir = Path(config.getoption("--reports-dir") or paths.reports_dir())
        root = Path(config.getoption("--artifacts-dir") or paths.artifacts_dir())
        try:
            html, pdf = render_study_report(
                profile=config.getoption("--profile"),
                spec_path=config.getoption("--study-spec"), results=results,
                artifacts_root=root, out_dir=out_dir, started=started(config),
                exitstatus=int(exitstatus))
        except Exception as exc:  # the report must never hide the test outcome
            log.exception("report rendering failed")
            session.config.pluginmanager.get_plugin("terminalreporter").write_line(
                f"harness: report rendering FAILED: {exc!r}", red=True)
            session.exitstatus = exitstatus or 1
            return
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"harness: report written to {html} and {pdf}")


def _write_uncaptured(reporter, capture, line: str) -> None:
    if capture is None:
        reporter.write_line(line)
        return
    try:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)
    except Exception:  # capture is starting or stopping: a progress line is not worth it
        pass


def _short(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return text.strip().splitlines()[0][:500] if text.strip() else ""
