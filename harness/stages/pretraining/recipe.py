"""Pre-training PPO from expert data: behaviour cloning (imitation's ``bc.BC``) of the very SB3
policy that PPO will fine-tune, critic pre-training on Monte-Carlo returns, and a fine-tuning PPO
that does not unlearn.

Why each piece (DESIGN.md section 6): BC alone leaves the critic random, so the first PPO updates
use garbage advantages and wreck the cloned actor; so the critic is regressed on the dataset's
discounted returns (same gamma as PPO), then warmed up online with the actor frozen, and the
actor's learning rate ramps up from zero (PIRLNav, Ramrakhya et al., CVPR 2023). An optional
auxiliary BC loss with decaying weight keeps the actor near the data early on (DAPG, Rajeswaran et
al., RSS 2018). The action noise learnt by BC is usually tiny; it is reset for exploration.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch
from imitation.algorithms import bc as imitation_bc
from imitation.data.types import Transitions
from imitation.util import logger as imit_logger
from stable_baselines3 import PPO

from harness.envs import environment
from harness.stages.dataset.schema import DATA_DIR, DATA_FILE, METADATA_FILE
from harness.stages.pretraining.config import BCConfig, CriticConfig, FineTuneConfig


class ContractMismatch(ValueError):
    """The dataset's observation layout differs from the environment's (hand-over check)."""


# ----------------------------------------------------------------------------- data
@dataclass
class Demonstrations:
    """Dataset transitions split by episode into train and validation parts."""

    train: Transitions
    val_obs: np.ndarray
    val_acts: np.ndarray
    train_returns: np.ndarray
    """Discounted Monte-Carlo return of every training transition (for the critic)."""
    val_returns: np.ndarray
    train_episodes: list[int]
    val_episodes: list[int]


def check_contract(dataset_path: Path, scenario) -> dict:
    """Raise unless the dataset's observation contract equals the environment's."""
    meta = json.loads((dataset_path / DATA_DIR / METADATA_FILE).read_text())
    contract = meta.get("observation_contract", {})
    problems = environment(scenario).contract_problems(contract)
    if problems:
        raise ContractMismatch(f"{dataset_path / DATA_DIR / METADATA_FILE}: field "
                               f"'observation_contract': expected the layout of scenario "
                               f"'{scenario.name}', found: " + "; ".join(problems))
    return contract


def discounted_returns(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """G_t = r_t + gamma * G_{t+1}, G after the last step = 0 (hand-checkable)."""
    out = np.zeros(len(rewards), dtype=np.float64)
    g = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        g = rewards[t] + gamma * g
        out[t] = g
    return out


def load_demonstrations(dataset_path: Path, gamma: float, val_fraction: float,
                        seed: int) -> Demonstrations:
    """Transitions in dataset order; validation episodes drawn with ``seed`` (at least one when
    ``val_fraction > 0`` and there are two episodes or more: a size-study subset of 5 episodes
    still has a validation loss)."""
    with h5py.File(dataset_path / DATA_DIR / DATA_FILE, "r") as fh:
        episodes = [fh[f"episode_{i}"] for i in range(len(fh.keys()))]
        data = [(e["observations"][()], e["actions"][()], e["rewards"][()],
                 e["terminations"][()] | e["truncations"][()]) for e in episodes]
    n = len(data)
    rng = np.random.default_rng(seed)
    n_val = max(1, int(round(val_fraction * n))) if n > 1 and val_fraction > 0 else 0
    val = sorted(rng.choice(n, size=n_val, replace=False).tolist()) if n_val else []
    train = [i for i in range(n) if i not in set(val)]

    def stack(ids: list[int]):
        obs = np.concatenate([data[i][0][:-1] for i in ids]) if ids else np.zeros((0, 1))
        nxt = np.concatenate([data[i][0][1:] for i in ids]) if ids else np.zeros((0, 1))
        acts = np.concatenate([data[i][1] for i in ids]) if ids else \
            np.zeros((0, *data[0][1].shape[1:]), dtype=data[0][1].dtype)
        dones = np.concatenate([data[i][3] for i in ids]) if ids else np.zeros(0, bool)
        rets = np.concatenate([discounted_returns(data[i][2], gamma) for i in ids]) if ids \
            else np.zeros(0)
        return obs, nxt, acts, dones, rets

    obs, nxt, acts, dones, rets = stack(train)
    vobs, _, vacts, _, vrets = stack(val)
    transitions = Transitions(obs=obs.astype(np.float32), acts=_actions(acts),
                              infos=np.array([{}] * len(obs)), next_obs=nxt.astype(np.float32),
                              dones=dones.astype(bool))
    return Demonstrations(train=transitions, val_obs=vobs.astype(np.float32),
                          val_acts=_actions(vacts), train_returns=rets,
                          val_returns=vrets, train_episodes=train, val_episodes=val)


def _actions(acts: np.ndarray) -> np.ndarray:
    """Continuous actions as float32, discrete ones as int64 (what SB3's policies take)."""
    return acts.astype(np.int64 if acts.dtype.kind in "iu" else np.float32)


# ----------------------------------------------------------------------------- BC
def policy_nll(policy, obs: np.ndarray, acts: np.ndarray) -> tuple[float, float]:
    """Mean negative log-likelihood of ``acts`` and mean entropy under ``policy``."""
    if len(obs) == 0:
        return float("nan"), float("nan")
    with torch.no_grad():
        o = torch.as_tensor(obs)
        a = torch.as_tensor(acts)
        _, log_prob, entropy = policy.evaluate_actions(o, a)
    return float(-log_prob.mean()), float(entropy.mean())


def bc_schedule(cfg: BCConfig, transitions: int) -> tuple[int, int]:
    """(batch size, epochs) of BC on ``transitions`` training transitions: the configured batch
    (at most the data), and the configured epochs or, when a small dataset would get fewer than
    ``cfg.min_updates`` gradient steps that way, enough epochs for ``min_updates`` (so a
    size-study subset is not under-trained merely for being small)."""
    batch = max(1, min(cfg.batch_size, transitions))
    per_epoch = transitions // batch  # imitation drops the incomplete last batch
    epochs = max(cfg.epochs, math.ceil(cfg.min_updates / max(per_epoch, 1)))
    return batch, epochs


def train_bc(model: PPO, demos: Demonstrations, cfg: BCConfig, seed: int, out_dir: Path
             ) -> list[dict]:
    """Clone the expert into ``model.policy`` in place; losses of the untrained policy (epoch
    0), then losses and a checkpoint at (at most) ``cfg.epochs`` evenly spaced epochs, the last
    included (:func:`bc_schedule`). With ``cfg.keep == "best"`` the policy kept is the
    checkpoint of lowest validation NLL (early stopping: a small dataset overfits, and its last
    epoch is then worse than an earlier one), else the last; the kept entry has ``"kept":
    True``. Without validation episodes (a one-episode dataset) the last epoch is kept."""
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    batch, epochs = bc_schedule(cfg, len(demos.train.obs))
    trainer = imitation_bc.BC(
        observation_space=model.observation_space, action_space=model.action_space,
        rng=np.random.default_rng(seed), policy=model.policy, demonstrations=demos.train,
        batch_size=batch, optimizer_kwargs={"lr": cfg.learning_rate},
        ent_weight=cfg.ent_weight, l2_weight=cfg.l2_weight, device="cpu",
        custom_logger=imit_logger.configure(str(out_dir / "log"), format_strs=["csv"]))
    probe = np.random.default_rng(seed).choice(len(demos.train.obs),
                                               size=min(4096, len(demos.train.obs)),
                                               replace=False)
    curve: list[dict] = []
    every = math.ceil(epochs / cfg.epochs)
    epoch = 0

    def record() -> None:
        train_nll, entropy = policy_nll(model.policy, demos.train.obs[probe],
                                        demos.train.acts[probe])
        val_nll, _ = policy_nll(model.policy, demos.val_obs, demos.val_acts)
        curve.append({"epoch": epoch, "train_nll": train_nll, "val_nll": val_nll,
                      "entropy": entropy, "batch_size": batch, "kept": False})

    def on_epoch_end() -> None:
        nonlocal epoch
        epoch += 1
        if epoch % every and epoch != epochs:
            return
        record()
        torch.save(model.policy.state_dict(), out_dir / f"epoch_{epoch:03d}.pt")

    model.policy.set_training_mode(False)
    record()  # epoch 0: the untrained policy, what "BC learned something" is measured against
    model.policy.set_training_mode(True)
    trainer.train(n_epochs=epochs, on_epoch_end=on_epoch_end, progress_bar=False,
                  log_interval=10**9)
    model.policy.set_training_mode(False)
    trained = curve[1:]
    kept = trained[-1]
    if cfg.keep == "best" and len(demos.val_obs):
        kept = min(trained, key=lambda r: (r["val_nll"], -r["epoch"]))
        model.policy.load_state_dict(torch.load(out_dir / f"epoch_{kept['epoch']:03d}.pt",
                                                weights_only=True))
    kept["kept"] = True
    (out_dir / "bc_curve.json").write_text(json.dumps(curve, indent=1))
    return curve


def bc_learned(curve: list[dict]) -> tuple[str, float, float]:
    """What "BC learned something" compares: (loss name, the kept policy's, the untrained
    policy's), on the validation episodes when there are any, else on the training probe."""
    kept = next(r for r in curve if r.get("kept"))
    untrained = curve[0]
    key = "val_nll" if np.isfinite(untrained["val_nll"]) else "train_nll"
    if untrained["epoch"] != 0:
        raise ValueError("this BC curve has no epoch-0 (untrained) entry: it predates the kept "
                         "epoch (issue 24)")
    return key, float(kept[key]), float(untrained[key])


# ----------------------------------------------------------------------------- critic
def critic_parameters(policy) -> list[torch.nn.Parameter]:
    return list(policy.mlp_extractor.value_net.parameters()) + list(
        policy.value_net.parameters())


def actor_parameters(policy) -> list[torch.nn.Parameter]:
    return list(policy.mlp_extractor.policy_net.parameters()) + list(
        policy.action_net.parameters()) + ([policy.log_std] if hasattr(policy, "log_std")
                                           else [])  # a discrete policy has no log std


def pretrain_critic(model: PPO, demos: Demonstrations, cfg: CriticConfig, seed: int
                    ) -> list[dict]:
    """Regress the critic on discounted MC returns of the expert data (MSE); actor untouched."""
    if cfg.epochs == 0 or len(demos.train.obs) == 0:
        return []
    policy = model.policy
    params = critic_parameters(policy)
    opt = torch.optim.Adam(params, lr=cfg.learning_rate)
    # copies: the demonstrations may be read-only views of the dataset (torch warns on those)
    obs = torch.tensor(demos.train.obs)
    target = torch.as_tensor(demos.train_returns, dtype=torch.float32)
    vobs = torch.tensor(demos.val_obs)
    vtarget = torch.as_tensor(demos.val_returns, dtype=torch.float32)
    gen = torch.Generator().manual_seed(seed)
    curve = []
    for epoch in range(1, cfg.epochs + 1):
        perm = torch.randperm(len(obs), generator=gen)
        for k in range(0, len(obs), cfg.batch_size):
            idx = perm[k:k + cfg.batch_size]
            loss = torch.nn.functional.mse_loss(policy.predict_values(obs[idx]).flatten(),
                                                target[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            tr = float(torch.nn.functional.mse_loss(policy.predict_values(obs).flatten(), target))
            va = float(torch.nn.functional.mse_loss(policy.predict_values(vobs).flatten(),
                                                    vtarget)) if len(vobs) else float("nan")
        curve.append({"epoch": epoch, "train_mse": tr, "val_mse": va})
    return curve


# ----------------------------------------------------------------------------- fine-tuning
class FineTunePPO(PPO):
    """PPO whose actor and critic have their own learning rates, for fine-tuning a BC policy.

    The actor's rate is 0 for ``critic_warmup_steps`` (actor frozen: Adam with lr 0 moves
    nothing), then ramps linearly to the PPO rate over ``actor_warmup_steps``. Optionally an
    auxiliary BC loss on dataset batches follows each PPO update, its weight decaying.
    """

    def __init__(self, *args, recipe: FineTuneConfig | None = None,
                 demos: Demonstrations | None = None, **kwargs):
        self.recipe = recipe or FineTuneConfig()
        self.demos = demos
        self.finetune_start = 0
        self.bc_weight_now = self.recipe.bc_weight
        super().__init__(*args, **kwargs)

    def _excluded_save_params(self) -> list[str]:
        return [*super()._excluded_save_params(), "demos"]  # the dataset is an input artefact

    def _setup_model(self) -> None:
        super()._setup_model()
        lr = self.lr_schedule(1.0)
        kwargs = {k: v for k, v in self.policy.optimizer.defaults.items()
                  if k in ("eps", "betas", "weight_decay")}
        self.policy.optimizer = self.policy.optimizer_class(
            [{"params": actor_parameters(self.policy), "name": "actor",
              "lr": lr * self.actor_lr_factor(0)},
             {"params": critic_parameters(self.policy), "name": "critic", "lr": lr}], **kwargs)

    def actor_lr_factor(self, steps: int) -> float:
        """0 during the critic warm-up, then a linear ramp to 1 over the actor warm-up."""
        r = self.recipe
        if steps < r.critic_warmup_steps:
            return 0.0
        if r.actor_warmup_steps <= 0:
            return 1.0
        return min(1.0, (steps - r.critic_warmup_steps) / r.actor_warmup_steps)

    def _update_learning_rate(self, optimizers) -> None:
        lr = self.lr_schedule(self._current_progress_remaining)
        factor = self.actor_lr_factor(self.num_timesteps - self.finetune_start)
        self.logger.record("train/learning_rate", lr)
        self.logger.record("train/actor_lr_factor", factor)
        for group in self.policy.optimizer.param_groups:
            group["lr"] = lr * (factor if group.get("name") == "actor" else 1.0)

    def train(self) -> None:
        super().train()
        if self.demos is not None and self.bc_weight_now > 0 and self.recipe.bc_steps > 0:
            self._bc_regularise()
            self.bc_weight_now *= self.recipe.bc_decay

    def _bc_regularise(self) -> None:
        """A few steps of weight * NLL(dataset actions) on the actor (DAPG-style)."""
        obs, acts = self.demos.train.obs, self.demos.train.acts
        rng = np.random.default_rng(self.num_timesteps)
        for _ in range(self.recipe.bc_steps):
            idx = rng.choice(len(obs), size=min(self.recipe.bc_batch_size, len(obs)),
                             replace=False)
            _, log_prob, _ = self.policy.evaluate_actions(torch.as_tensor(obs[idx]),
                                                          torch.as_tensor(acts[idx]))
            loss = -self.bc_weight_now * log_prob.mean()
            self.policy.optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
            self.policy.optimizer.step()
        self.logger.record("train/bc_weight", self.bc_weight_now)


def reset_action_noise(model: PPO, log_std: float | None) -> bool:
    """Set the policy's action log std (exploration noise); False when the policy has none
    (a discrete action space: its exploration is the categorical distribution itself)."""
    if not hasattr(model.policy, "log_std"):
        return False
    if log_std is not None:
        with torch.no_grad():
            model.policy.log_std.fill_(log_std)
    return True
