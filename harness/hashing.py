"""Canonical hashing of configs and files (shared by spec, store and every manifest)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def config_hash(data: object) -> str:
    """sha256 of the canonical JSON of ``data`` (sorted keys, no whitespace)."""
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
