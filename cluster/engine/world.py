"""What the components observe: the cluster's objects by kind, read through the API server,
plus the machines as the cloud sees them."""

from __future__ import annotations

from cluster import kinds

# The kinds the simulated components watch (their informers).
WATCHED = (
    "Namespace",
    "Node",
    "Pod",
    "Service",
    "Endpoints",
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "ResourceQuota",
    "ReplicaSet",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ControllerRevision",
    "Job",
    "CronJob",
    "EndpointSlice",
    "Lease",
    "StorageClass",
    "PriorityClass",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "Ingress",
)


def _kind(name: str):
    try:
        return kinds.by_kind(name)
    except kinds.UnknownKind:
        return None


WATCHED_KINDS = {name: k for name in WATCHED if (k := _kind(name)) is not None}


def load_view(api) -> dict[str, list[dict]]:
    view = api.list_many(list(WATCHED_KINDS.values()))
    for name, items in view.items():
        version = WATCHED_KINDS[name].api_version
        for obj in items:
            obj.setdefault("kind", name)
            obj.setdefault("apiVersion", version)
    return view


def machine_dict(machine) -> dict:
    """A machine as the kubelet and the cloud see it (addresses follow its index)."""
    return {
        "name": machine.name,
        "role": machine.role,
        "cpu": machine.cpu,
        "memory": machine.memory,
        "arch": machine.arch,
        "powered": machine.powered,
        "internal_ip": f"172.18.0.{machine.index + 2}",
        "pod_cidr": f"10.244.{machine.index}.0/24",
        "zone": "kubelab-zone-a",
        "region": "kubelab-region",
        "instanceType": f"lab.{machine.cpu}cpu-{machine.memory}",
    }


def kubelet_objects(view: dict) -> dict[str, dict]:
    """ConfigMap and Secret data by `configmap/<ns>/<name>`, for mounts and env."""
    out = {}
    for kind, prefix in (("ConfigMap", "configmap"), ("Secret", "secret")):
        for obj in view.get(kind) or []:
            meta = obj["metadata"]
            data = {**(obj.get("data") or {}), **(obj.get("binaryData") or {})}
            out[f"{prefix}/{meta.get('namespace')}/{meta['name']}"] = data
    return out
