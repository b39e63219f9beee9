"""The doorway into a cluster's API server for every outside caller.

kubectl's HTTP API, the REST API, the pages and the engine all build their `ApiServer`
here, so each one sees the same clock, the same control-plane state and the same rules
about who may touch which cluster.
"""

from __future__ import annotations

import functools
import random
import time

from django.conf import settings
from django.db import connection
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
    # Raw SQL: every API request asks, and building this join with the ORM costs
    # ten times running it.
    with connection.cursor() as cursor:
        cursor.execute(_control_plane_sql(), [cluster.pk, Machine.CONTROL_PLANE])
        return plane_state(cursor.fetchall())


@functools.cache
def _control_plane_sql() -> str:
    qn = connection.ops.quote_name
    components, machines = qn(Component._meta.db_table), qn(Machine._meta.db_table)
    return (
        f"SELECT {components}.{qn('kind')}, {components}.{qn('state')}, "
        f"{machines}.{qn('powered')} FROM {components} INNER JOIN {machines} "
        f"ON {components}.{qn('machine_id')} = {machines}.{qn('id')} "
        f"WHERE {machines}.{qn('cluster_id')} = %s AND {machines}.{qn('role')} = %s"
    )


NOT_THE_OWNER = "this cluster is read-only for you"


def can_read(user, cluster: Cluster) -> bool:
    return user.is_authenticated and (
        cluster.owner_id == user.pk or is_instructor_of(user, cluster)
    )


def can_write(user, cluster: Cluster) -> bool:
    return not read_only_reason(user, cluster)


def read_only_reason(user, cluster: Cluster) -> str:
    """Why `user` may not change `cluster`, or "" when they may."""
    if not user.is_authenticated or cluster.owner_id != user.pk:
        return NOT_THE_OWNER
    return frozen_reason(user)


def frozen_reason(owner) -> str:
    """Why every cluster `owner` has is read-only now, or "" (the usual case).

    The course app decides (a class that has ended), through the callable named by
    the KUBELAB_READ_ONLY_CHECK setting, so the simulation never imports it.
    """
    path = getattr(settings, "KUBELAB_READ_ONLY_CHECK", "")
    return str(import_string(path)(owner) or "") if path else ""


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
        owner = user.is_authenticated and cluster.owner_id == user.pk
        caller = Caller(
            caller_name,
            user_id=user.pk,
            read_only=not owner,
            username=user.get_username(),
            read_only_reason=NOT_THE_OWNER,
            write_check=functools.partial(frozen_reason, user) if owner else None,
        )
    return ApiServer(
        cluster_id=cluster.pk,
        caller=caller,
        now=sim_now(cluster),
        rng=random.Random(),
        plane=control_plane(cluster),
    )
