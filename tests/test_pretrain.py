"""Pre-training mechanics: returns, splits, the observation contract, BC into the PPO policy,
and the fine-tuning recipe's knobs in effect."""

import numpy as np
import pytest
import torch

from harness.spec.ppo import PPOConfig
from harness.spec.scenarios import load_scenario
from harness.stages.pretraining.config import BCConfig, CriticConfig, FineTuneConfig
from harness.stages.pretraining.recipe import (
    ContractMismatch,
    FineTunePPO,
    actor_parameters,
    check_contract,
    critic_parameters,
    discounted_returns,
    load_demonstrations,
    pretrain_critic,
    reset_action_noise,
    train_bc,
)
from harness.train import RunSeeds, build_ppo
from tests.dataset_helpers import make_dataset

RUN = RunSeeds.of("comparison_training", "pretrained", 0)

CFG = PPOConfig(n_envs=8, n_steps=32, batch_size=128, n_epochs=2)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pre") / "ds"
    make_dataset(folder, 10, scenarios=("open",))
    return folder


def test_discounted_returns_hand_values():
    np.testing.assert_allclose(discounted_returns(np.array([1.0, 0.0, 2.0]), 0.5),
                               [1.0 + 0.5 * 0.0 + 0.25 * 2.0, 1.0, 2.0])


def test_split_is_by_episode_and_aligned(dataset):
    demos = load_demonstrations(dataset, 0.99, 0.2, seed=0)
    assert not set(demos.train_episodes) & set(demos.val_episodes)
    assert len(demos.val_episodes) == 2
    assert len(demos.train.obs) == len(demos.train.acts) == len(demos.train_returns)
    assert demos.train.dones.sum() == len(demos.train_episodes)


def test_contract_mismatch_is_refused(dataset):
    from dataclasses import replace

    from harness.nav.scenario import LidarParams

    check_contract(dataset, load_scenario("open"))
    other = replace(load_scenario("open"), lidar=LidarParams(rays=16))
    with pytest.raises(ContractMismatch, match="observation_contract.*dim"):
        check_contract(dataset, other)


def test_bc_trains_the_ppo_policy_itself(dataset, tmp_path):
    model = build_ppo(CFG, load_scenario("open"), RUN, None)
    policy = model.policy
    before = [p.detach().clone() for p in actor_parameters(policy)]
    demos = load_demonstrations(dataset, CFG.gamma, 0.2, seed=0)
    curve = train_bc(model, demos, BCConfig(epochs=3, batch_size=64), 0, tmp_path)
    assert model.policy is policy  # no conversion: the same SB3 object PPO fine-tunes
    assert any(not torch.equal(a, b) for a, b in zip(before, actor_parameters(policy),
                                                      strict=True))
    assert len(curve) == 3 and curve[-1]["train_nll"] < curve[0]["train_nll"] + 1e-9
    assert len(list(tmp_path.glob("epoch_*.pt"))) == 3


def test_critic_pretraining_moves_only_the_critic(dataset):
    model = build_ppo(CFG, load_scenario("open"), RUN, None)
    actor = [p.detach().clone() for p in actor_parameters(model.policy)]
    demos = load_demonstrations(dataset, CFG.gamma, 0.2, seed=0)
    curve = pretrain_critic(model, demos, CriticConfig(epochs=5, batch_size=64), 0)
    assert curve[-1]["train_mse"] < curve[0]["train_mse"]
    assert all(torch.equal(a, b) for a, b in zip(actor, actor_parameters(model.policy),
                                                  strict=True))


def test_recipe_freezes_the_actor_then_ramps_its_learning_rate():
    recipe = FineTuneConfig(critic_warmup_steps=1000, actor_warmup_steps=1000)
    model = build_ppo(CFG, load_scenario("open"), RUN, None, cls=FineTunePPO, recipe=recipe)
    assert [model.actor_lr_factor(s) for s in (0, 999, 1000, 1500, 2000, 5000)] == \
        [0.0, 0.0, 0.0, 0.5, 1.0, 1.0]
    actor = [p.detach().clone() for p in actor_parameters(model.policy)]
    critic = [p.detach().clone() for p in critic_parameters(model.policy)]
    model.learn(2 * CFG.n_envs * CFG.n_steps)  # 512 steps: inside the critic warm-up
    assert all(torch.equal(a, b) for a, b in zip(actor, actor_parameters(model.policy),
                                                  strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(critic, critic_parameters(model.policy),
                                                      strict=True))
    groups = {g["name"]: g["lr"] for g in model.policy.optimizer.param_groups}
    assert groups == {"actor": 0.0, "critic": CFG.learning_rate}


def test_log_std_reset_is_in_effect():
    model = build_ppo(CFG, load_scenario("open"), RUN, None)
    reset_action_noise(model, -1.25)
    assert torch.allclose(model.policy.log_std, torch.full((2,), -1.25))
