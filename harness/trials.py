"""Expert-recipe trials: train one PPO expert on the study's mix and evaluate it per family.

    python -m harness.trials --label prox --seed 0 --steps 4000000 --eval-every 1000000 \
        --lidar-proximity 0.5 --out trials.jsonl

What the study's expert stage does, with the learner's knobs exposed (the progress potential,
the lidar history, waypoints, the collision reward, the network, the PPO settings, an annealed
learning rate, the policy's lidar proximity features) and no gate: the tool that found why the
mix expert failed its gate on the new stack (issue 21). One trial = one seed of one setting.
It trains on the episode stream of the study's expert run of that seed (a trial is a what-if of
that run), and at every checkpoint the deterministic policy plays ``--episodes`` episodes of each
family on the same fixed set of the ``audit_eval`` purpose, which no stage of a study trains,
selects or evaluates on (:mod:`harness.seeds`). A row (steps, wall and CPU time of training,
success/collision per family) is printed and appended to ``--out`` (JSON lines). Training time
excludes evaluation time; on a shared machine the CPU time is the one to read throughput from.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, replace

import torch

from harness.evaluate import evaluate_families as evaluate_mix
from harness.metrics import EvalSummary
from harness.nav.mix import ScenarioMix
from harness.seeds import SeedRange, evaluation_set
from harness.spec.mixes import load_mixes
from harness.spec.ppo import PPOConfig
from harness.train import RunSeeds, build_ppo

TRIAL_SET = 1
"""Index of the trials' evaluation set among the ``audit_eval`` purpose's sets (the CLI's
re-evaluation uses set 0)."""


@dataclass(frozen=True)
class Anneal:
    """A learning rate decaying linearly from ``lr`` to 0 at step ``steps``, for one
    ``learn()`` call that ends at step ``end`` (SB3's progress counts within the call:
    ``1 - num_timesteps / end``). Picklable, so a saved model keeps it."""

    lr: float
    steps: int
    end: int

    def __call__(self, progress_remaining: float) -> float:
        step = (1.0 - progress_remaining) * self.end
        return self.lr * max(0.0, 1.0 - step / self.steps)


def trial_mix(potential: str | None, history: int | None,
              passage_margin: float | None = None, waypoint: bool | None = None,
              collision: float | None = None) -> ScenarioMix:
    """The declared ``all`` mix with the learner's reward potential / lidar history set on every
    family (they must agree: they are step parameters of the batch); None keeps the spec's."""
    mix = load_mixes()["all"]
    families = []
    for f in mix.families:
        if potential is not None:
            f = replace(f, reward=replace(f.reward, potential=potential))
        if passage_margin is not None:
            f = replace(f, reward=replace(f.reward, passage_margin=passage_margin))
        if collision is not None:
            f = replace(f, reward=replace(f.reward, collision=collision))
        if waypoint is not None:
            f = replace(f, observation=replace(f.observation, waypoint=waypoint))
        if history is not None:
            f = replace(f, lidar=replace(f.lidar, history=history))
        families.append(f)
    return replace(mix, families=tuple(families))


def evaluation_window(mix: ScenarioMix, episodes: int) -> SeedRange:
    """The seeds from which every family's ``episodes`` trial episodes are dealt."""
    return evaluation_set("audit_eval", TRIAL_SET, mix.evaluation_window(episodes))


def evaluate_families(model, mix: ScenarioMix, episodes: int, n_envs: int = 256
                      ) -> dict[str, EvalSummary]:
    """Deterministic evaluation of ``episodes`` episodes of each family."""
    window = evaluation_window(mix, episodes)
    return evaluate_mix(model.policy, mix, window.seeds(), episodes, n_envs).families


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=10_000_000)
    ap.add_argument("--eval-every", type=int, default=2_000_000)
    ap.add_argument("--episodes", type=int, default=200)
    ap.add_argument("--potential", choices=("euclidean", "geodesic"))
    ap.add_argument("--history", type=int)
    ap.add_argument("--passage-margin", type=float)
    ap.add_argument("--waypoint", action="store_true", default=None)
    ap.add_argument("--collision", type=float, help="the collision reward of every family")
    ap.add_argument("--net", default="64,64")
    ap.add_argument("--n-envs", type=int, default=64)
    ap.add_argument("--n-steps", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=2048)
    ap.add_argument("--n-epochs", type=int, default=5)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--lr-anneal", action="store_true",
                    help="learning rate decays linearly to 0 at --steps")
    ap.add_argument("--gamma", type=float, default=0.99)
    ap.add_argument("--ent-coef", type=float, default=0.0)
    ap.add_argument("--lidar-proximity", type=float, default=None,
                    help="ppo.lidar_proximity: the policy also reads exp(-d / this) of each ray")
    ap.add_argument("--out", default=None)
    ap.add_argument("--save", default=None, help="write the final model to this .zip")
    args = ap.parse_args(argv)

    torch.set_num_threads(1)
    mix = trial_mix(args.potential, args.history, args.passage_margin, args.waypoint,
                    args.collision)
    cfg = PPOConfig(n_envs=args.n_envs, n_steps=args.n_steps, batch_size=args.batch_size,
                    n_epochs=args.n_epochs, learning_rate=args.lr, gamma=args.gamma,
                    ent_coef=args.ent_coef, lidar_proximity=args.lidar_proximity,
                    net_arch=tuple(int(x) for x in args.net.split(",")))
    seeds = RunSeeds.of("expert_training", "expert", args.seed)
    model = build_ppo(cfg, mix, seeds, tensorboard=None)
    settings = {k: v for k, v in vars(args).items() if k not in ("out",)}
    names = [f.name for f in mix.families]
    print(f"# {json.dumps(settings)}", flush=True)
    print("steps      train_s  cpu_s  " + "  ".join(f"{n:>13}" for n in names), flush=True)
    train_s = cpu_s = 0.0
    while model.num_timesteps < args.steps:
        t0, c0 = time.perf_counter(), time.process_time()
        chunk = min(args.eval_every, args.steps - model.num_timesteps)
        if args.lr_anneal:
            model.lr_schedule = Anneal(args.lr, args.steps, model.num_timesteps + chunk)
        model.learn(total_timesteps=chunk, reset_num_timesteps=False)
        train_s += time.perf_counter() - t0
        cpu_s += time.process_time() - c0
        t0 = time.perf_counter()
        rates = evaluate_families(model, mix, args.episodes)
        eval_s = time.perf_counter() - t0
        print(f"{model.num_timesteps:<10d} {train_s:7.0f} {cpu_s:6.0f}  "
              + "  ".join(f"{e.success_rate:.3f}/{e.collision_rate:.3f}".rjust(13)
                          for e in rates.values()), flush=True)
        if args.out:
            row = {**settings, "steps": model.num_timesteps, "train_s": round(train_s, 1),
                   "train_cpu_s": round(cpu_s, 1), "eval_s": round(eval_s, 1),
                   "steps_per_s": model.num_timesteps / train_s,
                   "steps_per_cpu_s": model.num_timesteps / cpu_s,
                   "families": {k: {"success": e.success_rate, "collision": e.collision_rate,
                                    "timeout": e.timeout_rate,
                                    "collisions_by_kind": e.collisions_by_kind}
                                for k, e in rates.items()}}
            with open(args.out, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(row) + "\n")
    if args.save:
        model.save(args.save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
