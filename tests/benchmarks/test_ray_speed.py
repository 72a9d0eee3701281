"""The study with --executor ray on a local cluster of one-CPU nodes against -n N locally, same
machine, same run (opt-in benchmark, issue 15; target: overhead <= 10% on the full profile).

    HARNESS_BENCH_PROFILE=full pytest tests/benchmarks/test_ray_speed.py --benchmark -s

Both runs start from an empty store. The cluster (a head without CPUs and N worker nodes, all on
127.0.0.1) is started before the Ray run's clock starts, as a real cluster would be running
already. Per-build times come from the manifests: ``wall_seconds`` (the driver's, lock to
publish), and for a Ray build ``built_on``: ``build_seconds`` (the builder on the node),
``queued_seconds`` (submit to start on a node, waiting for a free CPU included) and
``round_trip_seconds`` (submit to verified result). The machine's other load is not controlled:
compare per-build times as well as the walls.
"""

import os
import statistics
import subprocess
import sys
import time

import pytest

import tests.ray.cluster  # noqa: F401  (first: loopback-only Ray, set before ray is imported)
from harness.core.benchmark import publish
from harness.core.paths import ROOT
from harness.core.store import Store

pytestmark = pytest.mark.benchmark
PROFILE = os.environ.get("HARNESS_BENCH_PROFILE", "smoke")
NODES = int(os.environ.get("HARNESS_BENCH_NODES", "2"))


def run_study(store, reports, *extra: str) -> tuple[float, int, str]:
    cmd = [sys.executable, "-m", "pytest", "experiments/", "--profile", PROFILE, "-q",
           "-p", "no:cacheprovider", "--artifacts-dir", str(store), "--reports-dir",
           str(reports), *extra]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - start, proc.returncode, proc.stdout[-2000:]


def per_build(store) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for art in Store(store, create=False).list():
        out.setdefault(art.kind, []).append({"wall": art.manifest["wall_seconds"],
                                             **art.manifest.get("built_on", {})})
    return out


def test_ray_against_local(tmp_path, capsys):
    pytest.importorskip("ray")
    from tests.ray.cluster import LOOPBACK, loopback_cluster, node_addresses

    local_wall, local_rc, local_out = run_study(tmp_path / "local", tmp_path / "rl",
                                                "-n", str(NODES))
    print(f"\n{PROFILE}: local -n {NODES}: {local_wall:.1f} s (exit {local_rc})", flush=True)
    os.environ["HARNESS_RAY_WORKDIR"] = str(tmp_path / "nodes")
    started = time.perf_counter()
    with loopback_cluster(nodes=NODES) as cluster:
        up = time.perf_counter() - started
        assert node_addresses(cluster) == {LOOPBACK}
        ray_wall, ray_rc, ray_out = run_study(tmp_path / "ray", tmp_path / "rr", "-p",
                                              "no:xdist", "--executor", "ray",
                                              "--ray-address", cluster.address)
    rows = [{"profile": PROFILE, "executor": f"local -n {NODES}", "cold seconds": local_wall,
             "vs local": 1.0, "cluster start seconds": 0.0, "exit code": local_rc},
            {"profile": PROFILE, "executor": f"ray {NODES} x 1 CPU (no -n)",
             "cold seconds": ray_wall, "vs local": ray_wall / local_wall,
             "cluster start seconds": up, "exit code": ray_rc}]
    local, remote = per_build(tmp_path / "local"), per_build(tmp_path / "ray")
    builds = []
    for kind in sorted(remote):
        shipped = [b for b in remote[kind] if "round_trip_seconds" in b]
        mean = lambda xs: statistics.mean(xs) if xs else 0.0
        builds.append({
            "kind": kind, "builds": len(remote[kind]),
            "local mean wall": mean([b["wall"] for b in local.get(kind, [])]),
            "ray mean build": mean([b["build_seconds"] for b in shipped]),
            "ray mean queued": mean([b["queued_seconds"] for b in shipped]),
            "ray mean round trip": mean([b["round_trip_seconds"] for b in shipped]),
            # what Ray costs a build: its round trip less its wait for a CPU and the build itself
            # (worker start and imports, inputs and result through the object store, checks)
            "ray mean overhead": mean([b["round_trip_seconds"] - b["queued_seconds"]
                                       - b["build_seconds"] for b in shipped]),
            "ray sum build": sum(b["build_seconds"] for b in shipped)})
    with capsys.disabled():
        publish(f"ray_vs_local_{PROFILE}", rows)
        publish(f"ray_vs_local_{PROFILE}_builds", builds)
    assert local_rc == 0, local_out
    assert ray_rc == 0, ray_out
