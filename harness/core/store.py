"""Governed artefact store: one folder per artefact, a manifest, atomic publish, locks, reuse.

Layout under the root (default ``artifacts/``)::

    <kind>/<id>/manifest.json      a published artefact (complete by construction)
    <kind>/<id>/...                its files, listed with sha256 in the manifest
    .staging/<id>.<pid>.<rand>/    work in progress; never looks complete, swept when stale
    .locks/<id>.lock               one builder per artefact across processes (xdist workers)
    .superseded/<id>.<time>/       what a forced fresh run replaced (never deleted silently)
    .progress/<pid>.jsonl          live progress lines of a running process (swept when it is gone)
    .resume/<id>/                  the last resume point of a killed training build (removed on
                                   publish): a rerun continues from it instead of from step 0

An artefact's id is ``<kind>-<hash>`` of its identity (kind, resolved config, seeds, input
artefact ids and manifest hashes), so identical config + seeds reuses the published folder and a
changed value builds a new one. Publishing writes the manifest last, into the staging folder, then
renames the folder into place: an interrupted build leaves nothing that looks complete.

Integrity: the manifest lists the sha256 of every file and seals itself (``manifest_seal``, the
hash of its own canonical JSON without that key). Every reuse (:meth:`Store.get_or_build` cache
hit, :meth:`Store.find`) checks the seal, each input's recorded manifest hash and the files a
stage reads (everything but ``checkpoints/`` and ``tb/``); :meth:`Artifact.file` checks the file
it hands out. A mismatch raises :class:`IntegrityError` naming the artefact and the file; nothing
is rebuilt unless a fresh run is forced. Hashes are cached per process by (path, inode, mtime,
size), so a file is hashed once however often it is used. :meth:`Store.verify` re-hashes
everything, for audits (``harness verify``).
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from filelock import FileLock, Timeout

from harness.core.hashing import config_hash, file_sha256, json_default
from harness.core.paths import ROOT

MANIFEST = "manifest.json"
RESUME = ".resume"
"""Resume points of builds that were killed: ``<store>/.resume/<artifact id>/``."""
SEAL = "manifest_seal"
UNUSED_DIRS = ("checkpoints", "tb")
"""Sub-folders no stage reads from a published artefact (recovery points, logs): hashed by a full
audit (:meth:`Store.verify`), skipped by the verification on reuse to keep it fast."""
_BLOCKING: contextvars.ContextVar[bool] = contextvars.ContextVar("store_blocking", default=True)
SCHEMA_VERSION = 1
KEY_PACKAGES = ("torch", "stable-baselines3", "imitation", "gymnasium", "numpy", "numba",
                "h5py", "minari", "jinja2", "weasyprint")
_UNDER_WAY: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar(
    "store_under_way", default=None)
_GATES: dict[str, threading.Lock] = {}
_GATES_GUARD = threading.Lock()


@contextlib.contextmanager
def reporting_under_way(callback: Callable[[str], None]):
    """Within this block, ``callback(artifact_id)`` is called once a build this thread asked for
    is under way: handed to the executor (for Ray: submitted to the cluster), or found being
    built by another thread or process, which this thread then waits for. Lets a caller order
    submissions without waiting for results (:meth:`harness.core.graph.Pipeline.ahead`)."""
    token = _UNDER_WAY.set(callback)
    try:
        yield
    finally:
        _UNDER_WAY.reset(token)


def under_way(artifact_id: str) -> None:
    """Tell this thread's :func:`reporting_under_way` callback, if any, that ``artifact_id``
    is under way (called by the store and by executors)."""
    callback = _UNDER_WAY.get()
    if callback is not None:
        callback(artifact_id)


def _gate(lock_path: Path) -> threading.Lock:
    """The in-process lock in front of an artefact's file lock. Threads of one process (the
    Ray driver waits on dozens of builds at once) queue on it asleep; only its holder polls
    the file lock, which other processes (xdist workers) share. Without it every waiting
    thread polled the file every 50 ms: ~0.1 of a core for 50 threads, taken from the builds
    running on the same machine."""
    with _GATES_GUARD:
        return _GATES.setdefault(str(lock_path), threading.Lock())


class StoreError(RuntimeError):
    """An artefact is missing, incomplete or not usable for what was asked."""


class StoreNotWritable(StoreError):
    """The store cannot take new files: read-only, no permission, or no space left."""


class Busy(StoreError):
    """Non-blocking mode: another process is building this artefact right now."""


class IntegrityError(StoreError):
    """A published artefact differs from what its manifest promises (a file, the manifest itself,
    or an input's manifest): it must not be used. ``differences`` lists every finding."""

    def __init__(self, artifact_id: str, differences: list[Difference]):
        self.artifact_id = artifact_id
        self.differences = differences
        head = "; ".join(d.text() for d in differences[:3])
        more = f" (+{len(differences) - 3} more)" if len(differences) > 3 else ""
        super().__init__(f"integrity check failed for artefact '{artifact_id}': {head}{more}. "
                         f"It is not used; inspect with `python -m harness verify "
                         f"{artifact_id}`, rebuild with --fresh")


@dataclass(frozen=True)
class Difference:
    """One way a published artefact differs from its manifest."""

    artifact_id: str
    file: str
    """The file (relative to the artefact folder), ``manifest.json``, or ``inputs[<id>]``."""
    problem: str
    expected: str | None = None
    found: str | None = None
    fatal: bool = True
    """False for a finding that is reported but is no integrity failure (a superseded input)."""

    def text(self) -> str:
        exp = f" (expected {self.expected}, found {self.found})" if self.expected else ""
        return f"{self.artifact_id}: {self.file}: {self.problem}{exp}"


_HASHES: dict[tuple, str] = {}


RACY_SECONDS = 2.0
"""A file modified this recently may change again within the same mtime tick: never cached."""


def cached_sha256(path: Path, cache: bool = True) -> str:
    """sha256 of ``path``, computed once per process for a given (path, inode, mtime, size)
    (``cache=False``: always re-hashed, for audits)."""
    st = path.stat()
    key = (str(path), st.st_ino, st.st_mtime_ns, st.st_size)
    if cache and key in _HASHES:
        return _HASHES[key]
    digest = file_sha256(path)
    if time.time() - st.st_mtime > RACY_SECONDS:
        _HASHES[key] = digest
    return digest


def manifest_seal(manifest: dict) -> str:
    """The hash a manifest records of itself: canonical JSON of everything but the seal."""
    return config_hash({k: v for k, v in manifest.items() if k != SEAL})


@dataclass
class Artifact:
    """A published artefact: its folder and manifest."""

    path: Path
    manifest: dict
    built: bool = field(default=False, compare=False)
    """True when this very call of :meth:`Store.get_or_build` built it (False: reused)."""

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
        return cached_sha256(self.path / MANIFEST)

    def file(self, name: str) -> Path:
        """The path of a listed file, after checking its sha256 against the manifest."""
        if name not in self.manifest.get("files", {}):
            raise StoreError(f"{self.path / MANIFEST}: field 'files': expected an entry "
                             f"'{name}', found {sorted(self.manifest.get('files', {}))}")
        diff = self._check_file(name)
        if diff is not None:
            raise IntegrityError(self.id, [diff])
        return self.path / name

    def _check_file(self, name: str, cache: bool = True) -> Difference | None:
        expected = self.manifest["files"][name]["sha256"]
        path = self.path / name
        if not path.is_file():
            return Difference(self.id, name, "listed in the manifest but missing",
                              "a file", "none")
        found = cached_sha256(path, cache)
        if found != expected:
            return Difference(self.id, name, "sha256 differs from the manifest",
                              expected[:16], found[:16])
        return None

    def differences(self, full: bool = False) -> list[Difference]:
        """What differs from the manifest: its seal, each input's manifest hash, and the files a
        stage reads (``full``: every listed file, plus files present but not listed)."""
        out = []
        seal, actual = self.manifest.get(SEAL), manifest_seal(self.manifest)
        if seal is not None and seal != actual:
            out.append(Difference(self.id, MANIFEST, f"content differs from its {SEAL} (edited "
                                  "after publishing)", seal[:16], actual[:16]))
        out += self._input_differences(cache=not full)
        listed = self.manifest.get("files", {})
        for name in sorted(listed):
            if full or name.split("/", 1)[0] not in UNUSED_DIRS:
                diff = self._check_file(name, cache=not full)
                if diff is not None:
                    out.append(diff)
        if full:
            for path in sorted(self.path.rglob("*")):
                rel = str(path.relative_to(self.path))
                if path.is_file() and rel != MANIFEST and rel not in listed:
                    out.append(Difference(self.id, rel, "present but not listed in the manifest",
                                          "no such file", "a file"))
        return out

    def _input_differences(self, cache: bool = True) -> list[Difference]:
        root = self.path.parent.parent
        out = []
        for ref in self.manifest.get("inputs", []):
            where = f"inputs[{ref['id']}]"
            manifest = root / ref["kind"] / ref["id"] / MANIFEST
            if not manifest.is_file():
                out.append(Difference(self.id, where, f"input manifest {manifest} is missing",
                                      ref["manifest_sha256"][:16], "none"))
                continue
            found = cached_sha256(manifest, cache)
            if found == ref["manifest_sha256"]:
                continue
            superseded = [p for p in (root / ".superseded").glob(f"{ref['id']}.*")
                          if (p / MANIFEST).is_file()
                          and cached_sha256(p / MANIFEST) == ref["manifest_sha256"]]
            if superseded:
                out.append(Difference(self.id, where, f"stale: the input was rebuilt by a fresh "
                                      f"run (the recorded one is {superseded[0]})", fatal=False))
            else:
                out.append(Difference(self.id, where, "the input's current manifest differs "
                                      "from the one recorded", ref["manifest_sha256"][:16],
                                      found[:16]))
        return out

    def verify(self) -> Artifact:
        """This artefact, after the checks of a reuse; raises :class:`IntegrityError`."""
        bad = [d for d in self.differences() if d.fatal]
        if bad:
            raise IntegrityError(self.id, bad)
        return self

    def ref(self) -> dict:
        """How a downstream artefact records this one as an input."""
        return {"id": self.id, "kind": self.kind, "manifest_sha256": self.manifest_hash}


@dataclass
class Build:
    """What a builder receives: a private staging folder and the id the artefact will have,
    and what it reports back."""

    dir: Path
    artifact_id: str = ""
    resume_dir: Path | None = None
    """Where a long build keeps what it needs to resume after being killed (outside staging,
    which a later build sweeps); removed once the artefact is published."""
    status: str = "complete"
    metrics: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    built_on: dict = field(default_factory=dict)
    """Where the build ran (executor, node, host), set by the executor; in the manifest."""


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


def local_placement() -> dict:
    """``built_on`` of a build run in this process."""
    return {"executor": "local", "node": socket.gethostname(), "host": socket.gethostname(),
            "pid": os.getpid()}


class LocalExecutor:
    """Runs every build in the calling process: the store's default executor, no Ray needed
    (:mod:`harness.core.executor` has the others)."""

    name = "local"
    concurrent = False
    """Whether independent builds may be submitted from several threads to run at once."""

    def execute(self, kind: str, builder: Callable[[Build], None], build: Build,
                inputs: Sequence[Artifact] = ()) -> None:
        started = time.time()
        under_way(build.artifact_id)
        builder(build)
        build.built_on = {**local_placement(), "build_seconds": round(time.time() - started, 3)}

    def close(self) -> None:
        pass


class Store:
    """The artefact hierarchy under ``root``; safe to share between processes."""

    def __init__(self, root: str | Path, fresh_before: float | None = None, create: bool = True,
                 executor=None):
        """``fresh_before``: a POSIX time; artefacts published before it are rebuilt (force
        fresh) exactly once per session, however many workers ask for them. ``create=False``
        opens an existing store for reading (audits): a missing root is an error, not a new
        empty store, and nothing is written. ``executor``: where builds run
        (:mod:`harness.core.executor`; default this process)."""
        self.root = Path(root).absolute()  # artefact paths stay valid from any directory
        self.fresh_before = fresh_before
        self.executor = LocalExecutor() if executor is None else executor
        if not create:
            if not self.root.is_dir():
                raise StoreError(f"{self.root}: no artefact store here (expected an existing "
                                 f"folder; check --artifacts-dir or $HARNESS_ARTIFACTS_DIR)")
            return
        try:
            for sub in (".staging", ".locks", ".superseded"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreNotWritable(f"artefact store {self.root} cannot be created: "
                                   f"{_os_reason(exc)}") from None

    def check_writable(self) -> None:
        """Raise :class:`StoreNotWritable` when the store cannot take a new file (read-only,
        permissions, full disk), before any work is started on it."""
        probe = self.root / ".staging" / f".probe.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        try:
            with open(probe, "wb") as fh:
                fh.write(b"\0" * 65536)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise StoreNotWritable(f"artefact store {self.root} is not writable: "
                                   f"{_os_reason(exc)}") from None
        finally:
            with contextlib.suppress(OSError):
                probe.unlink()

    def sweep_leftovers(self) -> dict[str, int]:
        """Remove what killed runs left behind: progress files and staging folders of processes
        that no longer exist, and zero-byte lock files nobody holds. Returns counts.

        A lock is removed while this process holds it, so a builder that opened it earlier
        waits, then finds the artefact published (or builds it) as usual."""
        removed = {"progress": 0, "staging": 0, "locks": 0}
        for path in (self.root / ".progress").glob("*.jsonl"):
            if path.stem.isdigit() and not _alive(int(path.stem)):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed["progress"] += 1
        for path in (self.root / ".staging").glob("*.*.*"):
            pid = path.name.split(".")[1]
            if path.is_dir() and pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)
                removed["staging"] += 1
        for path in (self.root / ".locks").glob("*.lock"):
            try:
                if path.stat().st_size:
                    continue
            except OSError:
                continue
            lock = FileLock(str(path))
            try:
                lock.acquire(timeout=0)
            except (Timeout, OSError):
                continue  # held by a live builder (or not ours to touch)
            try:
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed["locks"] += 1
            finally:
                lock.release()
        return removed

    # ------------------------------------------------------------------ identity and lookup
    @staticmethod
    def make_id(kind: str, config: dict, seeds: list[int] | tuple[int, ...],
                inputs: list[Artifact] = ()) -> str:
        identity = {"kind": kind, "config": config, "seeds": list(seeds),
                    "inputs": [{"id": a.id, "manifest_sha256": a.manifest_hash} for a in inputs]}
        return f"{kind}-{config_hash(identity)[:16]}"

    def folder(self, kind: str, artifact_id: str) -> Path:
        return self.root / kind / artifact_id

    def find(self, artifact_id: str, verify: bool = True) -> Artifact:
        """The published artefact with this id; a clear error when it does not exist, and
        :class:`IntegrityError` when it differs from its manifest (``verify=False``: audits that
        report differences themselves)."""
        kind = artifact_id.rsplit("-", 1)[0]
        path = self.folder(kind, artifact_id)
        manifest = path / MANIFEST
        if not manifest.is_file():
            raise StoreError(f"{manifest}: no published artefact '{artifact_id}' "
                             f"(expected a folder with {MANIFEST} under {self.root / kind})")
        art = Artifact(path, _read_manifest(manifest))
        return art.verify() if verify else art

    def published(self, folder: Path) -> Artifact | None:
        """The published artefact whose folder is ``folder``, or None (staging, elsewhere)."""
        folder = Path(folder).resolve()
        manifest = folder / MANIFEST
        if not manifest.is_file() or folder.parent.parent != self.root.resolve():
            return None
        art = Artifact(folder, _read_manifest(manifest))
        return art if folder.name == art.manifest.get("id") else None

    def in_staging(self, folder: Path) -> bool:
        """Whether ``folder`` is a build in progress in this store's staging area."""
        return Path(folder).resolve().parent == (self.root / ".staging").resolve()

    def verify(self, artifact_id: str | None = None) -> tuple[list[Artifact], list[Difference]]:
        """Full audit of one artefact (or of every published one): every file re-hashed against
        the manifest, unlisted files, the manifest's seal, each input's manifest hash."""
        arts = [self.find(artifact_id, verify=False)] if artifact_id else self.list()
        diffs = []
        for art in arts:
            diffs += art.differences(full=True)
        return arts, diffs

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
                    out.append(Artifact(path, _read_manifest(path / MANIFEST)))
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

        ``builder`` writes files into ``build.dir`` and sets ``status``/``metrics``; the store's
        executor runs it (here, or on a node whose verified result lands in ``build.dir``).
        Concurrent callers for the same identity block on a file lock; the second one reuses
        the result.
        """
        artifact_id = self.make_id(kind, config, seeds, inputs)
        final = self.folder(kind, artifact_id)
        if (final / MANIFEST).is_file():  # published folders are complete: no lock needed
            existing = Artifact(final, _read_manifest(final / MANIFEST))
            if not self._must_refresh(existing):
                return existing.verify()  # a tampered artefact is an error, never rebuilt
        lock_path = self.root / ".locks" / f"{artifact_id}.lock"
        gate = _gate(lock_path)
        if not gate.acquire(blocking=False):
            if not _BLOCKING.get():
                raise Busy(f"artefact '{artifact_id}' is being built by another thread")
            under_way(artifact_id)
            gate.acquire()
        try:
            return self._build_locked(kind, config, seeds, builder, inputs, extra_manifest,
                                      artifact_id, final, lock_path)
        finally:
            gate.release()

    def _build_locked(self, kind, config, seeds, builder, inputs, extra_manifest, artifact_id,
                      final, lock_path) -> Artifact:
        """:meth:`get_or_build` once this thread holds the artefact's in-process gate."""
        lock = FileLock(str(lock_path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if not _BLOCKING.get():
                raise Busy(f"artefact '{artifact_id}' is being built by another process"
                           ) from None
            under_way(artifact_id)
            lock.acquire(timeout=-1)
        try:
            if (final / MANIFEST).is_file():
                existing = Artifact(final, _read_manifest(final / MANIFEST))
                if not self._must_refresh(existing):
                    return existing.verify()
                self._supersede(final)
            self._sweep_staging(artifact_id)
            staging = self.root / ".staging" / f"{artifact_id}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
            staging.mkdir(parents=True)
            build = Build(dir=staging, artifact_id=artifact_id,
                          resume_dir=self.root / RESUME / artifact_id)
            started = time.time()
            token = _BLOCKING.set(True)  # a builder's own inputs may be waited for
            try:
                self.executor.execute(kind, builder, build, inputs)
                manifest = self._manifest(artifact_id, kind, config, seeds, inputs, build,
                                          time.time() - started, extra_manifest or {})
                manifest = json.loads(json.dumps(manifest, default=json_default))  # as read back
                manifest[SEAL] = manifest_seal(manifest)
                tmp = staging / (MANIFEST + ".tmp")
                tmp.write_text(json.dumps(manifest, indent=2, sort_keys=False))
                os.replace(tmp, staging / MANIFEST)
                final.parent.mkdir(parents=True, exist_ok=True)
                os.rename(staging, final)  # atomic on one filesystem: all or nothing
                shutil.rmtree(build.resume_dir, ignore_errors=True)  # published: never resumed
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            finally:
                _BLOCKING.reset(token)
            return Artifact(final, manifest, built=True)
        finally:
            if (final / MANIFEST).is_file():  # published: later callers never need the lock
                with contextlib.suppress(OSError):
                    lock_path.unlink()
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
            "built_on": build.built_on,
            **build.extra,
            **extra,
        }


def _read_manifest(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise IntegrityError(path.parent.name, [Difference(
            path.parent.name, MANIFEST, "not valid JSON", "a JSON object",
            f"{exc.msg} at line {exc.lineno}, column {exc.colno}")]) from None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def _os_reason(exc: OSError) -> str:
    code = errno.errorcode.get(exc.errno or 0, "")
    return f"{exc.strerror or exc} ({code})" if code else str(exc)

