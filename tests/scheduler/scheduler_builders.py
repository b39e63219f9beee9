"""Builders for nodes, pods and related objects used by the scheduler tests."""

from __future__ import annotations

import random

from cluster.scheduler import run

NOW = 1_700_000_000.0
GI = 1024**3
MI = 1024**2


def make_node(
    name: str,
    cpu: str = "4",
    memory: str = "8Gi",
    pods: str = "110",
    labels: dict | None = None,
    taints: list | None = None,
    unschedulable: bool = False,
    images: list | None = None,
) -> dict:
    spec: dict = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    alloc = {"cpu": cpu, "memory": memory, "pods": pods}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {"kubernetes.io/hostname": name, **(labels or {})},
        },
        "spec": spec,
        "status": {
            "capacity": dict(alloc),
            "allocatable": alloc,
            "images": images or [],
        },
    }


def make_pod(
    name: str,
    cpu: str | None = None,
    memory: str | None = None,
    namespace: str = "default",
    node: str | None = None,
    labels: dict | None = None,
    priority: int | None = None,
    image: str = "nginx",
    owner: dict | None = None,
    **spec_extra,
) -> dict:
    requests = {}
    if cpu:
        requests["cpu"] = cpu
    if memory:
        requests["memory"] = memory
    container = {"name": "c", "image": image}
    if requests:
        container["resources"] = {"requests": requests}
    spec = {
        "containers": [container],
        "schedulerName": "default-scheduler",
        **spec_extra,
    }
    if node:
        spec["nodeName"] = node
    if priority is not None:
        spec["priority"] = priority
    meta = {
        "name": name,
        "namespace": namespace,
        "uid": f"uid-{name}",
        "labels": labels or {},
    }
    if owner:
        meta["ownerReferences"] = [{"controller": True, **owner}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": spec,
        "status": {"phase": "Running" if node else "Pending"},
    }


def schedule(pods, nodes, queue_state=None, now=NOW, seed=1, **kw):
    """Run the scheduler once with a seeded rng."""
    return run(
        pods, nodes, queue_state=queue_state, now=now, rng=random.Random(seed), **kw
    )
