"""Idle clusters are paused: they cost no ticks until someone opens them again.

A cluster is idle when nobody has used it (a kubectl or REST call, its page, its
stream) for KUBELAB_IDLE_PAUSE_HOURS; beat's wake-up skips idle clusters. Their clock
stops at the moment they went idle: opening one moves its clock anchors so time
resumes from there, and no grace period or toleration runs out over the night.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from cluster.models import Cluster
from cluster.simtime import clock_now

# Use is recorded at most once a minute per cluster, so a burst of calls costs one write.
TOUCH_EVERY = dt.timedelta(seconds=60)


def idle_after() -> dt.timedelta | None:
    """How long without use pauses a cluster; None when clusters never pause."""
    hours = float(getattr(settings, "KUBELAB_IDLE_PAUSE_HOURS", 0) or 0)
    return dt.timedelta(hours=hours) if hours > 0 else None


def awake(wall: float) -> Q:
    """The clusters used recently enough to keep ticking at wall time `wall`."""
    after = idle_after()
    if after is None:
        return Q()
    return Q(last_active__gte=dt.datetime.fromtimestamp(wall, dt.UTC) - after)


def is_idle(cluster: Cluster, now: dt.datetime | None = None) -> bool:
    after = idle_after()
    now = now or timezone.now()
    return after is not None and cluster.last_active + after < now


def touch(cluster: Cluster, now: dt.datetime | None = None) -> None:
    """Record that someone uses `cluster`; an idle one resumes where its clock stopped.

    `cluster` is updated in place, so the caller's clock reads are right at once.
    """
    now = now or timezone.now()
    last = cluster.last_active
    if last is not None and now - last < TOUCH_EVERY:
        return
    fields: dict = {"last_active": now}
    if last is not None and is_idle(cluster, now):
        paused_at = (last + idle_after()).timestamp()
        fields["sim_anchor"] = clock_now(
            cluster.sim_anchor, cluster.wall_anchor, cluster.speed, paused_at
        )
        fields["wall_anchor"] = now.timestamp()
    # Compare-and-swap on the last use: of two concurrent openers, one moves the clock.
    if Cluster.objects.filter(pk=cluster.pk, last_active=last).update(**fields):
        for name, value in fields.items():
            setattr(cluster, name, value)
        return
    with contextlib.suppress(Cluster.DoesNotExist):  # deleted meanwhile: nothing to do
        cluster.refresh_from_db(fields=["last_active", "sim_anchor", "wall_anchor"])
