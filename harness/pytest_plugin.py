"""pytest plugin of the harness: options, session fixtures, criteria collection, the report.

Registered by the ``pytest11`` entry point under the name ``harness.pytest_plugin`` (the module
name, so that the root ``conftest.py`` naming it too does not register it twice).

Under xdist, tests run in workers; each acceptance criterion a test records travels to the
controller in ``report.user_properties`` and the controller renders the report once, at the end
of the session, whether or not criteria failed.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from pathlib import Path

import pytest

from harness.core import paths

CRITERION = "harness_criterion"
ARTIFACT = "harness_artifact"
log = logging.getLogger("harness")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "navigation pre-training study harness")
    group.addoption("--profile", default=os.environ.get("HARNESS_PROFILE", "full"),
                    help="study profile from specs/study.yaml (default: full)")
    group.addoption("--study-spec", default=None, help="path of the study spec YAML")
    group.addoption("--artifacts-dir", default=None,
                    help="artefact store root (default: $HARNESS_ARTIFACTS_DIR or artifacts/)")
    group.addoption("--reports-dir", default=None,
                    help="where reports are written (default: $HARNESS_REPORTS_DIR or reports/)")
    group.addoption("--fresh", action="store_true", default=False,
                    help="rebuild every artefact this session asks for instead of reusing it")
    group.addoption("--no-report", action="store_true", default=False,
                    help="do not render the HTML/PDF report at the end of the session")
    group.addoption("--benchmark", action="store_true", default=False,
                    help="run the speed/memory benchmarks (marked 'benchmark'); they print numbers")
    group.addoption("--executor", default=os.environ.get("HARNESS_EXECUTOR", "local"),
                    choices=("local", "ray"),
                    help="where expensive builds run: this process (local, default) or as Ray "
                         "tasks on a cluster (ray; needs the [ray] extra)")
    group.addoption("--ray-address", default=os.environ.get("RAY_ADDRESS"),
                    help="with --executor ray: the cluster to use, e.g. 127.0.0.1:6379 "
                         "(default: $RAY_ADDRESS; none starts a local Ray instance)")
    group.addoption("--ray-num-gpus", type=float, default=0.0,
                    help="with --executor ray: GPUs each build task requests (default 0)")


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    # One torch thread per process: xdist workers must not fight over the cores, and a fixed
    # thread count keeps floating-point reductions (hence results) identical across -n values.
    import torch

    torch.set_num_threads(int(os.environ.get("HARNESS_TORCH_THREADS", "1")))
    config.addinivalue_line("markers", "stage(n): the study file's place in the data flow "
                            "(lower runs first)")
    if _is_worker(config):
        config._harness_started = config.workerinput["harness_started"]
    else:
        config._harness_started = time.time()
    config._harness_results = {"criteria": [], "tests": [], "artifacts": []}
    config._harness_fault = None
    if not _is_worker(config) and _is_study_run(config):
        _preflight(config)
    if not _is_worker(config) and config.getoption("--executor") == "ray":
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


STORE_FAULT = "harness_store_fault"
FAULT_ERRNOS = {errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A test that failed because the store refused a write (read-only, full, permissions)
    carries that fault to the controller, which then writes no report and says why."""
    outcome = yield
    exc = call.excinfo.value if call.excinfo is not None else None
    if isinstance(exc, OSError) and exc.errno in FAULT_ERRNOS:
        root = Path(item.config.getoption("--artifacts-dir") or paths.artifacts_dir()).resolve()
        name = Path(str(exc.filename or "")).resolve() if exc.filename else None
        if name is not None and (name == root or root in name.parents):
            outcome.get_result().user_properties.append(
                (STORE_FAULT, f"the artefact store {root} refused a write: "
                              f"{exc.strerror} ({errno.errorcode.get(exc.errno, '')}) "
                              f"on {exc.filename}"))


@pytest.hookimpl(optionalhook=True)  # an xdist hook: absent when xdist is not loaded
def pytest_configure_node(node) -> None:
    node.workerinput["harness_started"] = node.config._harness_started


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


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def study_spec(pytestconfig: pytest.Config):
    """The resolved study spec of the chosen profile (:class:`harness.spec.study.Study`)."""
    from harness.spec.loader import load_study

    return load_study(pytestconfig.getoption("--profile"), pytestconfig.getoption("--study-spec"))


@pytest.fixture(scope="session")
def executor(pytestconfig: pytest.Config):
    """Where the expensive builds run (``--executor``): this process, or Ray tasks."""
    from harness.core.executor import make_executor
    from harness.stages import READ_FROM_INPUTS, REMOTE_KINDS

    ex = make_executor(pytestconfig.getoption("--executor"),
                       pytestconfig.getoption("--ray-address"),
                       pytestconfig.getoption("--ray-num-gpus"),
                       remote_kinds=REMOTE_KINDS, read_from_inputs=READ_FROM_INPUTS)
    yield ex
    ex.close()


@pytest.fixture(scope="session")
def store(pytestconfig: pytest.Config, executor):
    """The shared artefact store (file-locked across xdist workers)."""
    from harness.core.store import Store

    root = pytestconfig.getoption("--artifacts-dir") or paths.artifacts_dir()
    fresh = pytestconfig._harness_started if pytestconfig.getoption("--fresh") else None
    return Store(Path(root), fresh_before=fresh, executor=executor)


@pytest.fixture(scope="session")
def progress(pytestconfig: pytest.Config, store):
    """A callback that training runs call at every evaluation (live progress)."""
    from harness.core.progress import ProgressReporter

    reporter = ProgressReporter(pytestconfig, store.root / ".progress")
    if store.executor.concurrent:
        reporter.terminal = None  # rows arrive from a thread: the session's tail prints them
    return reporter


@pytest.fixture(scope="session")
def stages(study_spec, store, progress):
    """The study's stages on the store, sharing one scheduler (:mod:`harness.stages`). With an
    executor that runs builds elsewhere concurrently (Ray), every build of the study is asked
    for at once, so the cluster works on all of them while the tests wait for theirs."""
    from harness.stages import build_ahead, study_stages

    stages = study_stages(study_spec, store, progress)
    if store.executor.concurrent:
        build_ahead(stages, study_spec)
    return stages


@pytest.fixture(scope="session")
def expert_stage(stages):
    """Per-seed expert runs and the promotion decision, built or reused on demand."""
    return stages.expert


@pytest.fixture(scope="session")
def dataset_stage(stages):
    """The datasets recorded from the approved expert and their inspection."""
    return stages.dataset


@pytest.fixture(scope="session")
def pretraining_stage(stages):
    """Matched-seed arm runs (the shift experiment's arm included), comparison, shift check."""
    return stages.pretraining


@pytest.fixture
def criteria(request: pytest.FixtureRequest):
    """One call per acceptance criterion (:class:`harness.criteria.Criteria`): it formats the
    row, records it (the row reaches the report even when the test then fails) and asserts."""
    from harness.criteria import Criteria

    node = request.node
    return Criteria(sink=lambda row: node.user_properties.append((CRITERION, row.to_json())),
                    cite=lambda aid: node.user_properties.append((ARTIFACT, aid)),
                    test=node.nodeid)


# ----------------------------------------------------------------------------- collection
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    config = _CONFIG.get("config")
    if config is None or _is_worker(config):
        return
    results = config._harness_results
    for key, value in report.user_properties:
        if key == STORE_FAULT and config._harness_fault is None:
            config._harness_fault = value
        if key == CRITERION and report.when == "call":
            results["criteria"].append(value)
        elif key == ARTIFACT and value not in results["artifacts"]:
            results["artifacts"].append(value)
    if report.when == "call" or (report.when == "setup" and not report.passed):
        message = ""
        if report.failed and report.longrepr is not None:
            message = _short(report)
        results["tests"].append({"nodeid": report.nodeid, "outcome": report.outcome,
                                 "when": report.when, "duration": round(report.duration, 2),
                                 "message": message})


_CONFIG: dict = {}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    _CONFIG["config"] = config
    # Under xdist the workers' output never reaches the terminal: the controller tails the
    # progress lines they write to the store and prints the latest of each run. A lone Ray
    # driver does the same with the lines its nodes relay, from a thread that steps past the
    # capture of the test that is waiting meanwhile.
    xdist = bool(getattr(config.option, "numprocesses", None) or 0)
    ray_driver = config.getoption("--executor") == "ray"
    if not _is_worker(config) and (xdist or ray_driver):
        from harness.core.progress import ProgressTail

        root = Path(config.getoption("--artifacts-dir") or paths.artifacts_dir())
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        capture = None if xdist else config.pluginmanager.get_plugin("capturemanager")
        if reporter is not None:
            tail = ProgressTail(root / ".progress", config._harness_started,
                                lambda line: _write_uncaptured(reporter, capture, line))
            tail.start()
            _CONFIG["tail"] = tail


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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _CONFIG.get("tail") is not None:
        _CONFIG.pop("tail").stop()
    if _is_worker(config) or config.getoption("--no-report"):
        return
    results = config._harness_results
    if config._harness_fault is not None:
        session.config.pluginmanager.get_plugin("terminalreporter").write_line(
            f"harness: no report was written: {config._harness_fault}", red=True)
        session.exitstatus = exitstatus or 1
        return
    if not results["criteria"] and not results["artifacts"]:
        return  # a run of the harness's own tests, not of the study
    from harness.report import render_study_report

    out_dir = Path(config.getoption("--reports-dir") or paths.reports_dir())
    root = Path(config.getoption("--artifacts-dir") or paths.artifacts_dir())
    try:
        html, pdf = render_study_report(
            profile=config.getoption("--profile"), spec_path=config.getoption("--study-spec"),
            results=results, artifacts_root=root, out_dir=out_dir,
            started=config._harness_started, exitstatus=int(exitstatus))
    except Exception as exc:  # the report must never hide the test outcome
        log.exception("report rendering failed")
        session.config.pluginmanager.get_plugin("terminalreporter").write_line(
            f"harness: report rendering FAILED: {exc!r}", red=True)
        session.exitstatus = exitstatus or 1
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"harness: report written to {html} and {pdf}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise the study's tests from the spec of the chosen profile: ``expert_seed`` over
    the expert seeds, ``arm_seed`` over every (arm, seed) run of the pre-training stage (the
    shift experiment's arm included), ``pretrain_seed`` over the matched seeds,
    ``expert_family`` over the families the expert is gated on, ``size_run`` over the size
    study's (arm, episodes, seed) runs; so each run (and each cell of the per-family gate) is
    its own test and xdist spreads them over workers."""
    names = {"expert_seed", "arm_seed", "pretrain_seed", "expert_family", "size_run"} & \
        set(metafunc.fixturenames)
    if not names:
        return
    from harness.spec.loader import load_study
    from harness.stages import arm_matrix, size_matrix

    config = metafunc.config
    spec = load_study(config.getoption("--profile"), config.getoption("--study-spec"))
    if "expert_seed" in names:
        metafunc.parametrize("expert_seed", list(spec.expert.seeds),
                             ids=[f"seed{s}" for s in spec.expert.seeds])
    if "expert_family" in names:
        metafunc.parametrize("expert_family", list(spec.expert.family_names))
    if "arm_seed" in names:
        pairs = arm_matrix(spec)
        metafunc.parametrize("arm_seed", pairs, ids=[f"{a}-seed{s}" for a, s in pairs])
    if "size_run" in names:
        runs = size_matrix(spec)
        metafunc.parametrize("size_run", runs, ids=[f"{a}-{n}eps-seed{s}" for a, n, s in runs])
    if "pretrain_seed" in names:
        metafunc.parametrize("pretrain_seed", list(spec.pretraining.seeds),
                             ids=[f"seed{s}" for s in spec.pretraining.seeds])
