"""A real local Ray cluster for tests and benchmarks: a head without CPUs (the driver's node)
and ``nodes`` worker nodes of one CPU each, every process on the loopback address only.

On Linux Ray takes the machine's outward address even for a local cluster unless
``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, which Ray reads once, when it is first imported: so
this module sets it on import (import it before anything imports ``ray``), and every process
Ray spawns inherits it."""

from __future__ import annotations

import contextlib
import os
import sys

LOOPBACK = "127.0.0.1"
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"  # nor any connection out to report usage


@contextlib.contextmanager
def loopback_cluster(nodes: int = 2, cpus_per_node: int = 1):
    """Yield a started ``ray.cluster_utils.Cluster`` whose every node runs on 127.0.0.1."""
    if "ray" in sys.modules:
        from ray._private import ray_constants

        if ray_constants.ENABLE_RAY_CLUSTER:
            raise RuntimeError("ray was imported before tests.ray.cluster set "
                               "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0: its nodes would listen on "
                               "the machine's outward address")
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True,
                      head_node_args={"num_cpus": 0, "include_dashboard": False})
    try:
        for _ in range(nodes):
            cluster.add_node(num_cpus=cpus_per_node)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        cluster.shutdown()


def node_addresses(cluster) -> set[str]:
    """The address every live node of ``cluster`` (and its GCS) listens on."""
    import ray

    hosts = {cluster.address.rsplit(":", 1)[0]}
    connected = ray.is_initialized()
    if not connected:
        ray.init(address=cluster.address, include_dashboard=False)
    try:
        hosts |= {n["NodeManagerAddress"] for n in ray.nodes() if n["Alive"]}
    finally:
        if not connected:
            ray.shutdown()
    return hosts
