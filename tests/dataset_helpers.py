"""A small real dataset recorded with a hand-written go-to-goal controller (no training)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.core.store import git_state, now_iso
from harness.nav.observation import GOAL_COS, GOAL_SIN
from harness.spec.scenarios import load_scenario
from harness.stages.dataset.record import collect, write_dataset


class GoToGoal:
    """Steer toward the goal bearing; slow down while turning. Deterministic."""

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        obs = np.atleast_2d(obs)
        bearing = np.arctan2(obs[:, GOAL_SIN], obs[:, GOAL_COS])
        omega = np.clip(2.0 * bearing / np.pi * 2.0, -1.0, 1.0)
        v = np.where(np.abs(bearing) < 0.5, 1.0, 0.3)
        return np.stack([v, omega], axis=1).astype(np.float32), None


def make_dataset(folder: Path, episodes: int = 12, scenarios=("crowd", "open"),
                 seed0: int = 1000, mix: str | None = None) -> dict:
    """Recorded from ``scenarios`` round-robin, or over the mix named ``mix``."""
    seeds = list(range(seed0, seed0 + episodes))
    if mix is not None:
        from harness.spec.mixes import load_mix

        the_mix = load_mix(mix)
        scs, sources = list(the_mix.families), [the_mix]
    else:
        the_mix = None
        scs = sources = [load_scenario(s) for s in scenarios]
    eps = collect(GoToGoal(), sources, seeds, deterministic=True, n_envs=8)
    provenance = {"created": now_iso(), "seeds": seeds, "git": git_state(),
                  "expert": {"id": "scripted-go-to-goal", "manifest_sha256": "n/a"},
                  "deterministic_actions": True}
    return write_dataset(folder, "harness/nav-test-v0", eps, scs, provenance, mix=the_mix)
