"""Session set-up: one torch thread per process, the session's start in ``config.stash``, the
preflight checks of a study run, the study files' data-flow order, and store faults."""

from __future__ import annotations

import errno
import logging
import os
import time
from pathlib import Path

import pytest

from harness.core import paths
from harness.criteria import BlocksDownstream
from harness.plugin.state import BLOCKED, CRITERION, STARTED, STORE_FAULT, is_worker, started

log = logging.getLogger("harness")


def pytest_configure(config: pytest.Config) -> None:
    # One torch thread per process: xdist workers must not fight over the cores, and a fixed
    # thread count keeps floating-point reductions (hence results) identical across -n values.
    import torch

    torch.set_num_threads(int(os.environ.get("HARNESS_TORCH_THREADS", "1")))
    config.addinivalue_line("markers", "stage(n): the study file's place in the data flow "
                            "(lower runs first)")
    config.addinivalue_line("markers", "criteria(*ids): the acceptance criteria a study test "
                            "records (shown as blocked when an upstream artefact is rejected)")
    config.stash[STARTED] = (config.workerinput["harness_started"] if is_worker(config)
                             else time.time())
    if not is_worker(config):
        from harness.plugin.results import Results

        config.pluginmanager.register(Results(config), "harness-results")
        if _is_study_run(config):
            _preflight(config)
        if config.getoption("--executor") == "ray":
            _ray_preflight(config)


def _ray_preflight(config: pytest.Config) -> None:
    """--executor ray needs Ray installed, and under xdist a cluster address (each worker
    process would otherwise start a Ray instance of its own)."""
    try:
        import ray  # noqa: F401
    except ImportError:
        raise pytest.UsageError("harness: --executor ray needs Ray: pip install -c "
                                "constraints.txt -e '.[ray]'") from None
    if (getattr(config.option, "numprocesses", None) or 0) and \
            not config.getoption("--ray-address"):
        raise pytest.UsageError("harness: --executor ray with -n needs --ray-address (or "
                                "$RAY_ADDRESS): the workers must share one cluster")


def _is_study_run(config: pytest.Config) -> bool:
    """Whether the session collects the study (``experiments/``), not only the harness tests."""
    study = (paths.ROOT / "experiments").resolve()
    for arg in config.args:
        target = Path(config.invocation_params.dir, arg.split("::", 1)[0]).resolve()
        if target == study or study in target.parents or target in study.parents:
            return True
    return False


def _preflight(config: pytest.Config) -> None:
    """Before anything runs: the spec loads and passes every rule, and the store takes new
    files; otherwise one line (exit status 4, with or without xdist) and no report. Leftovers
    of killed runs (progress files, staging folders, zero-byte locks) are swept."""
    from harness.core.store import Store, StoreError
    from harness.spec.errors import SpecError
    from harness.spec.loader import load_study

    try:
        load_study(config.getoption("--profile"), config.getoption("--study-spec"))
    except SpecError as exc:
        raise pytest.UsageError(f"harness: spec error: {exc} -- no report was written") from None
    root = Path(config.getoption("--artifacts-dir") or paths.artifacts_dir())
    try:
        store = Store(root)
        store.check_writable()
        swept = store.sweep_leftovers()
    except StoreError as exc:
        raise pytest.UsageError(f"harness: {exc} -- no report was written") from None
    if any(swept.values()):
        log.info("swept leftovers of killed runs in %s: %s", root, swept)


FAULT_ERRNOS = {errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A test that failed because the store refused a write (read-only, full, permissions)
    carries that fault to the controller, which then writes no report and says why."""
    outcome = yield
    exc = call.excinfo.value if call.excinfo is not None else None
    if isinstance(exc, BlocksDownstream):
        _blocked(item, outcome.get_result(), exc)
    if isinstance(exc, OSError) and exc.errno in FAULT_ERRNOS:
        root = Path(item.config.getoption("--artifacts-dir") or paths.artifacts_dir()).resolve()
        name = Path(str(exc.filename or "")).resolve() if exc.filename else None
        if name is not None and (name == root or root in name.parents):
            outcome.get_result().user_properties.append(
                (STORE_FAULT, f"the artefact store {root} refused a write: "
                              f"{exc.strerror} ({errno.errorcode.get(exc.errno, '')}) "
                              f"on {exc.filename}"))


def _blocked(item: pytest.Item, report: pytest.TestReport, exc: BlocksDownstream) -> None:
    """A test stopped by a rejected upstream artefact: the rejection travels once (the report
    groups the tests it blocked), and the test's declared criteria as rows not run."""
    from harness.criteria import blocked_rows, scalar_params

    marker = item.get_closest_marker("criteria")
    declared = list(marker.args) if marker is not None else []
    callspec = getattr(item, "callspec", None)
    params = scalar_params(callspec.params) if callspec is not None else {}
    report.user_properties.append((BLOCKED, {"blocker": exc.blocker, "message": str(exc),
                                             "criteria": declared}))
    for row in blocked_rows(item.nodeid, declared, params, exc):
        report.user_properties.append((CRITERION, row.to_json()))


@pytest.hookimpl(optionalhook=True)  # an xdist hook: absent when xdist is not loaded
def pytest_configure_node(node) -> None:
    node.workerinput["harness_started"] = started(node.config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Study files run in data-flow order (their ``stage`` marker: expert -> dataset ->
    # pre-training -> audits), not alphabetical, so that xdist hands out upstream work first;
    # the sort is stable within a file.
    def stage(item: pytest.Item) -> float:
        marker = item.get_closest_marker("stage")
        return marker.args[0] if marker is not None else float("inf")

    items.sort(key=stage)
    if config.getoption("--benchmark"):
        return
    skip = pytest.mark.skip(reason="benchmark: opt in with --benchmark")
    for item in items:
        if "benchmark" in item.keywords:
            item.add_marker(skip)
