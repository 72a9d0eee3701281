"""Retrieval for audits: list artefacts, read manifests, reload policies.

    from harness.api import load_policy
    model = load_policy("expert-0123456789abcdef")      # an approved expert -> SB3 PPO
"""

from __future__ import annotations

from pathlib import Path

from stable_baselines3 import PPO

from harness.paths import artifacts_dir
from harness.store import Artifact, Store, StoreError


def open_store(root: str | Path | None = None) -> Store:
    return Store(Path(root) if root else artifacts_dir())


def load_policy(artifact_id: str, root: str | Path | None = None) -> PPO:
    """Load the SB3 PPO model of an artefact: an approved expert, or any artefact whose manifest
    lists a ``model.zip`` (a rejected expert raises, with its diagnostics)."""
    from harness.expert import load_expert_policy

    art = open_store(root).find(artifact_id)
    if art.kind == "expert":
        return load_expert_policy(art)
    if art.kind == "arm_run":
        from harness.study import load_final_policy

        return load_final_policy(art)
    return PPO.load(art.file("model.zip"), device="cpu")


def find(artifact_id: str, root: str | Path | None = None) -> Artifact:
    return open_store(root).find(artifact_id)


__all__ = ["Artifact", "StoreError", "find", "load_policy", "open_store"]
