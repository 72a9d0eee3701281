"""One small remote build for the fault tests: ``python -m tests.ray.small_build STORE ADDRESS``
builds (or reuses) a shortened smoke expert seed on the Ray cluster at ADDRESS into STORE, with
live progress, and prints ``built`` or ``reused``."""

from __future__ import annotations

import sys
from dataclasses import replace

import tests.ray.cluster  # noqa: F401  (loopback-only Ray: before ray is imported)
from harness.core.executor import RayExecutor
from harness.core.progress import ProgressReporter
from harness.core.store import Artifact, Store
from harness.pipeline import REMOTE_KINDS
from harness.spec.loader import load_study
from harness.stages.expert.build import train_expert_seed
from harness.stages.expert.config import ExpertSpec


def small_expert() -> ExpertSpec:
    """One smoke expert seed, shortened to a build of some seconds with many evaluations."""
    spec = load_study("smoke").expert
    return replace(spec, budget=40960, eval=replace(spec.eval, every=4096, episodes=10),
                   final_episodes=20)


def build(store: Store) -> Artifact:
    progress = ProgressReporter(None, store.root / ".progress").for_run("small build")
    return train_expert_seed(small_expert(), 0, store, progress)


def main(root: str, address: str) -> None:
    executor = RayExecutor(address=address, kinds=REMOTE_KINDS)
    try:
        art = build(Store(root, executor=executor))
        print("built" if art.built else "reused", art.id, flush=True)
    finally:
        executor.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
