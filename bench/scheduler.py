"""Scheduler throughput: 5,000 pending pods of one Deployment onto 500 and onto 5,000 nodes.

Full default profile (system default topology spread applies, since the pods belong
to a ReplicaSet), explanations recorded, Bind actions produced. Prints pods/s.
Run with `python -m bench.scheduler`.
"""

from __future__ import annotations

import random
import time

from cluster.scheduler import run

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


def bench(num_nodes: int, num_pods: int = PODS) -> float:
    """Schedule num_pods onto num_nodes in one run; return pods per second."""
    nodes = make_nodes(num_nodes)
    pods, controllers = make_workload(num_pods)
    start = time.perf_counter()
    result = run(
        pods,
        nodes,
        queue_state=None,
        now=1_700_000_000.0,
        rng=random.Random(7),
        controllers=controllers,
    )
    elapsed = time.perf_counter() - start
    binds = sum(1 for a in result.actions if type(a).__name__ == "Bind")
    assert binds == num_pods, binds
    assert len(result.decisions) == num_pods
    return num_pods / elapsed


def main() -> None:
    for n in (500, 5000):
        print(f"{PODS} pods onto {n} nodes: {bench(n):,.0f} pods/s")


if __name__ == "__main__":
    main()
