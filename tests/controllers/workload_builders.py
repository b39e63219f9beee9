"""Object builders shared by the workload controller tests."""

from __future__ import annotations

from cluster.simtime import rfc3339

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def template(image: str = "nginx:1.26", labels: dict | None = None) -> dict:
    return {
        "metadata": {"labels": labels or {"app": "web"}},
        "spec": {"containers": [{"name": "nginx", "image": image}]},
    }


def replicaset(name="web", replicas=3, uid="rs-uid", labels=None, **spec) -> dict:
    labels = labels or {"app": "web"}
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": uid,
            "generation": 1,
            "creationTimestamp": rfc3339(T0),
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": template(labels=labels),
            **spec,
        },
    }


def pod(
    name: str,
    owner: dict | None = None,
    node: str = "",
    phase: str = "Running",
    ready_at: float | None = None,
    created: float = T0,
    labels: dict | None = None,
    restarts: int = 0,
    uid: str | None = None,
) -> dict:
    meta = {
        "name": name,
        "namespace": "default",
        "uid": uid or f"uid-{name}",
        "creationTimestamp": rfc3339(created),
        "labels": labels or {"app": "web"},
    }
    if owner is not None:
        meta["ownerReferences"] = [
            {
                "apiVersion": owner["apiVersion"],
                "kind": owner["kind"],
                "name": owner["metadata"]["name"],
                "uid": owner["metadata"]["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    status: dict = {"phase": phase}
    if ready_at is not None:
        status["conditions"] = [
            {"type": "Ready", "status": "True", "lastTransitionTime": rfc3339(ready_at)}
        ]
    if restarts:
        status["containerStatuses"] = [{"name": "nginx", "restartCount": restarts}]
    spec = {"containers": [{"name": "nginx", "image": "nginx:1.26"}]}
    if node:
        spec["nodeName"] = node
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": spec,
        "status": status,
    }


def make_ready(view: dict, now: float, node: str = "node-1") -> None:
    """What the scheduler and kubelet would do: every pending pod runs and is Ready."""
    for p in view.get("Pod", []):
        if p.get("metadata", {}).get("deletionTimestamp"):
            continue
        p["spec"].setdefault("nodeName", node)
        status = p.setdefault("status", {})
        if status.get("phase") != "Running":
            status["phase"] = "Running"
            status["conditions"] = [
                {"type": "Ready", "status": "True", "lastTransitionTime": rfc3339(now)}
            ]
