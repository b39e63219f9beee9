"""Helpers for engine tests: a cluster, its objects, reading them back, and the kubectl
commands the tests stand in for (scale, cordon, set image, rollout undo)."""

from __future__ import annotations

import copy

from django.contrib.auth import get_user_model

from cluster import kinds, operations
from cluster.access import api_for, sim_now
from cluster.apiserver.patch import json_patch
from cluster.controllers import deployment_util as U
from cluster.engine.tick import tick
from cluster.models import Component
from cluster.provision import create_cluster

DEPLOYMENT = kinds.by_kind("Deployment")
REPLICASET = kinds.by_kind("ReplicaSet")
POD = kinds.by_kind("Pod")
NODE = kinds.by_kind("Node")
EVENT = kinds.by_kind("Event")


def new_cluster(template: str = "single", username: str = "student"):
    user, _ = get_user_model().objects.get_or_create(username=username)
    return create_cluster(user, f"c-{template}", template=template, seed=7)


def api(cluster):
    cluster.refresh_from_db()
    return api_for(cluster)


def pods(cluster, namespace="default", label=""):
    return api(cluster).list(POD, namespace, label_selector=label).items


def nodes(cluster) -> dict[str, dict]:
    return {n["metadata"]["name"]: n for n in api(cluster).list(NODE).items}


def ready(node: dict) -> str:
    return next(
        c["status"] for c in node["status"]["conditions"] if c["type"] == "Ready"
    )


def component(cluster, machine: str, kind: str) -> Component:
    return Component.objects.get(
        machine__cluster=cluster, machine__name=machine, kind=kind
    )


def deployment(name: str, replicas: int, image: str = "nginx:1.27") -> dict:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
        },
    }


def phases(items) -> list[str]:
    return sorted(p["status"].get("phase", "") for p in items)


def event_reasons(cluster, namespace="default") -> list[str]:
    return [e["reason"] for e in api(cluster).list(EVENT, namespace).items]


def paused_cluster(template: str = "single"):
    """A new cluster whose clock moves only when a test moves it, so times are exact."""
    cluster = new_cluster(template)
    return operations.set_speed(cluster, 0)


def settle(cluster, seconds: float = 0.5):
    """Let the engine react to a change just made: the tick an API write wakes at
    once, then `seconds` more on the clock."""
    tick(cluster.pk)
    return operations.fast_forward(cluster, seconds)


def now(cluster) -> float:
    cluster.refresh_from_db()
    return sim_now(cluster)


def events_about(cluster, name: str, namespace="default") -> list[tuple[str, str]]:
    """(reason, message) of the events about `name`, in the order they were recorded."""
    items = api(cluster).list(
        EVENT, namespace, field_selector=f"involvedObject.name={name}"
    )
    ordered = sorted(items.items, key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [(e["reason"], e["message"]) for e in ordered]


def scale(cluster, kind, name: str, replicas: int, namespace="default") -> None:
    """`kubectl scale`: a patch of the scale subresource."""
    api(cluster).merge_patch(
        kind, namespace, name, {"spec": {"replicas": replicas}}, subresource="scale"
    )


def cordon(cluster, node: str, unschedulable: bool = True) -> None:
    """`kubectl cordon` / `uncordon`."""
    api(cluster).merge_patch(
        NODE, None, node, {"spec": {"unschedulable": unschedulable or None}}
    )


def set_image(cluster, name: str, container: str, image: str) -> None:
    """`kubectl set image deployment/<name> <container>=<image>`: one image changes."""

    def change(live):
        for c in live["spec"]["template"]["spec"]["containers"]:
            if c["name"] == container:
                c["image"] = image
        return live

    api(cluster).patch(DEPLOYMENT, "default", name, change)


def rollout_undo(cluster, name: str, namespace="default") -> None:
    """`kubectl rollout undo`: the client copies the previous revision's template back.

    kubectl picks the ReplicaSet with the highest revision below the current one,
    drops its pod-template-hash label, and sends a JSON patch replacing the
    Deployment's template and annotations (the revision bookkeeping annotations
    are kept from the Deployment, every other one comes from the ReplicaSet).
    """
    d = api(cluster).get(DEPLOYMENT, namespace, name)
    owned = [
        rs
        for rs in api(cluster).list(REPLICASET, namespace).items
        if any(
            r["uid"] == d["metadata"]["uid"]
            for r in rs["metadata"].get("ownerReferences", [])
        )
    ]
    current = int(d["metadata"]["annotations"][U.REVISION])
    previous = max(
        (
            rs
            for rs in owned
            if int(rs["metadata"]["annotations"][U.REVISION]) < current
        ),
        key=lambda rs: int(rs["metadata"]["annotations"][U.REVISION]),
    )
    template = copy.deepcopy(previous["spec"]["template"])
    template["metadata"]["labels"].pop(U.HASH_LABEL, None)
    annotations = {
        k: v for k, v in d["metadata"].get("annotations", {}).items() if k in _UNDO_KEEP
    }
    annotations.update(
        {
            k: v
            for k, v in previous["metadata"].get("annotations", {}).items()
            if k not in _UNDO_KEEP
        }
    )
    ops = [
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]
    api(cluster).patch(DEPLOYMENT, namespace, name, lambda live: json_patch(live, ops))


# kubectl's annotationsToSkip for a rollback (polymorphichelpers/rollback.go).
_UNDO_KEEP = {
    "kubectl.kubernetes.io/last-applied-configuration",
    U.REVISION,
    U.REVISION_HISTORY,
    U.DESIRED_REPLICAS,
    U.MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
}


def step_until(cluster, predicate, max_steps: int = 100):
    """Step the clock from timer to timer until `predicate()` holds; its last value."""
    for _ in range(max_steps):
        result = predicate()
        if result:
            return result
        cluster = operations.step(cluster)
    raise AssertionError(f"still not true after {max_steps} steps: {predicate}")


def live(items) -> list[dict]:
    """The objects not marked for deletion."""
    return [o for o in items if not o["metadata"].get("deletionTimestamp")]


def autoscaler(target: str, utilization: int, most: int) -> dict:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": target},
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": target,
            },
            "minReplicas": 1,
            "maxReplicas": most,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": utilization,
                        },
                    },
                }
            ],
        },
    }
