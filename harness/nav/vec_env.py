"""The SB3 face: a native ``VecEnv`` stepping N robots in one numpy call.

Follows SB3's VecEnv conventions: finished slots are reset automatically, the last observation of
the finished episode is in ``info["terminal_observation"]`` and time-outs carry
``info["TimeLimit.truncated"]`` so that PPO bootstraps them (see SB3's ``OnPolicyAlgorithm``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from harness.nav.core import NavBatch
from harness.nav.env import action_space, observation_space, resolve_scenario
from harness.nav.mix import ScenarioMix
from harness.nav.render import render_frame
from harness.nav.scenario import Scenario
from harness.nav.seeding import EpisodeSeeds, StridedSeeds


class NavVecEnv(VecEnv):
    """N independent episodes of one scenario or scenario mix (each episode's family then
    follows from its seed, and is named in its final ``info["scenario"]``).

    Seeded with ``seed``, env ``i`` plays the stream of ``seed + i`` (SB3's convention, and what
    ``VecEnv.seed`` sets). Given a ``seed_block = (start, stop)`` instead, env ``i`` plays
    ``start + i, start + i + N, ...`` inside the block and nothing else: a block-seeded env refuses
    ``seed()`` (SB3's ``PPO(seed=s)`` calls it, which would silently replace the run's own streams
    by streams shared with every other run of seed ``s``).
    """

    def __init__(self, scenario: Scenario | ScenarioMix | str, num_envs: int,
                 seed: int | None = None, render_mode: str | None = None, track_paths: bool = False,
                 seed_block: tuple[int, int] | None = None):
        self.scenario = resolve_scenario(scenario)
        self.render_mode = render_mode  # read by VecEnv.__init__
        super().__init__(num_envs, observation_space(self.scenario), action_space())
        self.sim = NavBatch(self.scenario, num_envs)
        if seed_block is not None and seed is not None:
            raise ValueError("give either seed or seed_block, not both")
        self.seed_block = seed_block
        self._streams: list[EpisodeSeeds] | list[StridedSeeds]
        if seed_block is not None:
            self._streams = [StridedSeeds(*seed_block, slot=i, stride=num_envs)
                             for i in range(num_envs)]
        else:
            self._streams = [EpisodeSeeds(None if seed is None else seed + i)
                             for i in range(num_envs)]
        self._actions: np.ndarray | None = None
        self._track = track_paths or render_mode == "rgb_array"
        self._paths: list[list[np.ndarray]] = [[] for _ in range(num_envs)]

    def reset(self) -> np.ndarray:
        # VecEnv.seed(s) stores s + i in _seeds, to take effect at this reset (SB3 >= 2.0).
        if any(s is not None for s in self._seeds):
            self._streams = [EpisodeSeeds(s) for s in self._seeds]
            self._reset_seeds()
        for i in range(self.num_envs):
            self.sim.reset(i, self._streams[i].next())
            self._paths[i] = [self.sim.pos[i].copy()]
        self._reset_options()
        return self.sim.observe()

    def seed(self, seed: int | None = None):
        if self.seed_block is not None:
            raise RuntimeError(f"this env plays the episode-seed block {self.seed_block} of its "
                               f"run; reseeding it (e.g. PPO(seed=...)) would share streams "
                               f"with other runs")
        return super().seed(seed)

    def stream_state(self) -> list[list[int]]:
        """Where each slot's block stream stands (to resume a run without replaying a seed)."""
        if self.seed_block is None:
            raise RuntimeError("only a block-seeded env can save its streams")
        return [[s._next, s.played] for s in self._streams]

    def restore_streams(self, state: list[list[int]]) -> None:
        """Continue each slot's stream where :meth:`stream_state` left it; the next reset
        starts fresh episodes from there (episodes in progress are not restored)."""
        if self.seed_block is None or len(state) != self.num_envs:
            raise RuntimeError("stream state does not fit this env")
        for stream, (nxt, played) in zip(self._streams, state, strict=True):
            stream._next, stream.played = int(nxt), int(played)

    def seeds_played(self) -> tuple[int, int] | None:
        """``[start, stop)`` covering every episode seed a block-seeded env has played."""
        if self.seed_block is None:
            return None
        last = [s.last for s in self._streams if s.last is not None]
        return (self.seed_block[0], max(last) + 1 if last else self.seed_block[0])

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self):
        res = self.sim.step(self._actions)
        obs = res.obs
        done = res.terminated | res.truncated
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if self._track:
            for i in range(self.num_envs):
                self._paths[i].append(self.sim.pos[i].copy())
        for i in np.flatnonzero(done):
            info = self.sim.info(i, int(res.outcome[i]), int(res.contact[i]))
            info["TimeLimit.truncated"] = bool(res.truncated[i])
            info["terminal_observation"] = obs[i].copy()
            info["episode"] = {"r": float(self.sim.episode_return[i]), "l": int(self.sim.t[i])}
            infos[i] = info
            obs[i] = self.sim.reset(i, self._streams[i].next())
            self._paths[i] = [self.sim.pos[i].copy()]
        return obs, res.reward.astype(np.float32), done, infos

    def close(self) -> None:
        pass

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [render_frame(self.sim, i, np.array(self._paths[i])) for i in range(self.num_envs)]

    def render(self, mode: str | None = None) -> np.ndarray | None:
        return super().render(mode="rgb_array" if mode is None else mode)

    # The attribute API addresses the scenario-level attributes shared by every slot.
    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        return [getattr(self, attr_name) for _ in self._indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        setattr(self, attr_name, value)

    def env_method(self, method_name: str, *method_args, indices: Any = None,
                   **method_kwargs) -> list[Any]:
        return [getattr(self, method_name)(*method_args, **method_kwargs)
                for _ in self._indices(indices)]

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False for _ in self._indices(indices)]

    def _indices(self, indices: Any) -> Iterable[int]:
        if indices is None:
            return range(self.num_envs)
        if isinstance(indices, int):
            return [indices]
        return indices
