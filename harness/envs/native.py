"""The built-in simulator behind the environment interface: its batched episode runner.

:class:`~harness.nav.core.NavBatch` steps ``k`` robots in one call; the slots take the seeds of
the list in order (:class:`~harness.envs.runner.SlotQueue`), exactly as the generic runner does
for a declared environment, and the simulator also reports what only it measures: the contact
kind of a collision, path length and minimum clearance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from harness.envs.runner import SlotQueue
from harness.nav.core import NavBatch


def run_native_episodes(policy, scenario, seeds: Sequence[int], n_envs: int,
                        deterministic: bool, on_step: Callable | None = None,
                        on_reset: Callable | None = None) -> dict[str, np.ndarray]:
    """One episode per seed of a scenario (or mix); per-episode arrays in the order of
    ``seeds``: ``outcome``, ``contact`` (codes of :mod:`harness.nav.outcomes`), ``ret``,
    ``len``, ``path``, ``clear``. Hooks as :data:`harness.evaluate.StepHook`."""
    total = len(seeds)
    k = max(1, min(n_envs, total))
    sim = NavBatch(scenario, k)
    result = {name: np.zeros(total) for name in ("ret", "len", "path", "clear")}
    outcome = np.zeros(total, dtype=np.int64)
    contact = np.zeros(total, dtype=np.int64)
    queue = SlotQueue(seeds, k)
    obs = np.zeros((k, scenario.obs_dim), dtype=np.float32)

    def start(slot: int) -> None:
        ep = queue.start(slot)
        if ep is None:
            return
        obs[slot] = sim.reset(slot, seeds[ep])
        if on_reset is not None:
            on_reset(ep, obs[slot].copy(), sim.layout_info(slot))

    for slot in range(k):
        start(slot)
    while queue.running:
        actions, _ = policy.predict(obs, deterministic=deterministic)
        actions = np.asarray(actions, dtype=np.float32).reshape(k, 2)
        res = sim.step(actions)
        done = res.terminated | res.truncated
        for slot in queue.live():
            ep = queue.episode[slot]
            if on_step is not None:
                info = sim.info(slot, int(res.outcome[slot]), int(res.contact[slot]))
                on_step(ep, obs[slot].copy(), actions[slot].copy(), float(res.reward[slot]),
                        res.obs[slot].copy(), bool(res.terminated[slot]),
                        bool(res.truncated[slot]), info)
            if done[slot]:
                outcome[ep] = res.outcome[slot]
                contact[ep] = res.contact[slot]
                result["ret"][ep] = sim.episode_return[slot]
                result["len"][ep] = sim.t[slot]
                result["path"][ep] = sim.path_length[slot]
                result["clear"][ep] = sim.min_clearance[slot]
                start(slot)
            else:
                obs[slot] = res.obs[slot]
    return {"outcome": outcome, "contact": contact, **result}
