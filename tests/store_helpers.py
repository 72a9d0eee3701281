"""A small finished store built by hand: expert run -> approved expert -> dataset -> comparison.

Real files where a stage reads them (SB3 ``model.zip``, a recorded HDF5 dataset), tiny sizes,
no training: for integrity, audit and CLI tests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from harness.core.store import Artifact, Build, Store
from tests.dataset_helpers import make_dataset

DATASET_EPISODES = 4


def save_untrained_policy(path: Path, seed: int) -> None:
    from stable_baselines3 import PPO

    from harness.nav.env import NavEnv
    from harness.spec.scenarios import load_scenario

    model = PPO("MlpPolicy", NavEnv(load_scenario("open")), n_steps=64, batch_size=64,
                seed=seed, device="cpu", policy_kwargs={"net_arch": [8]})
    model.save(path)


@dataclass
class TinyStudy:
    store: Store
    run: Artifact
    expert: Artifact
    dataset: Artifact
    comparison: Artifact

    def rebuild(self, name: str, calls: list | None = None) -> Artifact:
        """Ask the store for one artefact again with the identity it was built with."""
        return BUILDERS[name](self.store, self, calls)


def _run(store: Store, study: TinyStudy | None, calls: list | None) -> Artifact:
    def build(b: Build) -> None:
        if calls is not None:
            calls.append("expert_run")
        save_untrained_policy(b.dir / "model.zip", seed=0)
        (b.dir / "learning_curve.json").write_text(json.dumps([{"timesteps": 0}]))
        (b.dir / "checkpoints").mkdir()
        (b.dir / "checkpoints" / "step_000000000.zip").write_bytes(b"checkpoint")
        b.status = "converged"

    return store.get_or_build("expert_run", {"stage": "expert_run"}, [0], build,
                              extra_manifest={"scenario": "open"})


def _expert(store: Store, study: TinyStudy, calls: list | None) -> Artifact:
    def build(b: Build) -> None:
        if calls is not None:
            calls.append("expert")
        (b.dir / "model.zip").write_bytes(study.run.file("model.zip").read_bytes())
        b.status = "approved"
        b.metrics = {"decision": {"status": "approved", "diagnostics": []}}

    return store.get_or_build("expert", {"stage": "expert"}, [0], build, inputs=[study.run],
                              extra_manifest={"scenario": "open", "chosen_seed": 0})


def _dataset(store: Store, study: TinyStudy, calls: list | None) -> Artifact:
    def build(b: Build) -> None:
        if calls is not None:
            calls.append("dataset")
        make_dataset(b.dir, DATASET_EPISODES, scenarios=("open",))
        b.metrics = {"episodes": DATASET_EPISODES}

    return store.get_or_build("dataset", {"stage": "dataset", "min_episodes": DATASET_EPISODES},
                              [1000], build, inputs=[study.expert])


def _comparison(store: Store, study: TinyStudy, calls: list | None) -> Artifact:
    def build(b: Build) -> None:
        if calls is not None:
            calls.append("comparison")
        b.metrics = {"ratio": 0.5}

    return store.get_or_build("comparison", {"stage": "comparison"}, [0], build,
                              inputs=[study.dataset, study.expert])


BUILDERS = {"run": _run, "expert": _expert, "dataset": _dataset, "comparison": _comparison}


def build_tiny_study(root: Path) -> TinyStudy:
    store = Store(root)
    study = TinyStudy(store, None, None, None, None)  # type: ignore[arg-type]
    study.run = _run(store, study, None)
    study.expert = _expert(store, study, None)
    study.dataset = _dataset(store, study, None)
    study.comparison = _comparison(store, study, None)
    return study
