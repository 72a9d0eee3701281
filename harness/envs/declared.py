"""A declared Gymnasium environment (:class:`~harness.envs.gym_family.GymFamily`) as an
:class:`~harness.envs.environment.Environment`: Gymnasium's own vectorisation over the run's seed
block, the generic episode runner, its spaces as they are (Box or Discrete), the outcome flags
of its declared rule, and its reset/end descriptors for coverage."""

from __future__ import annotations

from collections.abc import Sequence

import gymnasium as gym
import numpy as np

from harness.envs.environment import COVERAGE_TOLERANCE, Advice, DatasetLayout
from harness.envs.gym_family import GymFamily
from harness.metrics import DatasetCoverage
from harness.stages.dataset.coverage import declared_coverage
from harness.stages.dataset.schema import DECLARED_INFO_KEYS


def space_contract(space: gym.Space) -> dict:
    """A space's contract in a dataset's metadata (Box and Discrete)."""
    if isinstance(space, gym.spaces.Discrete):
        return {"kind": "discrete", "n": int(space.n), "start": int(space.start),
                "shape": [], "dtype": str(np.dtype(space.dtype))}
    if isinstance(space, gym.spaces.Box):
        return {"kind": "box", "shape": list(space.shape), "dtype": str(np.dtype(space.dtype)),
                "dim": int(np.prod(space.shape)),
                "low": space.low.reshape(-1).tolist(), "high": space.high.reshape(-1).tolist()}
    raise ValueError(f"{type(space).__name__} spaces are not supported (Box and Discrete are); "
                     f"declare a wrapper that flattens it, e.g. "
                     f"gymnasium.wrappers:FlattenObservation")


def reset_descriptor_ranges(family: GymFamily, seeds: Sequence[int]) -> dict[str, list[float]]:
    """[min, max] of each reset descriptor of ``family`` over the episodes of ``seeds``."""
    if not family.descriptors or not seeds:
        return {}
    env = family.make()
    values: dict[str, list[float]] = {}
    try:
        for s in seeds:
            obs, info = env.reset(seed=int(s))
            for k, v in family.describe_reset(env, obs, info).items():
                values.setdefault(k, []).append(v)
    finally:
        env.close()
    return {k: [min(v), max(v)] for k, v in values.items()}


class Declared:
    """One family of the spec's ``environment:`` section."""

    info_keys = DECLARED_INFO_KEYS
    """The outcome flags of its declared rule (its descriptors are episode attributes)."""

    def __init__(self, family: GymFamily):
        self.family = family
        self.name = family.name

    @property
    def observation_space(self) -> gym.Space:
        return self.family.observation_space

    @property
    def action_space(self) -> gym.Space:
        return self.family.action_space

    @property
    def dataset_prefix(self) -> str:
        return self.family.environment

    @property
    def advice(self) -> Advice:
        """The declared environment's own outcome rule, episode limit, wrappers and reward
        scale (never the simulator's scenario fields)."""
        family = self.family
        rule = family.outcome.describe()
        limit = (f"environment.max_episode_steps = {family.max_episode_steps:,}"
                 if family.max_episode_steps else "the registered episode limit")
        return Advice(
            collisions=(f"the outcome rule counts '{rule['collision']}' as a collision: check "
                        f"that it names the environment's failures; make them cost more than "
                        f"the return of ending early (a reward-scaling wrapper in "
                        f"environment.wrappers), or give PPO more expert.budget"),
            timeouts=(f"no episode ending met '{rule['success']}' before {limit}: check the "
                      f"outcome rule's success clause against what the environment reports at "
                      f"the goal, raise the episode limit if the task needs longer, shape or "
                      f"scale the reward with a wrapper, or give PPO more expert.budget"))

    def training_env(self, n_envs: int, seed_block: tuple[int, int]):
        from harness.envs.vec import BlockSeededVecEnv

        return BlockSeededVecEnv(self.family, n_envs, seed_block)

    def make(self, render_mode: str | None = None) -> gym.Env:
        return self.family.make(render_mode=render_mode)

    def play(self, policy, seeds: Sequence[int], n_envs: int, deterministic: bool,
             on_step=None, on_reset=None) -> dict:
        from harness.envs.runner import run_family_episodes

        return run_family_episodes(policy, self.family, seeds, n_envs, deterministic, on_step,
                                   on_reset)

    def episode_end(self, info: dict) -> dict:
        return self.family.describe_end(info)

    def lidar_layout(self) -> tuple[int, float] | None:
        return None  # whatever its observation holds, the harness knows no lidar in it

    def replay_check(self) -> bool | None:
        from harness.spec.environment import replayable

        return replayable(self.family)

    # ------------------------------------------------------------------ datasets
    def contracts(self) -> tuple[dict, dict]:
        """Observation and action contracts, from its spaces."""
        return space_contract(self.observation_space), space_contract(self.action_space)

    def contract_problems(self, contract: dict) -> list[str]:
        want, _ = self.contracts()
        return [f"{k}: dataset {contract.get(k)!r}, env {v!r}" for k, v in want.items()
                if contract.get(k) != v]

    def dataset_layout(self, scenarios: list, episodes: list, mix) -> DatasetLayout:
        names = sorted({k for e in episodes for k in e.layout if k != "scenario"})

        def attributes(e) -> dict:
            return {k: float(e.layout[k]) for k in names if k in e.layout}

        def coverage(eps: list) -> dict:
            return declared_coverage([{"scenario": e.scenario, "steps": len(e.actions),
                                       "outcome": e.outcome,
                                       "descriptors": {k: v for k, v in e.layout.items()
                                                       if k != "scenario"}} for e in eps])

        base = self.family.make_base()
        try:
            env_spec = base.spec.to_json()
        finally:
            base.close()
        obs_contract, act_contract = self.contracts()
        return DatasetLayout(
            observation_space=self.observation_space, action_space=self.action_space,
            observation_contract=obs_contract, action_contract=act_contract,
            info_keys=DECLARED_INFO_KEYS, env_spec=env_spec,
            metadata={"env_config": {f.name: f.as_dict() for f in scenarios},
                      "info_keys": list(DECLARED_INFO_KEYS), "descriptors": names},
            attributes=attributes, coverage=coverage)

    # ------------------------------------------------------------------ shift coverage
    def declared_ranges(self, seeds: Sequence[int] = ()) -> dict:
        """A declared environment declares no ranges: its family, env (id and kwargs) and the
        ranges of its reset descriptors over ``seeds`` (reset only, no policy plays) stand in
        for them."""
        return {"family": self.name, "env": self.family.label(),
                "descriptors": reset_descriptor_ranges(self.family, seeds or [])}

    def coverage(self, dataset_id: str, meta: dict, seeds: Sequence[int] = ()
                 ) -> DatasetCoverage:
        """By family, by env (id and kwargs) and, where descriptors are declared, by their
        ranges."""
        family = self.family
        per = meta["coverage"]["scenarios"]
        names = [family.name] if family.name in per else sorted(per)
        envs = sorted({GymFamily.from_dict(meta["env_config"][n]).label() for n in names})
        ranges = {}
        for d in {d for n in names for d in per[n].get("descriptors", {})}:
            ranges[d] = [min(per[n]["descriptors"][d]["min"] for n in names),
                         max(per[n]["descriptors"][d]["max"] for n in names)]
        gaps = []
        if family.name not in per:
            have = ", ".join(f"{n} ({per[n]['episodes']})" for n in sorted(per))
            gaps.append(f"no {family.name} episodes (the dataset has {have})")
        if family.label() not in envs:
            gaps.append(f"no episodes of {family.label()} (the dataset has {', '.join(envs)})")
        want = reset_descriptor_ranges(family, list(seeds))
        for d, (want_lo, want_hi) in sorted(want.items()):
            if d not in ranges:
                gaps.append(f"no {d} values recorded")
                continue
            lo, hi = ranges[d]
            slack = COVERAGE_TOLERANCE * (want_hi - want_lo)
            if lo > want_lo + slack or hi < want_hi - slack:
                gaps.append(f"{d} {lo:.3g}-{hi:.3g} against {want_lo:.3g}-{want_hi:.3g}")
        return DatasetCoverage(id=dataset_id,
                               families={n: int(per[n]["episodes"]) for n in sorted(per)},
                               from_families=names, layouts=envs, obstacles=[], pedestrians=[],
                               start_goal_distance=[], gaps=gaps, descriptors=ranges)
