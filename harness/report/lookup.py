"""Finding a stage's artefacts among those a session referenced (for the report's sections)."""

from __future__ import annotations

from harness.core.store import Artifact


def first_of(artifacts: dict[str, Artifact], kind: str) -> Artifact | None:
    """The first artefact of ``kind`` (None: the session referenced none)."""
    return next((a for a in artifacts.values() if a.kind == kind), None)
