"""Celery tasks: the only place the cluster package meets Celery.

A write wakes its cluster (`wake_cluster`, at most one queued tick per cluster); beat
runs `wake_due_clusters` to wake clusters whose next timer has come due.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time

import redis
from celery import shared_task
from django.conf import settings
from django.db.models import F, Value
from django.db.models.functions import Greatest

from cluster import idle, layer_sender
from cluster.models import Cluster

log = logging.getLogger(__name__)
QUEUED_TTL = 10  # seconds a "tick queued" mark lives, in case its task is lost


@functools.lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    # One pooled client per URL, reused by every write (redis-py's pool is thread-safe
    # and starts afresh in a forked child).
    return redis.Redis.from_url(url, socket_timeout=2)


def _redis() -> redis.Redis:
    return _client(settings.REDIS_URL)


def wake_cluster(cluster_id: int) -> None:
    """Queue a tick unless one is already queued or this write came from a tick."""
    if _in_own_tick(cluster_id):
        return
    _queue_tick(cluster_id)


def wake_cluster_soon(cluster_id: int) -> None:
    """`wake_cluster` off the caller's path: the Redis round trip runs on the sender
    thread, once for every write of a cluster that came while it waited."""
    if _in_own_tick(cluster_id):
        return
    layer_sender.call(f"wake:{cluster_id}", functools.partial(_queue_tick, cluster_id))


def _in_own_tick(cluster_id: int) -> bool:
    from cluster.engine.tick import in_tick

    return in_tick.get() == cluster_id


def _queue_tick(cluster_id: int) -> None:
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
    """Clusters whose clock (anchor + elapsed × speed) has reached their next timer.

    Idle clusters are left out: they are paused until someone opens them (`idle`).
    """
    wall = time.time() if wall is None else wall
    sim_now = F("sim_anchor") + (Value(wall) - F("wall_anchor")) * F("speed")
    return list(
        Cluster.objects.filter(idle.awake(wall), next_timer__isnull=False, speed__gt=0)
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
