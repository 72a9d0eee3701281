"""Executors: where an artefact build runs. This process (the default), or a Ray task.

:meth:`harness.core.store.Store.get_or_build` owns identity, locks, the manifest and the atomic
publish; it hands the build itself (``builder(build)``, which fills a staging folder) to its
executor. Nothing else changes between executors: ids, reuse and manifests are the same, except
that every manifest records where it was built (``built_on``: executor, node, host).

:class:`RayExecutor` runs the builds of the kinds it is handed (the pipeline's expensive ones)
as Ray tasks on any node of a cluster, without a shared file system:

- **Inputs travel through Ray's object store.** The builder (a closure) is pickled with
  :class:`_Packer`, a cloudpickle pickler that replaces every :class:`~harness.core.store.Artifact`
  it captures by a reference (id, kind, manifest hash), the :class:`~harness.core.store.Store` by
  "the node's store" and a progress callback by a relay. Each referenced artefact folder is
  sent once per session as a tar (``ray.put``); on the node it is unpacked into a node-local
  store (:func:`_materialise`), checked against its manifest, and the builder's artefacts are
  re-pointed there while it is unpickled. No path of the driver is ever used on a node.
- **The result travels back the same way.** The task builds into the node store's staging
  folder and returns it as a tar with the sha256 of every file; the driver unpacks it into its
  own staging folder, checks every file against those hashes (:class:`~harness.core.store.
  IntegrityError` otherwise) and the store publishes it exactly as a local build.
- **Faults.** A task whose node dies is retried elsewhere by Ray (``max_retries``); the store
  publishes only a complete, verified result, so a lost node never leaves a half artefact, and
  an interrupted driver leaves only staging folders (swept by the next run).
- **Code identity.** Every node must run the driver's harness code: the task compares a hash
  of the harness package's source with the driver's and refuses to build otherwise.
- **Live progress.** Training runs on a node report each evaluation to a small relay actor on
  the driver's node; the driver replays them through its own
  :class:`~harness.core.progress.ProgressReporter`, so they reach the terminal (or the xdist
  controller's tail) as a local run's lines do.

Ray is an optional dependency (``pip install -e .[ray]``): this module imports it only when a
:class:`RayExecutor` is created.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import io
import logging
import os
import pickle
import shutil
import socket
import tarfile
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cloudpickle

from harness.core.hashing import file_sha256
from harness.core.progress import RunProgress
from harness.core.store import (  # noqa: F401  (LocalExecutor, local_placement: re-exported)
    MANIFEST,
    UNUSED_DIRS,
    Artifact,
    Build,
    Difference,
    IntegrityError,
    LocalExecutor,
    Store,
    StoreError,
    environment_versions,
    local_placement,
    under_way,
)

log = logging.getLogger("harness.core.executor")

MAX_RETRIES = 3
"""How often Ray re-runs a task whose worker or node died (an error raised by the build itself
is never retried: it would fail again)."""


class ExecutorError(StoreError):
    """A build could not be run where it was sent (Ray missing, another harness code on a
    node, a result that differs from what the node reported)."""


# ----------------------------------------------------------------------------- code identity
_FINGERPRINT: dict[str, str] = {}


def code_fingerprint() -> str:
    """sha256 over the harness package's Python sources (relative path and content): equal on
    the driver and a node exactly when they run the same harness code."""
    if "harness" not in _FINGERPRINT:
        root = Path(__file__).resolve().parent.parent  # the package this module is part of
        h = hashlib.sha256()
        for path in sorted(root.rglob("*.py")):
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
        _FINGERPRINT["harness"] = h.hexdigest()
    return _FINGERPRINT["harness"]


# ----------------------------------------------------------------------------- folders as bytes
def pack_folder(folder: Path, skip: Sequence[str] = ()) -> bytes:
    """An uncompressed tar of ``folder``'s contents (top-level entries in ``skip`` left out);
    model files are already compressed, so gzip would cost time for little."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path in sorted(folder.iterdir()):
            if path.name not in skip:
                tar.add(path, arcname=path.name)
    return buf.getvalue()


def unpack_folder(blob: bytes, dest: Path) -> None:
    """Unpack a :func:`pack_folder` tar into ``dest``; the ``data`` filter refuses absolute
    paths, links out of ``dest`` and special files."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r") as tar:
        tar.extractall(dest, filter="data")


def file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by relative path."""
    return {str(p.relative_to(folder)): file_sha256(p)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def check_received(artifact_id: str, folder: Path, expected: dict[str, str]) -> None:
    """Every file a node reported is in ``folder`` with its sha256, and nothing else is."""
    found = file_hashes(folder)
    names = sorted(set(found) | set(expected))
    diffs = [Difference(artifact_id, name, "differs from what the node built",
                        (expected.get(name) or "no such file")[:16],
                        (found.get(name) or "none")[:16])
             for name in names if found.get(name) != expected.get(name)]
    if diffs:
        raise IntegrityError(artifact_id, diffs)


# ----------------------------------------------------------------------------- packing
@dataclass(frozen=True)
class ArtifactRef:
    """How a build's input artefact travels: its identity, resolved on the node."""

    id: str
    kind: str
    manifest_sha256: str


@dataclass
class _Shipment:
    """What pickling a builder found it needs on the node."""

    artifacts: dict[str, Artifact] = field(default_factory=dict)
    progress: dict[str, RunProgress] = field(default_factory=dict)


class _Packer(cloudpickle.Pickler):
    """Pickles a builder for a node: driver-side objects become references resolved there."""

    def __init__(self, file, shipment: _Shipment):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shipment = shipment

    def reducer_override(self, obj):
        if isinstance(obj, Artifact):
            self.shipment.artifacts[obj.id] = obj
            return _node_artifact, (ArtifactRef(obj.id, obj.kind, obj.manifest_hash),)
        if isinstance(obj, Store):
            return _node_store, ()
        if isinstance(obj, RunProgress):
            token = uuid.uuid4().hex
            self.shipment.progress[token] = obj
            return _node_progress, (token, obj.name)
        return super().reducer_override(obj)


def pack_builder(builder: Callable[[Build], None]) -> tuple[bytes, _Shipment]:
    shipment = _Shipment()
    buf = io.BytesIO()
    _Packer(buf, shipment).dump(builder)
    return buf.getvalue(), shipment


@dataclass
class _NodeContext:
    """What the node-side references resolve to while a builder is unpickled."""

    store: Store
    artifacts: dict[str, Artifact]
    relay: object | None
    node: str


_NODE: contextvars.ContextVar[_NodeContext | None] = contextvars.ContextVar("node", default=None)


def _context() -> _NodeContext:
    ctx = _NODE.get()
    if ctx is None:
        raise ExecutorError("a shipped builder was unpickled outside a node's build context")
    return ctx


def _node_artifact(ref: ArtifactRef) -> Artifact:
    art = _context().artifacts.get(ref.id)
    if art is None or art.manifest_hash != ref.manifest_sha256:
        raise ExecutorError(f"input artefact '{ref.id}' was not materialised on this node")
    return art


def _node_store() -> Store:
    return _context().store


def _node_progress(token: str, name: str) -> Callable[[dict], None]:
    relay, node = _context().relay, _context().node

    def report(row: dict) -> None:  # best effort: a lost relay must not fail a build
        if relay is not None:
            with contextlib.suppress(Exception):
                relay.put.remote(("progress", token, node, row))

    return report


# ----------------------------------------------------------------------------- the node side
def node_root(node_id: str) -> Path:
    """The node-local store of a node: inputs materialised, builds staged, resume points."""
    base = Path(os.environ.get("HARNESS_RAY_WORKDIR", Path(tempfile.gettempdir()) / "harness-ray"))
    return base / node_id[:16]


def _materialise(store: Store, ref: ArtifactRef, blob: bytes) -> Artifact:
    """The input artefact ``ref`` in the node's store, unpacked from ``blob`` unless an identical
    copy is already there, and checked against its manifest (seal and files; its own inputs
    were verified by the driver, which alone has them)."""
    final = store.folder(ref.kind, ref.id)
    if not ((final / MANIFEST).is_file()
            and file_sha256(final / MANIFEST) == ref.manifest_sha256):
        staging = store.root / ".staging" / f"{ref.id}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        unpack_folder(blob, staging)
        if file_sha256(staging / MANIFEST) != ref.manifest_sha256:
            raise ExecutorError(f"input artefact '{ref.id}' arrived with another manifest")
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():  # a stale copy (the driver's was rebuilt): keep it aside
            final.rename(store.root / ".superseded" / f"{ref.id}.{uuid.uuid4().hex[:8]}")
        try:
            os.rename(staging, final)
        except OSError:  # another task of this node unpacked it first
            shutil.rmtree(staging, ignore_errors=True)
    art = store.find(ref.id, verify=False)
    bad = [d for d in art.differences() if d.fatal and not d.file.startswith("inputs[")]
    if bad:
        raise IntegrityError(ref.id, bad)
    return art


@dataclass
class NodeResult:
    """What a task returns: the staged folder as a tar, each file's sha256, what the builder
    reported, where it ran; or the error the builder raised (with quarantined folders)."""

    tar: bytes = b""
    files: dict[str, str] = field(default_factory=dict)
    status: str = ""
    metrics: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    built_on: dict = field(default_factory=dict)
    error: BaseException | None = None
    error_trace: str = ""
    quarantine: dict[str, bytes] = field(default_factory=dict)


def run_on_node(payload: bytes, artifact_id: str, fingerprint: str, torch_threads: int,
                refs: list[ArtifactRef], relay, executor_name: str, *blobs: bytes) -> NodeResult:
    """The body of a build task on a node (``blobs``: the input folders, in ``refs`` order)."""
    node_started = time.time()
    import ray
    import torch

    if code_fingerprint() != fingerprint:
        raise ExecutorError(f"node {socket.gethostname()} runs other harness code than the "
                            f"driver (source hash {code_fingerprint()[:12]} != "
                            f"{fingerprint[:12]}): install the driver's checkout there")
    torch.set_num_threads(torch_threads)
    ctx = ray.get_runtime_context()
    node = ctx.get_node_id()
    placement = {"executor": executor_name, "node": node, "host": socket.gethostname(),
                 "ip": ray.util.get_node_ip_address(), "pid": os.getpid(),
                 "task": ctx.get_task_id(), "environment": environment_versions(),
                 "node_started": node_started}
    if relay is not None:
        with contextlib.suppress(Exception):
            relay.put.remote(("started", artifact_id, node, time.time()))
    store = Store(node_root(node))
    inputs = {ref.id: _materialise(store, ref, blob) for ref, blob in zip(refs, blobs,
                                                                          strict=True)}
    token = _NODE.set(_NodeContext(store, inputs, relay, node))
    try:
        builder = pickle.loads(payload)
    finally:
        _NODE.reset(token)
    staging = store.root / ".staging" / f"{artifact_id}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    build = Build(dir=staging, artifact_id=artifact_id,
                  resume_dir=store.root / ".resume" / artifact_id)
    quarantine_before = _listing(store.root / "quarantine")
    started = time.time()
    try:
        builder(build)
    except Exception as exc:  # the build's own failure: reported, never retried
        shutil.rmtree(staging, ignore_errors=True)
        new = sorted(_listing(store.root / "quarantine") - quarantine_before)
        return NodeResult(error=_portable(exc), error_trace=traceback.format_exc(),
                          built_on=placement,
                          quarantine={n: pack_folder(store.root / "quarantine" / n)
                                      for n in new})
    placement["build_seconds"] = round(time.time() - started, 3)
    try:
        files = file_hashes(staging)
        blob = pack_folder(staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(build.resume_dir, ignore_errors=True)
    placement["node_seconds"] = round(time.time() - node_started, 3)
    if relay is not None:  # waited for: the relay has every row of this build before it returns
        with contextlib.suppress(Exception):
            ray.get(relay.put.remote(("finished", artifact_id, node, time.time())), timeout=30)
    return NodeResult(tar=blob, files=files, status=build.status, metrics=build.metrics,
                      extra=build.extra, built_on=placement)


def _portable(exc: Exception) -> Exception:
    """``exc`` if it survives pickling (the driver re-raises it as it is), else an
    :class:`ExecutorError` with its type and message (an exception whose ``__init__`` takes
    other arguments than its ``args`` cannot be rebuilt on the driver)."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return ExecutorError(f"{type(exc).__name__}: {exc}")


def _listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


# ----------------------------------------------------------------------------- the driver side
class RayExecutor:
    """Runs the builds of ``kinds`` as Ray tasks (1 CPU, ``num_gpus``, one torch thread), the
    rest in this process. Safe to call from several threads at once: each call waits for its
    own task, so independent builds run concurrently on the cluster.

    The caller (the pipeline) says which kinds are worth sending, and ``read_from_inputs``: of
    the sub-folders the store's quick verification skips (``UNUSED_DIRS``), those a remote build
    reads from an input of a kind, so they travel with it; the rest stays on the driver."""

    name = "ray"
    concurrent = True

    def __init__(self, address: str | None = None, num_gpus: float = 0.0,
                 kinds: Sequence[str] = (), torch_threads: int = 1,
                 max_retries: int = MAX_RETRIES, init: bool = True,
                 read_from_inputs: Mapping[str, Sequence[str]] | None = None):
        try:
            import ray
        except ImportError:
            raise ExecutorError("--executor ray needs Ray: pip install -c constraints.txt "
                                "-e '.[ray]'") from None
        self.ray = ray
        self.kinds = tuple(kinds)
        self.read_from_inputs = {k: tuple(v) for k, v in (read_from_inputs or {}).items()}
        self.num_gpus = num_gpus
        self.torch_threads = torch_threads
        self.max_retries = max_retries
        self._owns_connection = False
        if init and not ray.is_initialized():
            # address None starts a private local instance (never someone else's cluster),
            # which does not report usage statistics unless the user asked for it
            if not address:
                os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            ray.init(address=address, include_dashboard=False, log_to_driver=True,
                     configure_logging=False)
            self._owns_connection = True
        self._task = ray.remote(run_on_node).options(
            num_cpus=1, num_gpus=num_gpus, max_retries=max_retries, retry_exceptions=False)
        self._blobs: dict[tuple[str, str], object] = {}
        self._blob_lock = threading.Lock()
        self._failed: dict[str, BaseException] = {}
        self._progress: dict[str, RunProgress] = {}
        self.events: list[tuple] = []
        """(``started`` or ``finished``, artifact id, node, time) of every build task on a
        node, as the relay saw them (a task retried after its node died starts twice)."""
        driver_node = ray.get_runtime_context().get_node_id()
        strategy = ray.util.scheduling_strategies.NodeAffinitySchedulingStrategy(driver_node,
                                                                                  soft=False)
        self.relay = ray.remote(_Relay).options(num_cpus=0,
                                                scheduling_strategy=strategy).remote()
        self._stop = threading.Event()
        self._drainer = threading.Thread(target=self._drain_loop, daemon=True,
                                         name="harness-ray-progress")
        self._drainer.start()

    # -- building
    def execute(self, kind: str, builder: Callable[[Build], None], build: Build,
                inputs: Sequence[Artifact] = ()) -> None:
        if kind not in self.kinds:
            LocalExecutor().execute(kind, builder, build, inputs)
            return
        if build.artifact_id in self._failed:  # failed once this session: same error, no rerun
            raise self._failed[build.artifact_id]
        payload, shipment = pack_builder(builder)
        refs = [ArtifactRef(a.id, a.kind, a.manifest_hash)
                for a in shipment.artifacts.values()]
        blobs = [self._blob(a) for a in shipment.artifacts.values()]
        self._progress.update(shipment.progress)
        submitted = time.time()
        ref = self._task.remote(payload, build.artifact_id, code_fingerprint(),
                                self.torch_threads, refs, self.relay, self.name, *blobs)
        under_way(build.artifact_id)  # submitted: Ray runs a scheduling class's tasks in order
        try:
            result: NodeResult = self.ray.get(ref)
            self.drain()  # the build's last rows, before its callbacks are forgotten
        except BaseException:
            with contextlib.suppress(Exception):
                self.ray.cancel(ref, force=True)
            raise
        finally:
            for token in shipment.progress:
                self._progress.pop(token, None)
        if result.error is not None:
            self._receive_quarantine(build, result)
            error = result.error
            error.add_note(f"built on Ray node {result.built_on.get('node')} "
                           f"({result.built_on.get('host')}); node traceback:\n"
                           f"{result.error_trace}")
            self._failed[build.artifact_id] = error
            raise error
        unpack_folder(result.tar, build.dir)
        check_received(build.artifact_id, build.dir, result.files)
        build.status, build.metrics, build.extra = result.status, result.metrics, result.extra
        # timings: queued (submit to start on the node, worker start included), on the node
        # (inputs unpacked, the build, its folder packed), round trip (submit to verified)
        where = dict(result.built_on)
        queued = where.pop("node_started") - submitted
        build.built_on = {**where, "queued_seconds": round(queued, 3),
                          "round_trip_seconds": round(time.time() - submitted, 3),
                          "result_bytes": len(result.tar)}

    def _blob(self, art: Artifact):
        """The object-store reference of an input folder, put once per session."""
        key = (art.id, art.manifest_hash)
        with self._blob_lock:
            if key not in self._blobs:
                art.verify()
                keep = self.read_from_inputs.get(art.kind, ())
                self._blobs[key] = self.ray.put(pack_folder(
                    art.path, skip=[d for d in UNUSED_DIRS if d not in keep]))
            return self._blobs[key]

    def _receive_quarantine(self, build: Build, result: NodeResult) -> None:
        """Folders a failed build quarantined on its node land in the driver store's
        quarantine, under the same names."""
        if not result.quarantine:
            return
        root = build.dir.parent.parent / "quarantine"
        for name, blob in result.quarantine.items():
            unpack_folder(blob, root / name)
            result.error.add_note(f"quarantined on the node; copied to {root / name}")

    # -- progress
    def _drain_loop(self) -> None:
        while not self._stop.wait(1.0):
            self.drain()

    def drain(self) -> None:
        """Replay what the nodes reported since the last call (progress rows, task starts)."""
        try:
            items = self.ray.get(self.relay.drain.remote(), timeout=30)
        except Exception:  # shutting down, or the relay is gone: progress is best effort
            return
        for item in items:
            if item[0] == "progress":
                _, token, node, row = item
                reporter = self._progress.get(token)
                if reporter is not None:
                    reporter(row)
            else:
                self.events.append(item)
                log.info("build %s %s on Ray node %s", item[1], item[0], item[2])

    def close(self) -> None:
        self._stop.set()
        if self._owns_connection and self.ray.is_initialized():
            self.ray.shutdown()


class _Relay:
    """A Ray actor on the driver's node: nodes put progress rows and task starts, the driver
    drains them."""

    def __init__(self):
        self.items: list = []

    def put(self, item) -> None:
        self.items.append(item)

    def drain(self) -> list:
        out, self.items = self.items, []
        return out


def make_executor(name: str, address: str | None = None, num_gpus: float = 0.0,
                  remote_kinds: Sequence[str] = (),
                  read_from_inputs: Mapping[str, Sequence[str]] | None = None):
    """The executor ``--executor`` names: ``local`` (default) or ``ray`` (``address``: a running
    cluster, e.g. ``127.0.0.1:6379`` or ``ray://head:10001``; None starts a local instance),
    which sends the builds of ``remote_kinds`` to the cluster (:class:`RayExecutor`)."""
    if name == "local":
        return LocalExecutor()
    if name == "ray":
        return RayExecutor(address=address or None, num_gpus=num_gpus, kinds=remote_kinds,
                           read_from_inputs=read_from_inputs)
    raise ValueError(f"--executor: expected 'local' or 'ray', found {name!r}")
