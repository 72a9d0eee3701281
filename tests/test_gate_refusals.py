"""A rejected expert stops everything downstream (DESIGN.md section 4): machinery checked on
tiny, deliberately under-trained experts in a scratch store (moved out of the study)."""

from dataclasses import replace

import pytest

from harness.core.store import Store
from harness.spec.loader import load_study
from harness.stages.dataset.build import record_dataset
from harness.stages.expert.build import (
    ExpertNotApproved,
    load_expert_policy,
    promote,
    train_expert_seed,
)
from harness.stages.expert.records import ExpertMetrics


@pytest.fixture(scope="module")
def rejected(tmp_path_factory):
    study = load_study("smoke")
    tiny = replace(study.expert, budget=study.expert.ppo.n_envs * study.expert.ppo.n_steps,
                   seeds=(29, 30, 31))
    store = Store(tmp_path_factory.mktemp("gate") / "artifacts")
    expert = promote(tiny, [train_expert_seed(tiny, s, store) for s in tiny.seeds], store)
    return study, store, expert


@pytest.mark.training
def test_an_under_budgeted_expert_is_rejected_with_diagnostics(rejected):
    _, _, expert = rejected
    assert expert.status == "rejected"
    text = " | ".join(ExpertMetrics.from_json(expert.metrics).decision.diagnostics)
    assert "did not converge" in text and "seed 29" in text
    with pytest.raises(ExpertNotApproved, match="rejected"):
        load_expert_policy(expert)


@pytest.mark.training
def test_no_dataset_from_a_non_promoted_expert(rejected):
    study, store, expert = rejected
    with pytest.raises(ExpertNotApproved, match="not approved"):
        record_dataset(study.dataset, expert, store)
    assert not store.list("dataset")
