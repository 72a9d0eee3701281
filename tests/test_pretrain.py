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
    assert [r["epoch"] for r in curve] == [0, 1, 2, 3]  # epoch 0: the untrained policy
    assert curve[-1]["train_nll"] < curve[0]["train_nll"]
    assert len(list(tmp_path.glob("epoch_*.pt"))) == 3


def _state(policy) -> list[torch.Tensor]:
    return [p.detach().clone() for p in policy.state_dict().values()]


@pytest.mark.parametrize("keep", ["best", "last"])
def test_bc_keeps_the_epoch_of_lowest_validation_loss(dataset, tmp_path, keep):
    """Issue 24: on few episodes BC overfits; the policy kept is the checkpoint of lowest
    validation NLL (or the last, when so declared), and "BC learned something" compares the
    kept policy with the untrained one, not the last epoch with the first."""
    from harness.stages.pretraining.recipe import bc_learned

    model = build_ppo(CFG, load_scenario("open"), RUN, None)
    demos = load_demonstrations(dataset, CFG.gamma, 0.3, seed=0)
    curve = train_bc(model, demos, BCConfig(epochs=12, batch_size=32, learning_rate=0.01,
                                            keep=keep), 0, tmp_path)
    kept = [r for r in curve if r["kept"]]
    assert len(kept) == 1 and kept[0]["epoch"] > 0
    trained = curve[1:]
    want = min(trained, key=lambda r: r["val_nll"]) if keep == "best" else trained[-1]
    assert kept[0]["epoch"] == want["epoch"]
    saved = torch.load(tmp_path / f"epoch_{want['epoch']:03d}.pt", weights_only=True)
    assert all(torch.equal(a, saved[k]) for k, a in model.policy.state_dict().items())
    loss, kept_nll, untrained = bc_learned(curve)
    assert loss == "val_nll" and kept_nll == want["val_nll"] and untrained == curve[0]["val_nll"]


def test_one_episode_keeps_the_last_epoch_and_is_judged_on_its_training_loss(tmp_path):
    from harness.stages.pretraining.recipe import bc_learned

    folder = tmp_path / "one"
    make_dataset(folder, 1, scenarios=("open",))
    model = build_ppo(CFG, load_scenario("open"), RUN, None)
    demos = load_demonstrations(folder, CFG.gamma, 0.1, seed=0)
    assert demos.val_episodes == []
    curve = train_bc(model, demos, BCConfig(epochs=3, batch_size=16), 0, tmp_path / "bc")
    assert curve[-1]["kept"]
    loss, kept, untrained = bc_learned(curve)
    assert loss == "train_nll" and kept < untrained


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
