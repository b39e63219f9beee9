"""Quiet runs carried from one tick of a cluster to its next, within one worker process.

An informer-driven controller does nothing until an informer delivers an event or its
own requeue comes due. The engine does the same across ticks: a controller (or a
kube-proxy) whose last run asked for nothing is not run at the next tick while none of
the kinds it read has been written since, as the watch log tells, and its next wake-up
has not come. Only runs that report their timers (a `next_wake`) and read nothing but
watched kinds are carried. What is kept lives in this process only: a tick on another
worker finds nothing here and runs everything, which is always correct.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_CLUSTERS = 5000  # entries kept per process; the oldest go first


@dataclass(frozen=True)
class Run:
    kinds_read: frozenset[str]
    wake: float | None


@dataclass
class _Carried:
    cluster_created: object  # tells a cluster from a later one that reuses its id
    revision: int  # the view's revision when the tick that left these ended
    runs: dict  # run key -> Run


_LAST: dict[int, _Carried] = {}


def remember(cluster, revision: int, runs: dict) -> None:
    """What a tick leaves for the next one: its quiet runs, as of `revision`."""
    _LAST.pop(cluster.pk, None)
    if len(_LAST) >= MAX_CLUSTERS:
        _LAST.pop(next(iter(_LAST)))
    _LAST[cluster.pk] = _Carried(cluster.created, revision, runs)


def recall(cluster, changed_since) -> dict:
    """The runs the last tick left that nothing has invalidated since.

    `changed_since(revision)` gives the kinds written after `revision`, or None when the
    watch log no longer reaches back that far (then nothing is carried)."""
    carried = _LAST.get(cluster.pk)
    if carried is None or carried.cluster_created != cluster.created:
        return {}
    changed = changed_since(carried.revision)
    if changed is None:
        return {}
    return {
        key: run for key, run in carried.runs.items() if not (run.kinds_read & changed)
    }


def forget(cluster_id: int) -> None:
    _LAST.pop(cluster_id, None)
