"""The study's tests parametrised from the spec of the chosen profile."""

from __future__ import annotations

import pytest


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
    from harness.pipeline import arm_matrix, size_matrix
    from harness.spec.loader import load_study

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
