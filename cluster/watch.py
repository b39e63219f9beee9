"""Change notifications: after each commit, nudge whoever watches the cluster.

A nudge only says "the cluster is now at revision R". Readers (the browser stream and
kubectl watches) then read the watch log from their own last revision, so a lost or
coalesced nudge never loses a change, and a slow reader never makes the log drop frames.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from typing import TypedDict

from cluster import layer_sender

log = logging.getLogger(__name__)
MAX_CALLS = 200  # calls one message carries, for the diagram's pulses


class ClusterChanged(TypedDict):
    type: str  # "cluster.changed": handled by consumers' cluster_changed()
    revision: int
    resync: bool


def group_name(cluster_id: int) -> str:
    return f"cluster-{cluster_id}"


# While a batch is open (a tick), nudges are held and sent once when it closes: watchers
# read the log from their own revision, so one nudge per batch loses nothing.
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


def notify(
    cluster_id: int, revision: int, resync: bool = False, wake: bool = True
) -> None:
    """Tell every watcher of a cluster that it has reached `revision`, and wake its engine
    (the simulated components watch too) unless the write came from its own tick."""
    held = _batch.get()
    if held is not None:
        last, was_resync = held.get(cluster_id, (0, False))
        held[cluster_id] = (max(last, revision), was_resync or resync)
        return
    if wake:
        from cluster.tasks import wake_cluster_soon

        wake_cluster_soon(cluster_id)
    message: ClusterChanged = {
        "type": "cluster.changed",
        "revision": revision,
        "resync": resync,
    }
    # Sent in the background: the write has committed and must not wait on Redis, and
    # a nudge still queued for the cluster takes the newer revision instead.
    try:
        layer_sender.post(group_name(cluster_id), message, _merge_nudges)
    except Exception as exc:  # a broken layer must not fail a committed write
        log.warning("could not notify watchers of cluster %s: %s", cluster_id, exc)


def _merge_nudges(queued: ClusterChanged, new: ClusterChanged) -> ClusterChanged:
    return {
        "type": "cluster.changed",
        "revision": max(queued["revision"], new["revision"]),
        "resync": queued["resync"] or new["resync"],
    }


def publish_calls(cluster_id: int, calls: list[dict]) -> None:
    """The API calls one tick made ({caller, verb, resource, namespace, name, code}),
    for the diagram's pulses along the real paths."""
    try:
        layer_sender.post(
            group_name(cluster_id),
            {"type": "cluster.calls", "calls": calls[-MAX_CALLS:]},
            _merge_calls,
        )
    except Exception as exc:  # animation is best effort; the state itself is in the log
        log.warning("could not publish calls of cluster %s: %s", cluster_id, exc)


def _merge_calls(queued: dict, new: dict) -> dict:
    return {
        "type": "cluster.calls",
        "calls": (queued["calls"] + new["calls"])[-MAX_CALLS:],
    }
