"""The harness's command-line options."""

from __future__ import annotations

import os

import pytest


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
