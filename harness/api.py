"""Retrieval for audits: list artefacts, read manifests, reload policies.

    from harness.api import load_policy
    model = load_policy("expert-0123456789abcdef")      # an approved expert -> SB3 PPO

Everything here reads an existing store and never creates one; every artefact handed out has
passed the store's integrity checks (its files, its manifest, its inputs' manifests).
"""

from __future__ import annotations

from pathlib import Path

from stable_baselines3 import PPO

from harness.core.paths import artifacts_dir
from harness.core.store import Artifact, IntegrityError, Store, StoreError

POLICY_KINDS = ("expert", "expert_run", "arm_run")
"""Artefact kinds that hold a policy (``model.zip``)."""


class NotAPolicy(StoreError):
    """A policy was asked of an artefact that holds none (a dataset, a comparison, ...)."""


def open_store(root: str | Path | None = None) -> Store:
    """The existing store at ``root`` (default: $HARNESS_ARTIFACTS_DIR or artifacts/), opened
    for reading: a mistyped path is an error, not a new empty store."""
    return Store(Path(root) if root else artifacts_dir(), create=False)


def load_policy(artifact_id: str, root: str | Path | None = None) -> PPO:
    """Load the SB3 PPO model of an artefact: an approved expert, an expert run or an arm run
    (a rejected expert raises, with its diagnostics; a tampered one raises
    :class:`IntegrityError`)."""
    from harness.stages.expert.build import load_expert_policy

    art = open_store(root).find(artifact_id)
    if art.kind not in POLICY_KINDS:
        raise NotAPolicy(f"artefact '{artifact_id}' is a {art.kind}: a {art.kind} is not a "
                         f"policy (expected an artefact of kind {' / '.join(POLICY_KINDS)})")
    if art.kind == "expert":
        return load_expert_policy(art)
    if art.kind == "arm_run":
        from harness.stages.pretraining.build import load_final_policy

        return load_final_policy(art)
    return PPO.load(art.file("model.zip"), device="cpu")


def find(artifact_id: str, root: str | Path | None = None) -> Artifact:
    return open_store(root).find(artifact_id)


__all__ = ["Artifact", "IntegrityError", "NotAPolicy", "StoreError", "find", "load_policy",
           "open_store"]
