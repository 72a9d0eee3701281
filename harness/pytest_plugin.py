"""pytest plugin of the harness: options, one torch thread per process, opt-in benchmarks.

Registered by the ``pytest11`` entry point under the name ``harness.pytest_plugin`` (the module
name, so that the root ``conftest.py`` naming it too does not register it twice).
"""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "navigation pre-training study harness")
    group.addoption("--benchmark", action="store_true", default=False,
                    help="run the speed/memory benchmarks (marked 'benchmark'); they print numbers")


def pytest_configure(config: pytest.Config) -> None:
    # One torch thread per process: xdist workers must not fight over the cores, and a fixed
    # thread count keeps floating-point reductions (hence results) identical across -n values.
    import torch

    torch.set_num_threads(int(os.environ.get("HARNESS_TORCH_THREADS", "1")))
    config.addinivalue_line("markers", "benchmark: opt-in speed/memory measurement (--benchmark)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--benchmark"):
        return
    skip = pytest.mark.skip(reason="benchmark: opt in with --benchmark")
    for item in items:
        if "benchmark" in item.keywords:
            item.add_marker(skip)
