"""Scheduler throughput: 5,000 pending pods of one Deployment onto 500 and onto 5,000 nodes.

Full default profile (system default topology spread applies, since the pods belong
to a ReplicaSet), explanations recorded, Bind actions produced. Prints pods/s.
Run with `python -m bench.scheduler`; `--write` also writes every binding through the
API server (POST pods/<name>/binding) into a scratch database, and counts that time in.
"""

from __future__ import annotations

import argparse
import random
import time

PODS = 5000
ZONES = ("zone-a", "zone-b", "zone-c")


def make_nodes(n: int) -> list[dict]:
    """n worker nodes of 16 cpu / 64Gi in three zones, with the nginx image on a third."""
    nodes = []
    for i in range(n):
        name = f"node-{i:05d}"
        alloc = {"cpu": "16", "memory": "64Gi", "pods": "110"}
        images = (
            [{"names": ["nginx:1.27"], "sizeBytes": 190_000_000}] if i % 3 == 0 else []
        )
        nodes.append(
            {
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "labels": {
                        "kubernetes.io/hostname": name,
                        "topology.kubernetes.io/zone": ZONES[i % 3],
                    },
                },
                "spec": {},
                "status": {
                    "allocatable": alloc,
                    "capacity": dict(alloc),
                    "images": images,
                },
            }
        )
    return nodes


def make_workload(n: int) -> tuple[list[dict], list[dict]]:
    """A ReplicaSet and n pending pods it owns, each requesting 100m cpu and 128Mi."""
    rs = {
        "kind": "ReplicaSet",
        "metadata": {"name": "web-5d4f8b7c9", "namespace": "default", "uid": "rs-uid"},
        "spec": {
            "selector": {
                "matchLabels": {"app": "web", "pod-template-hash": "5d4f8b7c9"}
            }
        },
    }
    pods = []
    for i in range(n):
        pods.append(
            {
                "kind": "Pod",
                "metadata": {
                    "name": f"web-5d4f8b7c9-{i:05d}",
                    "namespace": "default",
                    "uid": f"pod-{i}",
                    "labels": {"app": "web", "pod-template-hash": "5d4f8b7c9"},
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "ReplicaSet",
                            "name": rs["metadata"]["name"],
                            "uid": "rs-uid",
                            "controller": True,
                        }
                    ],
                },
                "spec": {
                    "schedulerName": "default-scheduler",
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx:1.27",
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"}
                            },
                        }
                    ],
                },
                "status": {"phase": "Pending"},
            }
        )
    return pods, [rs]


def bench(num_nodes: int, num_pods: int = PODS, write: bool = False) -> float:
    """Schedule num_pods onto num_nodes in one run (and write the bindings when
    `write`); return pods per second."""
    from cluster.scheduler import run

    nodes = make_nodes(num_nodes)
    pods, controllers = make_workload(num_pods)
    api = _stored(pods) if write else None
    start = time.perf_counter()
    result = run(
        pods,
        nodes,
        queue_state=None,
        now=1_700_000_000.0,
        rng=random.Random(7),
        controllers=controllers,
    )
    binds = [a for a in result.actions if type(a).__name__ == "Bind"]
    if api is not None:
        from cluster.engine.apply import apply_all

        landed, _refused = apply_all(api, binds)
        assert landed == num_pods, landed
    elapsed = time.perf_counter() - start
    assert len(binds) == num_pods, len(binds)
    assert len(result.decisions) == num_pods
    return num_pods / elapsed


def _stored(pods: list[dict]):
    """The pods in a fresh cluster of the scratch database, and its API server."""
    from django.contrib.auth import get_user_model

    from cluster import kinds, store
    from cluster.apiserver.core import ApiServer
    from cluster.models import Cluster

    owner, _ = get_user_model().objects.get_or_create(username="bench")
    cluster = Cluster.objects.create(
        owner=owner,
        name=f"bench-{len(pods)}-{time.time_ns()}",
        slug=str(time.time_ns()),
    )
    pod_kind = kinds.by_kind("Pod")
    for pod in pods:
        stored = store.create(cluster.pk, pod_kind, {"apiVersion": "v1", **pod})
        pod["metadata"] = stored["metadata"]  # uid and resourceVersion as stored
    return ApiServer(cluster.pk, now=1_700_000_000.0, rng=random.Random(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if not args.write:
        for n in (500, 5000):
            print(f"{PODS} pods onto {n} nodes: {bench(n):,.0f} pods/s")
        return
    from bench.scratch import quiet, scratch_database

    with scratch_database(), quiet():
        for n in (500, 5000):
            rate = bench(n, write=True)
            print(f"{PODS} pods onto {n} nodes, bindings written: {rate:,.0f} pods/s")


if __name__ == "__main__":
    main()
