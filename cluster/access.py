"""The doorway into a cluster's API server for every outside caller.

kubectl's HTTP API, the REST API, the pages and the engine all build their `ApiServer`
here, so each one sees the same clock, the same control-plane state and the same rules
about who may touch which cluster.
"""

from __future__ import annotations

import random
import time

from django.conf import settings
from django.utils.module_loading import import_string

from cluster.apiserver.core import ApiServer, Caller
from cluster.apiserver.plane import PlaneState, plane_state
from cluster.models import Cluster, Component, Machine
from cluster.simtime import clock_now


def sim_now(cluster: Cluster, wall_now: float | None = None) -> float:
    """The cluster's clock now (simulated seconds since the epoch)."""
    wall = time.time() if wall_now is None else wall_now
    return clock_now(cluster.sim_anchor, cluster.wall_anchor, cluster.speed, wall)


def control_plane(cluster: Cluster) -> PlaneState:
    rows = Component.objects.filter(
        machine__cluster=cluster, machine__role=Machine.CONTROL_PLANE
    ).values_list("kind", "state", "machine__powered")
    return plane_state(list(rows))


def can_read(user, cluster: Cluster) -> bool:
    return user.is_authenticated and (
        cluster.owner_id == user.pk or is_instructor_of(user, cluster)
    )


def can_write(user, cluster: Cluster) -> bool:
    return user.is_authenticated and cluster.owner_id == user.pk


def is_instructor_of(user, cluster: Cluster) -> bool:
    """Instructors see their class's clusters read-only (the course app decides who).

    The check is the callable named by the KUBELAB_INSTRUCTOR_CHECK setting, so the
    simulation never imports the web product that knows about classes.
    """
    if user.is_superuser:
        return True
    path = getattr(settings, "KUBELAB_INSTRUCTOR_CHECK", "")
    return bool(path) and bool(import_string(path)(user, cluster))


def api_for(cluster: Cluster, user=None, caller_name: str = "kubectl") -> ApiServer:
    """An ApiServer acting for `user` (None: the system) on `cluster`, at its clock now."""
    if user is None:
        caller = Caller(caller_name, groups=("system:masters",))
    else:
        caller = Caller(
            caller_name,
            user_id=user.pk,
            read_only=not can_write(user, cluster),
            username=user.get_username(),
        )
    return ApiServer(
        cluster_id=cluster.pk,
        caller=caller,
        now=sim_now(cluster),
        rng=random.Random(),
        plane=control_plane(cluster),
    )
