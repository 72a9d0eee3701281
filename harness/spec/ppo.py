"""PPO hyperparameters: one frozen, typed config, each field the exact SB3 argument it sets."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from harness.spec.errors import Fields

ACTIVATIONS = ("tanh", "relu")


@dataclass(frozen=True)
class PPOConfig:
    """Hyperparameters of every PPO run (expert, baseline, fine-tuning) unless overridden."""

    n_envs: int = 64
    """Parallel robots in the batched VecEnv (one numpy call steps them all)."""
    n_steps: int = 128
    """Rollout length per env; a rollout is n_envs * n_steps transitions."""
    batch_size: int = 2048
    """Minibatch size of the PPO update."""
    n_epochs: int = 5
    """Passes over each rollout."""
    learning_rate: float = 3e-4
    """Adam step size (constant; passed to SB3 so that ``lr_schedule`` carries it)."""
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip_range: float = 0.2
    ent_coef: float = 0.0
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    net_arch: tuple[int, ...] = (64, 64)
    """Hidden layers of both the actor and the critic (separate networks)."""
    activation: str = "tanh"
    log_std_init: float = 0.0
    """Initial log standard deviation of the Gaussian action noise."""
    lidar_proximity: float | None = None
    """Metres. When set, the policy also reads ``exp(-d / lidar_proximity)`` of each lidar
    reading ``d`` (:class:`harness.nav.features.LidarProximity`; the built-in simulator's
    families only). None: the observation as it is."""

    def sb3_kwargs(self, lidar: tuple[int, float] | None = None) -> dict:
        """Keyword arguments of ``stable_baselines3.PPO`` (policy_kwargs included).

        ``lidar`` = (lidar entries at the start of the observation, lidar range in metres), which
        :attr:`lidar_proximity` needs."""
        import torch.nn as nn

        act = {"tanh": nn.Tanh, "relu": nn.ReLU}[self.activation]
        features = {}
        if self.lidar_proximity is not None:
            if lidar is None:
                raise ValueError("ppo.lidar_proximity needs a lidar: the built-in simulator's "
                                 "families have one, a declared environment does not")
            from harness.nav.features import LidarProximity

            features = {"features_extractor_class": LidarProximity,
                        "features_extractor_kwargs": {"lidar_entries": lidar[0],
                                                      "max_range": lidar[1],
                                                      "scale": self.lidar_proximity}}
        return {
            "n_steps": self.n_steps, "batch_size": self.batch_size, "n_epochs": self.n_epochs,
            "learning_rate": self.learning_rate, "gamma": self.gamma,
            "gae_lambda": self.gae_lambda, "clip_range": self.clip_range,
            "ent_coef": self.ent_coef, "vf_coef": self.vf_coef,
            "max_grad_norm": self.max_grad_norm,
            "policy_kwargs": {"net_arch": {"pi": list(self.net_arch), "vf": list(self.net_arch)},
                              "activation_fn": act, "log_std_init": self.log_std_init,
                              **features},
        }

    def as_dict(self) -> dict:
        d = asdict(self)
        d["net_arch"] = list(self.net_arch)
        return d


def parse_ppo(f: Fields, base: PPOConfig | None = None) -> PPOConfig:
    """Read a ``ppo:`` mapping; absent fields keep the values of ``base`` (or the defaults)."""
    b = base or PPOConfig()
    arch = f.raw("net_arch", list(b.net_arch))
    if not isinstance(arch, list) or not arch or any(
            isinstance(x, bool) or not isinstance(x, int) or x < 1 for x in arch):
        raise f.error("net_arch", "a non-empty list of positive integers", arch)
    cfg = PPOConfig(
        n_envs=f.integer("n_envs", b.n_envs, lo=1, hi=4096),
        n_steps=f.integer("n_steps", b.n_steps, lo=2),
        batch_size=f.integer("batch_size", b.batch_size, lo=2),
        n_epochs=f.integer("n_epochs", b.n_epochs, lo=1),
        learning_rate=f.number("learning_rate", b.learning_rate, lo=0.0, hi=1.0),
        gamma=f.number("gamma", b.gamma, lo=0.0, hi=1.0),
        gae_lambda=f.number("gae_lambda", b.gae_lambda, lo=0.0, hi=1.0),
        clip_range=f.number("clip_range", b.clip_range, lo=0.0, hi=1.0),
        ent_coef=f.number("ent_coef", b.ent_coef, lo=0.0),
        vf_coef=f.number("vf_coef", b.vf_coef, lo=0.0),
        max_grad_norm=f.number("max_grad_norm", b.max_grad_norm, lo=0.0),
        net_arch=tuple(arch),
        activation=f.string("activation", b.activation, choices=ACTIVATIONS),
        log_std_init=f.number("log_std_init", b.log_std_init, lo=-5.0, hi=2.0),
        lidar_proximity=(None if f.raw("lidar_proximity", b.lidar_proximity) is None else
                         f.number("lidar_proximity", b.lidar_proximity, lo=0.01, hi=100.0)),
    )
    f.done()
    if (cfg.n_envs * cfg.n_steps) % cfg.batch_size:
        raise f.error("batch_size", f"a divisor of n_envs * n_steps = {cfg.n_envs * cfg.n_steps}",
                      cfg.batch_size)
    return cfg


