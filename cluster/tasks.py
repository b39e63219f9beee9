"""Celery tasks: the only place the cluster package meets Celery.

A write wakes its cluster (`wake_cluster`, at most one queued tick per cluster); beat
runs `wake_due_clusters` to wake clusters whose next timer has come due.
"""

from __future__ import annotations

import contextlib
import logging
import time

import redis
from celery import shared_task
from django.conf import settings
from django.db.models import F, Value
from django.db.models.functions import Greatest

from cluster.models import Cluster

log = logging.getLogger(__name__)
QUEUED_TTL = 10  # seconds a "tick queued" mark lives, in case its task is lost


def _redis():
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)


def wake_cluster(cluster_id: int) -> None:
    """Queue a tick unless one is already queued or this write came from a tick."""
    from cluster.engine.tick import in_tick

    if in_tick.get() == cluster_id:
        return
    try:
        if not _redis().set(
            f"kubelab:tick-queued:{cluster_id}", 1, nx=True, ex=QUEUED_TTL
        ):
            return
        tick_cluster.delay(cluster_id)
    except (redis.RedisError, OSError):
        # The write has committed; beat and the next write will wake the cluster.
        log.warning("could not queue a tick for cluster %s", cluster_id)


@shared_task(ignore_result=True)
def tick_cluster(cluster_id: int) -> None:
    from cluster.engine.tick import tick

    with contextlib.suppress(redis.RedisError, OSError):
        _redis().delete(f"kubelab:tick-queued:{cluster_id}")
    if not Cluster.objects.filter(pk=cluster_id).exists():
        return
    report = tick(cluster_id)
    if report is None:  # another worker is ticking it; make sure changes are not missed
        tick_cluster.apply_async((cluster_id,), countdown=0.5)


def due_clusters(wall: float | None = None) -> list[int]:
    """Clusters whose clock (anchor + elapsed × speed) has reached their next timer."""
    wall = time.time() if wall is None else wall
    sim_now = F("sim_anchor") + (Value(wall) - F("wall_anchor")) * F("speed")
    return list(
        Cluster.objects.filter(next_timer__isnull=False, speed__gt=0)
        .alias(now=Greatest(sim_now, F("sim_anchor")))
        .filter(now__gte=F("next_timer"))
        .values_list("pk", flat=True)
    )


@shared_task(ignore_result=True)
def wake_due_clusters() -> int:
    due = due_clusters()
    for cluster_id in due:
        wake_cluster(cluster_id)
    return len(due)
