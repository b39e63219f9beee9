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
from cluster.apiserver import admission, errors
from cluster.kinds import Kind

QUOTA_NAME = "kubelab-cluster-quota"
DEFAULT_PODS = 100
DEFAULT_OBJECTS = 2000
# Events come and go by themselves (a TTL); counting them would let a noisy
# controller lock a student out of their own cluster.
UNCOUNTED = ("Event",)
QUOTA_WRITE_ATTEMPTS = 5


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


def admit_create(
    cluster_id: int,
    kind: Kind,
    obj: dict,
    dry_run: bool = False,
    quotas: list[dict] | None = None,
) -> None:
    """Refuse a create that would take the cluster past its pod or object quota, or
    its namespace past a ResourceQuota (`quotas`, when already listed); charge those
    quotas unless a dry run."""
    if kind.kind in UNCOUNTED:
        return
    _admit_cluster_quota(cluster_id, kind, obj)
    if kind.namespaced:
        charge_namespace_quotas(cluster_id, kind, obj, dry_run, quotas)


def charge_namespace_quotas(
    cluster_id: int,
    kind: Kind,
    obj: dict,
    dry_run: bool = False,
    quotas: list[dict] | None = None,
) -> None:
    """ResourceQuota admission: check the namespace's quotas and add the new object
    to their status.used (compare-and-swap, again on a conflict), as kube-apiserver
    does before it stores the object, so a burst of creates cannot overshoot."""
    rq_kind = kinds.by_kind("ResourceQuota")
    namespace = obj["metadata"]["namespace"]
    for _attempt in range(QUOTA_WRITE_ATTEMPTS):
        if quotas is None:
            quotas = store.list_objects(cluster_id, rq_kind, namespace).items or []
        charged = admission.charge_resource_quotas(kind, obj, quotas)
        if dry_run or not charged:
            return
        try:
            for rq in charged:
                revision = int(rq["metadata"]["resourceVersion"])
                store.update(cluster_id, rq_kind, rq, revision)
            return
        except errors.ApiError as exc:
            if exc.reason != "Conflict":
                raise
            quotas = None  # another create charged them first: read them again
    raise errors.conflict(
        rq_kind.qualified, "", "the quota usage changed too often; try again"
    )


def _admit_cluster_quota(cluster_id: int, kind: Kind, obj: dict) -> None:
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
