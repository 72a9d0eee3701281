"""Governed artefact store: one folder per artefact, a manifest, atomic publish, locks, reuse.

Layout under the root (default ``artifacts/``)::

    <kind>/<id>/manifest.json      a published artefact (complete by construction)
    <kind>/<id>/...                its files, listed with sha256 in the manifest
    .staging/<id>.<pid>.<rand>/    work in progress; never looks complete, swept when stale
    .locks/<id>.lock               one builder per artefact across processes (xdist workers)
    .superseded/<id>.<time>/       what a forced fresh run replaced (never deleted silently)

An artefact's id is ``<kind>-<hash>`` of its identity (kind, resolved config, seeds, input
artefact ids and manifest hashes), so identical config + seeds reuses the published folder and a
changed value builds a new one. Publishing writes the manifest last, into the staging folder, then
renames the folder into place: an interrupted build leaves nothing that looks complete.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from harness.hashing import config_hash, file_sha256
from harness.paths import ROOT

MANIFEST = "manifest.json"
_BLOCKING: contextvars.ContextVar[bool] = contextvars.ContextVar("store_blocking", default=True)
SCHEMA_VERSION = 1
KEY_PACKAGES = ("torch", "stable-baselines3", "imitation", "gymnasium", "numpy", "numba",
                "h5py", "minari", "jinja2", "weasyprint")


class StoreError(RuntimeError):
    """An artefact is missing, incomplete or not usable for what was asked."""


class Busy(StoreError):
    """Non-blocking mode: another process is building this artefact right now."""


@dataclass
class Artifact:
    """A published artefact: its folder and manifest."""

    path: Path
    manifest: dict

    @property
    def id(self) -> str:
        return self.manifest["id"]

    @property
    def kind(self) -> str:
        return self.manifest["kind"]

    @property
    def status(self) -> str:
        return self.manifest["status"]

    @property
    def metrics(self) -> dict:
        return self.manifest.get("metrics", {})

    @property
    def manifest_hash(self) -> str:
        return file_sha256(self.path / MANIFEST)

    def file(self, name: str) -> Path:
        if name not in self.manifest.get("files", {}):
            raise StoreError(f"{self.path / MANIFEST}: field 'files': expected an entry "
                             f"'{name}', found {sorted(self.manifest.get('files', {}))}")
        return self.path / name

    def ref(self) -> dict:
        """How a downstream artefact records this one as an input."""
        return {"id": self.id, "kind": self.kind, "manifest_sha256": self.manifest_hash}


@dataclass
class Build:
    """What a builder receives: a private staging folder, and what it reports back."""

    dir: Path
    status: str = "complete"
    metrics: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


def git_state(root: Path = ROOT) -> dict:
    """Commit and dirty flag of the checkout the harness runs from (``unknown`` outside git)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, check=True, timeout=10).stdout.strip()
        dirty = bool(subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
            capture_output=True, text=True, check=True, timeout=10).stdout.strip())
        return {"commit": commit, "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}


def environment_versions() -> dict:
    out = {"python": sys.version.split()[0], "platform": platform.platform(),
           "machine": platform.machine(), "cpus": os.cpu_count()}
    for name in KEY_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Store:
    """The artefact hierarchy under ``root``; safe to share between processes."""

    def __init__(self, root: str | Path, fresh_before: float | None = None):
        """``fresh_before``: a POSIX time; artefacts published before it are rebuilt (force
        fresh) exactly once per session, however many workers ask for them."""
        self.root = Path(root)
        self.fresh_before = fresh_before
        for sub in (".staging", ".locks", ".superseded"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ identity and lookup
    @staticmethod
    def make_id(kind: str, config: dict, seeds: list[int] | tuple[int, ...],
                inputs: list[Artifact] = ()) -> str:
        identity = {"kind": kind, "config": config, "seeds": list(seeds),
                    "inputs": [{"id": a.id, "manifest_sha256": a.manifest_hash} for a in inputs]}
        return f"{kind}-{config_hash(identity)[:16]}"

    def folder(self, kind: str, artifact_id: str) -> Path:
        return self.root / kind / artifact_id

    def find(self, artifact_id: str) -> Artifact:
        """The published artefact with this id; a clear error when it does not exist."""
        kind = artifact_id.rsplit("-", 1)[0]
        path = self.folder(kind, artifact_id)
        manifest = path / MANIFEST
        if not manifest.is_file():
            raise StoreError(f"{manifest}: no published artefact '{artifact_id}' "
                             f"(expected a folder with {MANIFEST} under {self.root / kind})")
        return Artifact(path, json.loads(manifest.read_text()))

    def list(self, kind: str | None = None) -> list[Artifact]:
        out = []
        kinds = [kind] if kind else sorted(p.name for p in self.root.iterdir()
                                           if p.is_dir() and not p.name.startswith("."))
        for k in kinds:
            base = self.root / k
            if not base.is_dir():
                continue
            for path in sorted(base.iterdir()):
                if (path / MANIFEST).is_file():
                    out.append(Artifact(path, json.loads((path / MANIFEST).read_text())))
        return out

    @staticmethod
    @contextlib.contextmanager
    def nonblocking():
        """Within this block, building an artefact that another process is building raises
        :class:`Busy` instead of waiting, so the caller can do other work first."""
        token = _BLOCKING.set(False)
        try:
            yield
        finally:
            _BLOCKING.reset(token)

    def quarantine_path(self, name: str) -> Path:
        """A new, unique folder path under ``quarantine/`` for something that failed checks."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.root / "quarantine" / f"{name}.{stamp}.{uuid.uuid4().hex[:6]}"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    # ------------------------------------------------------------------ build or reuse
    def get_or_build(self, kind: str, config: dict, seeds: list[int] | tuple[int, ...],
                     builder: Callable[[Build], None], inputs: list[Artifact] = (),
                     extra_manifest: dict | None = None) -> Artifact:
        """Return the published artefact for this identity, building it once if needed.

        ``builder`` writes files into ``build.dir`` and sets ``status``/``metrics``. Concurrent
        callers for the same identity block on a file lock; the second one reuses the result.
        """
        artifact_id = self.make_id(kind, config, seeds, inputs)
        final = self.folder(kind, artifact_id)
        if (final / MANIFEST).is_file():  # published folders are complete: no lock needed
            existing = Artifact(final, json.loads((final / MANIFEST).read_text()))
            if not self._must_refresh(existing):
                return existing
        lock = FileLock(str(self.root / ".locks" / f"{artifact_id}.lock"))
        try:
            lock.acquire(timeout=-1 if _BLOCKING.get() else 0)
        except Timeout:
            raise Busy(f"artefact '{artifact_id}' is being built by another process") from None
        try:
            if (final / MANIFEST).is_file():
                existing = Artifact(final, json.loads((final / MANIFEST).read_text()))
                if not self._must_refresh(existing):
                    return existing
                self._supersede(final)
            self._sweep_staging(artifact_id)
            staging = self.root / ".staging" / f"{artifact_id}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
            staging.mkdir(parents=True)
            build = Build(dir=staging)
            started = time.time()
            token = _BLOCKING.set(True)  # a builder's own inputs may be waited for
            try:
                builder(build)
                manifest = self._manifest(artifact_id, kind, config, seeds, inputs, build,
                                          time.time() - started, extra_manifest or {})
                tmp = staging / (MANIFEST + ".tmp")
                tmp.write_text(json.dumps(manifest, indent=2, sort_keys=False, default=_json))
                os.replace(tmp, staging / MANIFEST)
                final.parent.mkdir(parents=True, exist_ok=True)
                os.rename(staging, final)  # atomic on one filesystem: all or nothing
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            finally:
                _BLOCKING.reset(token)
            return Artifact(final, manifest)
        finally:
            lock.release()

    def _must_refresh(self, artifact: Artifact) -> bool:
        if self.fresh_before is None:
            return False
        created = datetime.fromisoformat(artifact.manifest["created"]).timestamp()
        return created < self.fresh_before

    def _supersede(self, final: Path) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        os.rename(final, self.root / ".superseded" / f"{final.name}.{stamp}.{uuid.uuid4().hex[:6]}")

    def _sweep_staging(self, artifact_id: str) -> None:
        """Remove staging folders of this id left by a killed builder (we hold its lock)."""
        for stale in (self.root / ".staging").glob(f"{artifact_id}.*"):
            shutil.rmtree(stale, ignore_errors=True)

    def _manifest(self, artifact_id: str, kind: str, config: dict, seeds, inputs, build: Build,
                  wall: float, extra: dict) -> dict:
        files = {}
        for path in sorted(build.dir.rglob("*")):
            if path.is_file() and not path.name.startswith(MANIFEST):
                files[str(path.relative_to(build.dir))] = {"sha256": file_sha256(path),
                                                          "bytes": path.stat().st_size}
        return {
            "schema_version": SCHEMA_VERSION,
            "id": artifact_id,
            "kind": kind,
            "status": build.status,
            "created": now_iso(),
            "wall_seconds": round(wall, 3),
            "config": config,
            "config_sha256": config_hash(config),
            "seeds": list(seeds),
            "git": git_state(),
            "environment": environment_versions(),
            "inputs": [a.ref() for a in inputs],
            "metrics": build.metrics,
            "files": files,
            **build.extra,
            **extra,
        }


def _json(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
