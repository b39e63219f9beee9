"""Object validation with Kubernetes' rules and messages: `validate(obj, old) -> causes`.

Runs after defaulting and mutating admission. An empty list means valid; otherwise
the shell raises `errors.invalid(kind, name, causes, group)`.
"""

from __future__ import annotations

from cluster import kinds
from cluster.apiserver.errors import Cause
from cluster.apiserver.validation import (
    meta,
    other,
    pods,
    services,
    storage,
    workloads,
)

_VALIDATORS = {
    ("", "Pod"): None,  # create and update differ; see below
    ("", "Service"): services.validate_service,
    ("", "Namespace"): other.validate_namespace,
    ("", "ConfigMap"): other.validate_configmap,
    ("", "Secret"): other.validate_secret,
    ("", "Node"): other.validate_node,
    ("", "PersistentVolume"): storage.validate_pv,
    ("", "PersistentVolumeClaim"): storage.validate_pvc,
    ("apps", "Deployment"): workloads.validate_deployment,
    ("apps", "ReplicaSet"): workloads.validate_replicaset,
    ("apps", "StatefulSet"): workloads.validate_statefulset,
    ("apps", "DaemonSet"): workloads.validate_daemonset,
    ("batch", "Job"): workloads.validate_job,
    ("batch", "CronJob"): workloads.validate_cronjob,
    ("networking.k8s.io", "Ingress"): services.validate_ingress,
    ("storage.k8s.io", "StorageClass"): storage.validate_storage_class,
    ("autoscaling", "HorizontalPodAutoscaler"): other.validate_hpa,
    ("coordination.k8s.io", "Lease"): other.validate_lease,
    ("scheduling.k8s.io", "PriorityClass"): other.validate_priority_class,
}
# Kinds whose names need only fit in a URL path segment (ValidateRBACName).
_PATH_SEGMENT_NAMES = {
    ("rbac.authorization.k8s.io", kind)
    for kind in ("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")
}


def validate(obj: dict, old: dict | None = None) -> list[Cause]:
    """Every field error of a create (`old` is None) or an update, in Kubernetes' order."""
    try:
        kind = kinds.by_kind(obj.get("kind", ""), obj.get("apiVersion"))
    except kinds.UnknownKind:
        return []
    key = (kind.group, kind.kind)
    if key == ("", "Pod"):
        return pods.validate_pod_update(obj, old) if old else pods.validate_pod(obj)
    validator = _VALIDATORS.get(key)
    if validator is None:
        if key in _PATH_SEGMENT_NAMES:
            return other.validate_generic(
                obj, old, kind.namespaced, meta.PATH_SEGMENT_NAME
            )
        return other.validate_generic(obj, old, kind.namespaced)
    return validator(obj, old)
