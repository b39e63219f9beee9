"""Limits on what one student may create: clusters per student, machines per cluster.

Pods and objects per cluster are admitted inside the API server
(`cluster.apiserver.quota`), because kubectl creates them without passing here.
"""

from __future__ import annotations

from django.conf import settings

from cluster.models import Cluster, Machine

DEFAULT_CLUSTERS = 5
DEFAULT_MACHINES = 10


class QuotaExceeded(Exception):
    """A request past a quota; the message says which and how far."""


def clusters_per_student() -> int:
    return int(
        getattr(settings, "KUBELAB_QUOTA_CLUSTERS_PER_STUDENT", DEFAULT_CLUSTERS)
    )


def machines_per_cluster() -> int:
    return int(
        getattr(settings, "KUBELAB_QUOTA_MACHINES_PER_CLUSTER", DEFAULT_MACHINES)
    )


def check_new_cluster(user) -> None:
    used, hard = Cluster.objects.filter(owner=user).count(), clusters_per_student()
    if used >= hard and not user.is_superuser:
        raise QuotaExceeded(
            f"exceeded quota: clusters per student, used: {used}, limited: {hard}. "
            "Delete a cluster you no longer need."
        )


def check_new_machines(cluster: Cluster, adding: int = 1) -> None:
    used, hard = Machine.objects.filter(cluster=cluster).count(), machines_per_cluster()
    if used + adding > hard:
        raise QuotaExceeded(
            f"exceeded quota: machines per cluster, used: {used}, limited: {hard}"
        )
