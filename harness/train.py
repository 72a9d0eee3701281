"""SB3 PPO training with periodic deterministic evaluation, convergence detection and checkpoints.

Extends SB3 through a callback (:class:`PeriodicEvaluation`), never by copying its loop. Every
run writes, into the folder it is given: ``model.zip``, ``learning_curve.json``,
``checkpoints/step_*.zip`` (one per evaluation), ``tb/`` (TensorBoard) and
``hyperparameters.json`` (the values read back from the live SB3 model).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.utils import set_random_seed

from harness.envs import environment, training_env
from harness.evaluate import evaluate_families
from harness.metrics import CurvePoint, FamilyRates
from harness.nav.features import LidarProximity
from harness.nav.mix import ScenarioMix
from harness.nav.scenario import Scenario
from harness.seeds import SeedRange, evaluation_span, init_seed, training_block
from harness.spec.common import EvalSchedule, Thresholds
from harness.spec.ppo import PPOConfig
from harness.stats import first_sustained

log = logging.getLogger("harness.train")

ProgressFn = Callable[[dict], None]


@dataclass(frozen=True)
class RunSeeds:
    """Where a training run's randomness comes from (:mod:`harness.seeds`): the block of episode
    seeds its environments play, and the seed of its network initialisation and sampling."""

    block: SeedRange
    init: int

    @classmethod
    def of(cls, purpose: str, stream: str, seed: int) -> RunSeeds:
        return cls(training_block(purpose, stream, seed), init_seed(purpose, stream, seed))


def build_ppo(cfg: PPOConfig, scenario: Scenario, seeds: RunSeeds, tensorboard: Path | None,
              cls: type[PPO] = PPO, **extra) -> PPO:
    """A fresh SB3 PPO (or subclass) on the batched env, every hyperparameter from ``cfg``.

    The env plays only the run's own block of episode seeds. ``PPO(seed=...)`` is deliberately
    not used: SB3 then calls ``env.seed(seed)``, which would replace the run's streams by the
    streams every run of the same seed shares (the block-seeded env refuses it); the RNGs are
    seeded here instead, from the run's identity.
    """
    set_random_seed(seeds.init)
    env = training_env(scenario, cfg.n_envs, (seeds.block.start, seeds.block.stop))
    model = cls("MlpPolicy", env, device="cpu", verbose=0,
                tensorboard_log=str(tensorboard) if tensorboard else None,
                **cfg.sb3_kwargs(lidar_layout(scenario)), **extra)
    if tensorboard is None:  # else SB3 leaves an empty /tmp/SB3-<time> folder at every learn()
        model.set_logger(Logger(folder=None, output_formats=[]))
    return model


def lidar_layout(scenario) -> tuple[int, float] | None:
    """(lidar entries at the start of the observation, lidar range in metres) of a built-in
    simulator's scenario or mix; None for a declared environment (it has no known lidar)."""
    return environment(scenario).lidar_layout()


def training_seeds_played(model: PPO, block: SeedRange) -> SeedRange:
    """The part of its block the run's training environments actually played."""
    start, stop = model.get_env().seeds_played()
    if start != block.start or stop > block.stop:
        raise RuntimeError(f"the training env played [{start}, {stop}), not inside its block "
                           f"[{block.start}, {block.stop})")
    return SeedRange(block.purpose, start, stop)


def effective_hyperparameters(model: PPO) -> dict:
    """Read back the hyperparameters the live SB3 model actually uses, in PPOConfig's shape.

    The learning rate comes from the optimiser and ``lr_schedule`` (setting
    ``model.learning_rate`` after construction changes neither; DESIGN.md section 6).
    """
    policy = model.policy
    pi_layers = [m.out_features for m in policy.mlp_extractor.policy_net
                 if isinstance(m, torch.nn.Linear)]
    vf_layers = [m.out_features for m in policy.mlp_extractor.value_net
                 if isinstance(m, torch.nn.Linear)]
    act = type(next(m for m in policy.mlp_extractor.policy_net
                    if not isinstance(m, torch.nn.Linear))).__name__.lower()
    # a fine-tuning model has a separate "actor" group whose rate warms up from 0
    lrs = {g["lr"] for g in policy.optimizer.param_groups if g.get("name") != "actor"}
    return {
        "n_envs": model.n_envs,
        "n_steps": model.n_steps,
        "batch_size": model.batch_size,
        "n_epochs": model.n_epochs,
        "learning_rate": float(model.lr_schedule(1.0)),
        "optimizer_lr": sorted(float(x) for x in lrs),
        "gamma": float(model.gamma),
        "gae_lambda": float(model.gae_lambda),
        "clip_range": float(model.clip_range(1.0)),
        "ent_coef": float(model.ent_coef),
        "vf_coef": float(model.vf_coef),
        "max_grad_norm": float(model.max_grad_norm),
        "net_arch": pi_layers,
        "net_arch_vf": vf_layers,
        "activation": act,
        "log_std": (float(policy.log_std.detach().mean()) if hasattr(policy, "log_std")
                    else None),  # a discrete action space has no log std
        "lidar_proximity": (policy.features_extractor.scale
                            if isinstance(policy.features_extractor, LidarProximity) else None),
    }


def check_hyperparameters(model: PPO, cfg: PPOConfig) -> dict:
    """Raise if any configured value is not the one in effect; return the read-back values."""
    got = effective_hyperparameters(model)
    want = cfg.as_dict()
    problems = [f"{k}: configured {want[k]!r}, in effect {got[k]!r}"
                for k in want if k != "log_std_init" and got[k] != want[k]]
    if got["net_arch_vf"] != want["net_arch"]:
        problems.append(f"net_arch (critic): configured {want['net_arch']}, "
                        f"in effect {got['net_arch_vf']}")
    if got["optimizer_lr"] != [want["learning_rate"]]:
        problems.append(f"learning_rate (optimiser): configured {want['learning_rate']}, "
                        f"in effect {got['optimizer_lr']}")
    if problems:
        raise ValueError("hyperparameters not in effect in the SB3 model: " + "; ".join(problems))
    return got


@dataclass(frozen=True)
class Target:
    """The evaluation criterion of convergence / time to target, held for ``consecutive`` evals."""

    thresholds: Thresholds
    consecutive: int
    early_stop: bool
    stop_at: Thresholds | None = None
    """With ``early_stop``: the levels the K evaluations must meet to stop (None: the
    thresholds); convergence is still judged at ``thresholds``."""

    def stops(self, curve: list[dict]) -> bool:
        """Whether training stops after the evaluations in ``curve``."""
        if not self.early_stop:
            return False
        level = self.stop_at or self.thresholds
        return first_sustained([at_target(r, level) for r in curve], self.consecutive) is not None


class PeriodicEvaluation(BaseCallback):
    """Evaluate at step 0 and every ``schedule.every`` online steps up to ``budget``.

    Evaluation ``i`` (at step ``i * every``) plays its own episode set
    (``schedule.episode_set(i)``), so the k consecutive evaluations that confirm a target are k
    independent samples, and no evaluation happens off the grid (none at the end of training).
    Persists a learning curve;
    stops training once ``target`` has held for K consecutive evaluations (at its ``stop_at``
    levels when it has them) when ``target.early_stop``; saves a checkpoint at every evaluation.
    """

    def __init__(self, scenario: Scenario, schedule: EvalSchedule, target: Target,
                 out_dir: Path, budget: int, progress: ProgressFn | None = None,
                 offset: int = 0, resume_dir: Path | None = None):
        super().__init__()
        self.resume_dir = resume_dir
        self.scenario = scenario
        self.schedule = schedule
        self.target = target
        self.out_dir = out_dir
        self.progress = progress
        self.budget = budget
        self.offset = offset
        self.curve: list[dict] = []
        self.converged_at: int | None = None
        self.started = 0.0
        self.grid = schedule.grid(budget)

    def _steps(self) -> int:
        return self.num_timesteps - self.offset

    def _on_training_start(self) -> None:
        self.started = time.perf_counter()
        if not self.curve:  # a resumed run already has its evaluations up to here
            self._evaluate()

    def _on_step(self) -> bool:
        if len(self.curve) < len(self.grid) and self._steps() >= self.grid[len(self.curve)]:
            self._evaluate()
            if self.converged_at is not None and self.target.stops(self.curve):
                return False
        return True

    def _evaluate(self) -> None:
        index = len(self.curve)
        steps = self.grid[index]
        if self._steps() != steps:
            raise RuntimeError(f"evaluation {index} due at step {steps:,} ran at "
                               f"{self._steps():,}: eval.every must be a multiple of n_envs")
        episodes = self.schedule.episode_set(index)
        ev = evaluate_families(self.model.policy, self.scenario, episodes.seeds(),
                               self.schedule.episodes, self.schedule.n_envs)
        res = ev.pooled
        families = ({name: FamilyRates.of(f) for name, f in ev.families.items()}
                    if isinstance(self.scenario, ScenarioMix) else None)
        point = CurvePoint(timesteps=int(steps),
                           wall_seconds=round(time.perf_counter() - self.started, 3),
                           episode_seeds=[episodes.start, episodes.stop],
                           success_rate=res.success_rate, success_ci=res.success_ci,
                           collision_rate=res.collision_rate, collision_ci=res.collision_ci,
                           timeout_rate=res.timeout_rate, return_=res.return_,
                           episode_length=res.length.mean, families=families)
        row = point.to_json()
        self.curve.append(row)
        ckpt = self.out_dir / "checkpoints" / f"step_{steps:09d}.zip"
        ckpt.parent.mkdir(parents=True, exist_ok=True)
        self.model.save(ckpt)
        for key in ("success_rate", "collision_rate", "timeout_rate"):
            self.logger.record(f"eval/{key}", row[key])
        self.logger.record("eval/return_mean", row["return"]["mean"])
        if self.converged_at is None:
            hit = first_sustained([at_target(r, self.target.thresholds) for r in self.curve],
                                  self.target.consecutive)
            if hit is not None:
                self.converged_at = self.curve[hit]["timesteps"]
        if self.resume_dir is not None:
            save_resume_point(self.model, self.resume_dir, self.curve, self.converged_at,
                              self.offset)
        if self.progress is not None:
            self.progress({**row, "budget": self.budget, "converged_at": self.converged_at})


def at_target(row: dict, thresholds: Thresholds) -> bool:
    """Whether a learning-curve row meets ``thresholds``: of a mix, on every family."""
    families = row.get("families")
    if families:
        return all(thresholds.met(f["success_rate"], f["collision_rate"])
                   for f in families.values())
    return thresholds.met(row["success_rate"], row["collision_rate"])


def family_at_target(curve: list[dict], family: str, thresholds: Thresholds) -> list[bool]:
    """Per evaluation of ``curve``, whether ``family`` met ``thresholds``."""
    return [thresholds.met(r["families"][family]["success_rate"],
                           r["families"][family]["collision_rate"]) for r in curve]


RESUME_NOTE = ("approximate: the run continues from its last evaluation's parameters, optimiser "
               "state, step count and episode-seed streams, but the rollout in progress, the "
               "episodes in progress and the RNG states are not restored (SB3 does not save "
               "them), so its numbers after that step differ from an uninterrupted run's")


def save_resume_point(model: PPO, folder: Path, curve: list[dict], converged_at: int | None,
                      offset: int) -> None:
    """Write the run's state at this evaluation to ``folder`` (atomically: model, then the
    record that points at it)."""
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / "model.tmp.zip")
    os.replace(folder / "model.tmp.zip", folder / "model.zip")
    record = {"num_timesteps": int(model.num_timesteps), "offset": offset, "curve": curve,
              "converged_at": converged_at, "n_updates": int(model._n_updates),
              "streams": model.get_env().stream_state(),
              "bc_weight_now": getattr(model, "bc_weight_now", None)}
    (folder / "resume.tmp.json").write_text(json.dumps(record))
    os.replace(folder / "resume.tmp.json", folder / "resume.json")


def resume(model: PPO, folder: Path | None, evaluator: PeriodicEvaluation) -> int | None:
    """Load the last resume point of this build into ``model`` and ``evaluator``; the step it
    resumes from, or None when there is none."""
    if folder is None or not (folder / "resume.json").is_file():
        return None
    record = json.loads((folder / "resume.json").read_text())
    model.set_parameters(str(folder / "model.zip"), exact_match=True, device="cpu")
    model.num_timesteps = record["num_timesteps"]
    model._n_updates = record["n_updates"]
    if record.get("bc_weight_now") is not None:
        model.bc_weight_now = record["bc_weight_now"]
    model.get_env().restore_streams(record["streams"])
    evaluator.curve = record["curve"]
    evaluator.converged_at = record["converged_at"]
    evaluator.offset = record["offset"]
    return record["num_timesteps"] - record["offset"]


@dataclass
class RunResult:
    curve: list[dict]
    converged_at: int | None
    """Step of the first of the K consecutive evaluations at the target (None: never)."""
    timesteps: int
    wall_seconds: float
    hyperparameters: dict
    episode_seeds: dict[str, dict]
    """The seed ranges the run trained and was periodically evaluated on, by role."""
    resumed_from: int | None = None
    """The step a killed build of this run was resumed from (None: it ran uninterrupted)."""

    def resumption(self) -> dict | None:
        """What the manifest says about a resumed run."""
        if self.resumed_from is None:
            return None
        return {"resumed_from_step": self.resumed_from, "exact": False, "note": RESUME_NOTE}


def train_run(model: PPO, scenario: Scenario, budget: int, schedule: EvalSchedule,
              target: Target, out_dir: Path, seeds: RunSeeds, progress: ProgressFn | None = None,
              callbacks: list[BaseCallback] = (), cfg: PPOConfig | None = None,
              resume_dir: Path | None = None) -> RunResult:
    """Train ``model`` for at most ``budget`` online env steps, evaluating on the grid.

    With ``resume_dir``, every evaluation leaves a resume point there, and a run that finds one
    (its earlier build was killed) continues from it instead of from step 0
    (:data:`RESUME_NOTE` says what is and is not restored)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    hparams = check_hyperparameters(model, cfg) if cfg is not None else \
        effective_hyperparameters(model)
    evaluator = PeriodicEvaluation(scenario, schedule, target, out_dir, budget, progress,
                                   offset=model.num_timesteps, resume_dir=resume_dir)
    resumed_from = resume(model, resume_dir, evaluator)
    done = 0 if resumed_from is None else resumed_from
    start = time.perf_counter()
    model.learn(budget - done, callback=CallbackList([*callbacks, evaluator]),
                tb_log_name="tb", reset_num_timesteps=False)
    wall = time.perf_counter() - start
    model.save(out_dir / "model.zip")
    (out_dir / "learning_curve.json").write_text(json.dumps(evaluator.curve, indent=1))
    (out_dir / "hyperparameters.json").write_text(json.dumps(hparams, indent=1))
    periodic = evaluation_span(schedule.purpose, len(evaluator.curve), schedule.reserved)
    return RunResult(curve=evaluator.curve, converged_at=evaluator.converged_at,
                     timesteps=int(model.num_timesteps - evaluator.offset), wall_seconds=wall,
                     hyperparameters=hparams,
                     episode_seeds={"training": training_seeds_played(model, seeds.block)
                                    .as_dict(), "periodic_eval": periodic.as_dict()},
                     resumed_from=resumed_from)



