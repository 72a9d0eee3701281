"""The study's tests parametrised from the spec of the chosen profile."""

from __future__ import annotations

import pytest


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise the study's tests from the spec of the chosen profile and the pipeline's
    declarations (:meth:`harness.core.graph.Graph.parameters`): a node's parameter takes every
    key the spec declares for it (``expert_seed``, ``arm_seed``, ``size_run``, ...), a stage's
    own parameters their values (``expert_family``, ``pretrain_seed``); so each run (and each
    cell of the per-family gate) is its own test and xdist spreads them over workers."""
    from harness.pipeline import GRAPH

    if not GRAPH.parameter_names() & set(metafunc.fixturenames):
        return  # not a study test: no spec to load
    from harness.spec.loader import load_study

    config = metafunc.config
    spec = load_study(config.getoption("--profile"), config.getoption("--study-spec"))
    for name, (values, ids) in GRAPH.parameters(spec).items():
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, values, ids=ids)
