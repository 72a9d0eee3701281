"""The session fixtures: the study spec, where builds run, the store, live progress, the
pipeline, and the ``criteria`` fixture every acceptance criterion is recorded through."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.core import paths
from harness.plugin.state import ARTIFACT, CRITERION, started


@pytest.fixture(scope="session")
def study_spec(pytestconfig: pytest.Config):
    """The resolved study spec of the chosen profile (:class:`harness.spec.study.Study`)."""
    from harness.spec.loader import load_study

    return load_study(pytestconfig.getoption("--profile"), pytestconfig.getoption("--study-spec"))


@pytest.fixture(scope="session")
def executor(pytestconfig: pytest.Config):
    """Where the expensive builds run (``--executor``): this process, or Ray tasks."""
    from harness.core.executor import make_executor
    from harness.pipeline import READ_FROM_INPUTS, REMOTE_KINDS

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
    fresh = started(pytestconfig) if pytestconfig.getoption("--fresh") else None
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
def pipeline(study_spec, store, progress):
    """The study's pipeline on the store (:mod:`harness.pipeline`): ``pipeline.get(node, key)``
    builds or reuses any artefact of the graph, its inputs first. With an executor that runs
    builds elsewhere concurrently (Ray), every remote build of the study is asked for at once,
    so the cluster works on all of them while the tests wait for theirs."""
    from harness.pipeline import study_pipeline

    pipeline = study_pipeline(study_spec, store, progress)
    if store.executor.concurrent:
        pipeline.ahead()
    return pipeline


@pytest.fixture
def criteria(request: pytest.FixtureRequest):
    """One call per acceptance criterion (:class:`harness.criteria.Criteria`): it formats the
    row, records it (the row reaches the report even when the test then fails) and asserts.
    A test records only the criteria its ``@pytest.mark.criteria(...)`` marker declares (the
    report shows those as blocked when an upstream artefact is rejected)."""
    from harness.criteria import Criteria, scalar_params

    node = request.node
    callspec = getattr(node, "callspec", None)
    marker = node.get_closest_marker("criteria")
    return Criteria(sink=lambda row: node.user_properties.append((CRITERION, row.to_json())),
                    cite=lambda aid: node.user_properties.append((ARTIFACT, aid)),
                    test=node.nodeid,
                    params=scalar_params(callspec.params) if callspec is not None else {},
                    declared=tuple(marker.args) if marker is not None else ())
