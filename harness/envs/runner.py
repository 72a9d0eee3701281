"""Episodes of a declared environment on explicit seeds: the generic evaluation and recording path.

``k`` copies of the environment play the list of seeds; each slot starts the next seed with
``reset(seed=s)`` as soon as its episode ends, and the policy acts on all live slots in one
batched ``predict``. An episode's result depends only on its seed and the (deterministic) policy,
never on the slot that played it, exactly as for the built-in simulator's batched path. Only the
Gymnasium API is needed, plus the outcome flags :class:`~harness.envs.outcome.DeclaredOutcome`
adds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from harness.envs.gym_family import GymFamily
from harness.envs.outcome import FLAGS

OUTCOME_CODES = {"success": 1, "collision": 2, "timeout": 3}
"""The built-in simulator's outcome codes (harness.nav.outcomes), shared by every table."""


class SlotQueue:
    """Deals a list of episode seeds to ``k`` slots in order: a slot whose episode ended starts
    the next seed (the evaluation loop of the simulator and of any declared environment)."""

    def __init__(self, seeds: Sequence[int], k: int):
        self.seeds = seeds
        self.episode = np.full(k, -1)
        """The episode index each slot plays (-1: idle, the list is used up)."""
        self._next = 0

    def start(self, slot: int) -> int | None:
        """Give ``slot`` the next episode; its index, or None when none is left."""
        if self._next >= len(self.seeds):
            self.episode[slot] = -1
            return None
        ep = self.episode[slot] = self._next
        self._next += 1
        return ep

    def live(self) -> np.ndarray:
        return np.flatnonzero(self.episode >= 0)

    @property
    def running(self) -> bool:
        return bool((self.episode >= 0).any())


def outcome_name(info: dict) -> str:
    for name in ("success", "collision"):
        if info.get(FLAGS[name]):
            return name
    return "timeout"


def run_family_episodes(policy, family: GymFamily, seeds: Sequence[int], n_envs: int,
                        deterministic: bool, on_step: Callable | None = None,
                        on_reset: Callable | None = None) -> dict[str, np.ndarray]:
    """Play one episode per seed; per-episode arrays in the order of ``seeds``: ``outcome``
    (codes), ``ret``, ``len``. ``on_reset(episode, obs, layout)`` gets the family name and
    reset descriptors as ``layout``; ``on_step`` as :data:`harness.evaluate.StepHook`."""
    seeds = [int(s) for s in seeds]
    total = len(seeds)
    k = max(1, min(n_envs, total))
    envs = [family.make() for _ in range(k)]
    space = family.observation_space
    obs = np.zeros((k, *space.shape), dtype=space.dtype)
    outcome = np.zeros(total, dtype=np.int64)
    ret = np.zeros(total)
    length = np.zeros(total)
    queue = SlotQueue(seeds, k)
    slot_return = np.zeros(k)
    slot_steps = np.zeros(k, dtype=np.int64)

    def start(slot: int) -> None:
        ep = queue.start(slot)
        if ep is None:
            return
        o, info = envs[slot].reset(seed=seeds[ep])
        obs[slot] = o
        slot_return[slot], slot_steps[slot] = 0.0, 0
        if on_reset is not None:
            layout = {"scenario": family.name, **family.describe_reset(envs[slot], o, info)}
            on_reset(ep, obs[slot].copy(), layout)

    try:
        for slot in range(k):
            start(slot)
        while queue.running:
            actions, _ = policy.predict(obs, deterministic=deterministic)
            actions = np.asarray(actions)
            for slot in queue.live():
                ep = queue.episode[slot]
                a = actions[slot]
                o, r, terminated, truncated, info = envs[slot].step(a)
                slot_return[slot] += float(r)
                slot_steps[slot] += 1
                if on_step is not None:
                    if terminated or truncated:
                        info = {**info, **family.describe_end(info)}
                    on_step(ep, obs[slot].copy(), np.array(a, copy=True), float(r),
                            np.array(o, copy=True), bool(terminated), bool(truncated), info)
                if terminated or truncated:
                    outcome[ep] = OUTCOME_CODES[outcome_name(info)]
                    ret[ep] = slot_return[slot]
                    length[ep] = slot_steps[slot]
                    start(slot)
                else:
                    obs[slot] = o
    finally:
        for env in envs:
            env.close()
    return {"outcome": outcome, "ret": ret, "len": length}
