"""Canonical hashing of configs and files (shared by spec, store and every manifest)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def json_default(value: object) -> object:
    """``json.dumps(default=...)`` for what manifests and metadata hold besides plain JSON:
    numpy arrays and scalars, paths, typed metric records."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


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
