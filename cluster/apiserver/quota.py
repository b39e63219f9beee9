"""Per-cluster quotas, admitted like a ResourceQuota: pods and objects per cluster.

A hosted lab bounds every cluster so one student cannot starve the host. The limits
are settings (`KUBELAB_QUOTA_PODS_PER_CLUSTER`, `KUBELAB_QUOTA_OBJECTS_PER_CLUSTER`);
a create past them is a 403 Forbidden worded as kube-apiserver's quota admission
words it, so kubectl prints `exceeded quota: ...`.
"""

from __future__ import annotations

import functools

from django.conf import settings

from cluster import kinds, store
from cluster.apiserver import errors
from cluster.kinds import Kind

QUOTA_NAME = "kubelab-cluster-quota"
DEFAULT_PODS = 100
DEFAULT_OBJECTS = 2000
# Events come and go by themselves (a TTL); counting them would let a noisy
# controller lock a student out of their own cluster.
UNCOUNTED = ("Event",)


def limits() -> dict[str, int]:
    return {
        "pods": int(getattr(settings, "KUBELAB_QUOTA_PODS_PER_CLUSTER", DEFAULT_PODS)),
        "objects": int(
            getattr(settings, "KUBELAB_QUOTA_OBJECTS_PER_CLUSTER", DEFAULT_OBJECTS)
        ),
    }


@functools.cache
def _counted_buckets() -> tuple[str, ...]:
    return tuple(
        sorted(
            {k.bucket for k in kinds.KINDS if k.stored and k.kind not in UNCOUNTED}
            - {k.bucket for k in kinds.KINDS if k.kind in UNCOUNTED}
        )
    )


def admit_create(cluster_id: int, kind: Kind, obj: dict) -> None:
    """Refuse a create that would take the cluster past its pod or object quota."""
    if kind.kind in UNCOUNTED:
        return
    limit = limits()
    name = (obj.get("metadata") or {}).get("name", "")
    # One query counts both: every counted key, and the pods among them.
    used_objects, used_pods = store.count_keys_by_bucket(
        cluster_id, _counted_buckets(), [kinds.by_kind("Pod").bucket]
    )
    if kind.kind == "Pod" and used_pods >= limit["pods"]:
        raise exceeded(kind, name, "pods", used_pods, limit["pods"])
    if used_objects >= limit["objects"]:
        raise exceeded(kind, name, "count/objects", used_objects, limit["objects"])


def exceeded(kind: Kind, name: str, resource: str, used: int, hard: int):
    return errors.forbidden(
        kind.qualified,
        name,
        f"exceeded quota: {QUOTA_NAME}, requested: {resource}=1, "
        f"used: {resource}={used}, limited: {resource}={hard}",
        kind.group,
        kind.plural,
    )
