"""--executor ray on a real local Ray cluster (issue 15): a head without CPUs, where the driver
attaches, and worker nodes of one CPU each, every Ray process on 127.0.0.1 only.

- The smoke study run through the cluster gives the local executor's numbers exactly (every
  artefact's metrics and every report row), every expensive build names the node it ran on,
  and the store passes a full audit. Needs the finished local smoke store of ``make test``
  (``HARNESS_SMOKE_STORE``, its report under ``HARNESS_SMOKE_REPORTS``) as the reference.
- A driver killed in the middle of a build leaves nothing that looks complete; a re-run builds,
  the next one reuses.
- A node removed in the middle of a build: Ray runs the task again on the other node, and the
  store holds one complete, verified artefact with the uninterrupted build's metrics.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("ray")

from harness.cli import main  # noqa: E402
from harness.core.executor import RayExecutor  # noqa: E402
from harness.core.paths import ROOT  # noqa: E402
from harness.core.store import Store  # noqa: E402
from harness.pipeline import REMOTE_KINDS  # noqa: E402
from tests.ray.cluster import LOOPBACK, loopback_cluster, node_addresses  # noqa: E402
from tests.ray.small_build import build  # noqa: E402

pytestmark = pytest.mark.ray
SMOKE = os.environ.get("HARNESS_SMOKE_STORE")
SMOKE_REPORTS = Path(os.environ.get("HARNESS_SMOKE_REPORTS") or ROOT / "reports")
TIMING = ("wall", "seconds", "per_second")
"""Metric keys that measure time, not behaviour: they differ between any two runs."""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    os.environ["HARNESS_RAY_WORKDIR"] = str(tmp_path_factory.mktemp("nodes"))
    with loopback_cluster(nodes=2) as c:
        assert node_addresses(c) == {LOOPBACK}, "a Ray node listens beyond the loopback address"
        yield c


def worker_node_ids(cluster) -> set[str]:
    return {n.node_id for n in cluster.worker_nodes}


# ----------------------------------------------------------------------------- the smoke study
def without_timing(x, names: dict | None = None):
    """``x`` without the values that measure time (at any depth), artefact ids replaced by
    ``names[id]`` where given."""
    if isinstance(x, dict):
        return {k: without_timing(v, names) for k, v in x.items()
                if not any(t in k for t in TIMING)}
    if isinstance(x, list):
        return [without_timing(v, names) for v in x]
    return names.get(x, x) if names and isinstance(x, str) else x


def canonical(store: Store) -> dict[tuple, dict]:
    """Each artefact by what it is (kind, config hash, seeds), its metrics without timings and
    with artefact ids replaced by what they are: ids downstream of an expert differ between
    any two runs (an input's manifest records its build time), what they name does not."""
    arts = {a.id: a for a in store.list()}
    key: dict[str, tuple] = {}

    def what(artifact_id: str) -> tuple:
        """(kind, config hash, seeds, what its inputs are): two artefacts of one config and
        seed differ by their inputs (e.g. the shift experiment's runs of different arms)."""
        if artifact_id not in key:
            a = arts[artifact_id]
            key[artifact_id] = (a.kind, a.manifest["config_sha256"], tuple(a.manifest["seeds"]),
                                tuple(sorted(what(i["id"]) for i in a.manifest["inputs"])))
        return key[artifact_id]

    for artifact_id in arts:
        what(artifact_id)
    arts = list(arts.values())

    return {key[a.id]: {"metrics": without_timing(a.metrics, key), "status": a.status,
                        "built_on": a.manifest.get("built_on", {})} for a in arts}


def report_rows(reports: Path) -> list[tuple]:
    context = json.loads(next(reports.glob("*/report_context.json")).read_text())
    return sorted((r["id"], r["passed"], r["measured"], r["threshold"],
                   json.dumps(r["interval"])) for r in context["criteria"] if not r["not_run"])


@pytest.mark.skipif(not SMOKE, reason="needs the local smoke store as reference: "
                    "HARNESS_SMOKE_STORE (make test sets it after the smoke study)")
def test_the_smoke_study_on_ray_gives_the_local_numbers(cluster, tmp_path):
    store, reports = tmp_path / "artifacts", tmp_path / "reports"
    study = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "experiments"), "-p", "no:xdist", "-q",
         "-p", "no:cacheprovider", "--profile", "smoke_core", "--executor", "ray",
         "--ray-address", cluster.address, "--artifacts-dir", str(store),
         "--reports-dir", str(reports)],
        capture_output=True, text=True, timeout=1200, cwd=ROOT,
        env={**os.environ, "HARNESS_SMOKE_STORE": ""})
    assert study.returncode == 0, study.stdout[-3000:] + study.stderr[-2000:]
    assert "harness progress [main] [expert seed" in study.stdout  # relayed from the nodes

    local, remote = canonical(Store(SMOKE, create=False)), canonical(Store(store, create=False))
    # smoke_core is the smoke study without the size study and the regime map: every artefact
    # it builds is one of the local smoke store's, with the same numbers
    assert remote and set(remote) <= set(local), sorted(set(remote) - set(local))
    kinds = {w[0] for w in remote}
    assert {"expert", "dataset", "arm_run", "arm_target", "comparison", "shift"} <= kinds
    for what, art in remote.items():
        assert art["metrics"] == local[what]["metrics"], what
        assert art["status"] == local[what]["status"], what
        where = art["built_on"]
        if what[0] in REMOTE_KINDS:
            assert where["executor"] == "ray" and where["node"] in worker_node_ids(cluster), what
            assert where["ip"] == LOOPBACK
        else:
            assert where["executor"] == "local", what
    rows, smoke_rows = report_rows(reports), report_rows(SMOKE_REPORTS)
    assert rows and all(r in smoke_rows for r in rows), [r for r in rows if r not in smoke_rows]
    assert main(["--artifacts-dir", str(store), "verify", "--all"]) == 0


# ----------------------------------------------------------------------------- faults
def wait_for_progress(store: Path, pid: int, timeout: float = 300) -> None:
    """Until the driver ``pid`` has relayed a first progress row: the node is training."""
    path = store / ".progress" / f"{pid}.jsonl"
    deadline = time.time() + timeout
    while not path.is_file() and time.time() < deadline:
        time.sleep(0.2)
    assert path.is_file(), "no progress row came back from the node"


def test_an_interrupted_driver_leaves_nothing_complete_and_a_rerun_reuses(cluster, tmp_path):
    root = tmp_path / "store"
    cmd = [sys.executable, "-m", "tests.ray.small_build", str(root), cluster.address]
    driver = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    wait_for_progress(root, driver.pid)
    driver.send_signal(signal.SIGKILL)  # harder than Ctrl-C: no clean-up runs at all
    driver.wait(timeout=60)
    store = Store(root)
    assert store.list() == []  # nothing that looks complete
    assert store.sweep_leftovers()["staging"] == 1  # the killed driver's build in progress

    def run() -> str:
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr[-3000:]
        return out.stdout.split()[0]

    assert run() == "built"
    assert run() == "reused"
    assert store.verify()[1] == []


def test_a_node_lost_mid_build_is_retried_elsewhere_and_the_store_is_complete(cluster,
                                                                              tmp_path):
    reference = build(Store(tmp_path / "local"))  # the same build in this process

    executor = RayExecutor(address=cluster.address, kinds=REMOTE_KINDS)
    try:
        store = Store(tmp_path / "ray", executor=executor)
        result: dict = {}
        thread = threading.Thread(target=lambda: result.update(art=build(store)))
        thread.start()
        wait_for_progress(store.root, os.getpid())
        first = executor.events[0][2]
        assert not store.list("expert_run") and list((store.root / ".staging").iterdir())
        victim = next(n for n in cluster.worker_nodes if n.node_id == first)
        cluster.remove_node(victim, allow_graceful=False)
        thread.join(timeout=600)
        assert "art" in result, "the build did not finish after the node was lost"
    finally:
        executor.close()

    art = result["art"]
    starts = [e[2] for e in executor.events if e[:2] == ("started", art.id)]
    survivor = art.manifest["built_on"]["node"]
    assert starts[0] == first and survivor != first and survivor in starts  # retried elsewhere
    assert survivor in worker_node_ids(cluster)
    assert [a.id for a in store.list()] == [art.id]  # one artefact, nothing half-published
    assert not list((store.root / ".staging").iterdir())
    _, diffs = store.verify()
    assert diffs == []
    assert without_timing(art.metrics) == without_timing(reference.metrics)
