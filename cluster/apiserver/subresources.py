"""Subresources with their own semantics: pods/binding, pods/eviction and */scale."""

from __future__ import annotations

from cluster import kinds
from cluster.apiserver import errors
from cluster.kinds import Kind
from cluster.objects import selectors
from cluster.simtime import rfc3339

POD = kinds.by_kind("Pod")
PDB = kinds.by_kind("PodDisruptionBudget")
SCALABLE = {"Deployment", "ReplicaSet", "StatefulSet"}


def bind(
    api, namespace: str, pod_name: str, node: str, annotations: dict | None = None
) -> dict:
    """POST pods/<name>/binding: set spec.nodeName once, and PodScheduled=True."""

    def assign(pod: dict) -> dict:
        if pod["metadata"].get("deletionTimestamp"):
            raise errors.ApiError(
                409,
                "Conflict",
                f"pod {pod_name} is being deleted, cannot be assigned to a host",
            )
        current = pod.get("spec", {}).get("nodeName")
        if current:
            raise errors.conflict(
                "pods",
                pod_name,
                f'pod {pod_name} is already assigned to node "{current}"',
            )
        pod["spec"]["nodeName"] = node
        if annotations:
            pod["metadata"].setdefault("annotations", {}).update(annotations)
        conditions = [
            c
            for c in pod.setdefault("status", {}).get("conditions", [])
            if c["type"] != "PodScheduled"
        ]
        conditions.append(
            {
                "type": "PodScheduled",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": rfc3339(api.now),
            }
        )
        pod["status"]["conditions"] = conditions
        return pod

    # Binding writes spec and status in one step, as the registry's GuaranteedUpdate does.
    api.patch(
        POD, namespace, pod_name, assign, subresource="binding", verb="create binding"
    )
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "code": 201,
    }


def evict(
    api, namespace: str, pod_name: str, delete_options: dict | None = None
) -> dict:
    """POST pods/<name>/eviction: delete the pod unless a PodDisruptionBudget forbids it."""
    pod = api.get(POD, namespace, pod_name)
    labels = pod["metadata"].get("labels") or {}
    for pdb in api.list(PDB, namespace).items or []:
        selector = selectors.from_label_selector(pdb.get("spec", {}).get("selector"))
        if not selector or not selectors.matches(selector, labels):
            continue
        allowed = pdb.get("status", {}).get("disruptionsAllowed", 0)
        if allowed <= 0 and pod.get("status", {}).get("phase") == "Running":
            raise errors.ApiError(
                429,
                "TooManyRequests",
                "Cannot evict pod as it would violate the pod's disruption budget.",
                causes=[
                    errors.Cause(
                        "",
                        f"The disruption budget {pdb['metadata']['name']} needs "
                        f"{pdb.get('status', {}).get('desiredHealthy', 0)} healthy pods and has "
                        f"{pdb.get('status', {}).get('currentHealthy', 0)} currently",
                        "DisruptionBudget",
                    )
                ],
                retry_after=10,
            )
    options = delete_options or {}
    api.delete(
        POD,
        namespace,
        pod_name,
        grace_period=options.get("gracePeriodSeconds"),
        uid=(options.get("preconditions") or {}).get("uid", ""),
    )
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "code": 201,
    }


def scale_of(kind: Kind, obj: dict) -> dict:
    """The autoscaling/v1 Scale view of a scalable object."""
    if kind.kind not in SCALABLE:
        raise errors.ApiError(
            404, "NotFound", "the server could not find the requested resource"
        )
    meta = obj["metadata"]
    selector = obj.get("spec", {}).get("selector")
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta.get("namespace"),
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
            "creationTimestamp": meta.get("creationTimestamp"),
        },
        "spec": {"replicas": obj.get("spec", {}).get("replicas", 1)},
        "status": {
            "replicas": obj.get("status", {}).get("replicas", 0),
            "selector": selectors.to_string(selectors.from_label_selector(selector)),
        },
    }


def set_scale(api, kind: Kind, namespace: str, name: str, replicas_of) -> dict:
    """Write spec.replicas from a Scale computed by `replicas_of(current_scale)`."""
    result = {}

    def apply(obj: dict) -> dict:
        scale = replicas_of(scale_of(kind, obj))
        replicas = scale.get("spec", {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool):
            raise errors.invalid(
                "Scale",
                name,
                [
                    errors.Cause(
                        "spec.replicas",
                        f"Invalid value: {replicas!r}: must be an integer",
                    )
                ],
                "autoscaling",
            )
        if replicas < 0:
            raise errors.invalid(
                "Scale",
                name,
                [
                    errors.Cause(
                        "spec.replicas",
                        f"Invalid value: {replicas}: must be greater than or equal to 0",
                    )
                ],
                "autoscaling",
            )
        rv = scale.get("metadata", {}).get("resourceVersion")
        if rv:
            obj["metadata"]["resourceVersion"] = rv
        obj.setdefault("spec", {})["replicas"] = replicas
        return obj

    updated = api.patch(kind, namespace, name, apply, verb="update scale")
    result.update(scale_of(kind, updated))
    return result
