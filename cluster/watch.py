"""Change notifications: after each commit, tell whoever watches the cluster.

A notification says "the cluster is now at revision R". A write's own notification
also carries what it changed, as revision ranges with the diagram's form of each
change (`carried`), so a browser stream that has every revision before a range
forwards it as it is. Any reader that lacks a revision in between (another process
wrote it, a notification was lost or carried nothing) reads the watch log from its own
revision instead, so a lost, merged or empty notification never loses a change.

Notifications go out over Redis pub/sub on a channel per cluster (`feed_channel`);
`cluster.change_feed` receives them, once per process.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import logging
from typing import TypedDict

from django.conf import settings

from cluster import layer_sender
from cluster.diagram_changes import DIAGRAM_BUCKETS, change_text

log = logging.getLogger(__name__)
MAX_CALLS = 200  # calls one message carries, for the diagram's pulses
# A notification carries at most this much change text; past it, readers read the log
# (which splits what it reads into frames the browser accepts).
CARRY_BYTES = 256 * 1024
# Message kinds on a cluster's channel.
CHANGED = "changed"
CALLS = "calls"

# [from, to, text]: every revision in (from, to] and, comma-separated, the diagram's
# changes among them ("" when none of them is drawn).
Segment = list


class ClusterChanged(TypedDict):
    revision: int
    resync: bool  # etcd was restored: readers must list again
    carried: list[Segment] | None  # None: read the log


def feed_channel(cluster_id: int) -> str:
    """The pub/sub channel of a cluster's notifications.

    Pub/sub channels are shared by every database of a Redis server, and cluster ids
    repeat between databases (test runs, two labs on one Redis), so the name carries
    the database it belongs to."""
    database = settings.DATABASES["default"]
    tag = _database_tag(str(database["NAME"]), str(database.get("HOST")))
    return f"kubelab:{tag}:cluster:{cluster_id}"


@functools.lru_cache(maxsize=8)
def _database_tag(name: str, host: str) -> str:
    return hashlib.sha1(f"{host}|{name}".encode()).hexdigest()[:12]


# While a batch is open (a tick), notifications are held and sent once, carrying
# nothing, when it closes: a tick also moves what the log does not hold (components,
# leadership), which only a read picks up.
_batch: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "batch", default=None
)


@contextlib.contextmanager
def batched():
    held: dict[int, tuple[int, bool]] = {}
    token = _batch.set(held)
    try:
        yield
    finally:
        _batch.reset(token)
        for cluster_id, (revision, resync) in held.items():
            notify(cluster_id, revision, resync, wake=False)


def logged(
    cluster_id: int, revision: int, type_: str, key: tuple[str, str, str], body: str
) -> None:
    """After a logged write committed: notify, carrying the change (from `store`)."""
    if _batch.get() is not None:
        notify(cluster_id, revision)
        return
    bucket, namespace, name = key
    text = ""
    if bucket in DIAGRAM_BUCKETS:
        text = change_text(type_, bucket, namespace, name, body)
    carried = [[revision - 1, revision, text]] if len(text) <= CARRY_BYTES else None
    _send(cluster_id, {"revision": revision, "resync": False, "carried": carried}, True)


def notify(
    cluster_id: int, revision: int, resync: bool = False, wake: bool = True
) -> None:
    """Tell every watcher of a cluster that it has reached `revision` (they read the log
    for what changed), and wake its engine (the simulated components watch too) unless
    the write came from its own tick."""
    held = _batch.get()
    if held is not None:
        last, was_resync = held.get(cluster_id, (0, False))
        held[cluster_id] = (max(last, revision), was_resync or resync)
        return
    _send(cluster_id, {"revision": revision, "resync": resync, "carried": None}, wake)


def _send(cluster_id: int, message: ClusterChanged, wake: bool) -> None:
    if wake:
        from cluster.tasks import wake_cluster_soon

        wake_cluster_soon(cluster_id)
    # Sent in the background: the write has committed and must not wait on Redis, and
    # a notification still queued for the cluster takes this one in.
    try:
        layer_sender.publish(feed_channel(cluster_id), CHANGED, message, merge_changed)
    except Exception as exc:  # a broken Redis must not fail a committed write
        log.warning("could not notify watchers of cluster %s: %s", cluster_id, exc)


def merge_changed(queued: ClusterChanged, new: ClusterChanged) -> ClusterChanged:
    """One notification saying what both say; it carries changes only if both did."""
    carried = None
    if queued["carried"] is not None and new["carried"] is not None:
        carried = _join(queued["carried"], new["carried"])
    return {
        "revision": max(queued["revision"], new["revision"]),
        "resync": queued["resync"] or new["resync"],
        "carried": carried,
    }


def _join(first: list[Segment], then: list[Segment]) -> list[Segment] | None:
    """Segments in revision order, neighbours made one; None past CARRY_BYTES."""
    joined: list[Segment] = []
    for start, end, text in sorted(first + then, key=lambda s: s[0]):
        last = joined[-1] if joined else None
        if last is not None and last[1] == start:
            last[1] = end
            last[2] = f"{last[2]},{text}" if last[2] and text else last[2] or text
        else:
            joined.append([start, end, text])
    if sum(len(s[2]) for s in joined) > CARRY_BYTES:
        return None
    return joined


def publish_calls(cluster_id: int, calls: list[dict]) -> None:
    """The API calls a tick or a request made ({caller, verb, resource, namespace,
    name, code}), for the diagram's pulses along the real paths. The message is the
    browser's frame as it is."""
    try:
        layer_sender.publish(
            feed_channel(cluster_id),
            CALLS,
            {"t": "calls", "calls": calls[-MAX_CALLS:]},
            _merge_calls,
        )
    except Exception as exc:  # animation is best effort; the state itself is in the log
        log.warning("could not publish calls of cluster %s: %s", cluster_id, exc)


def _merge_calls(queued: dict, new: dict) -> dict:
    return {"t": "calls", "calls": (queued["calls"] + new["calls"])[-MAX_CALLS:]}
