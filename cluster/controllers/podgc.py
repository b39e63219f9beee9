"""Pod garbage collector (`pod-garbage-collector`): pods bound to a node that is gone.

No kubelet will ever stop such a pod or confirm its deletion, so once the node has
been missing for the quarantine time the collector marks the pod Failed with a
DisruptionTarget condition and force-deletes it; its owner then replaces it. The
collector checks every 20 s. When it first saw each node missing is the one thing
it remembers between runs (`remembered`).
"""

from __future__ import annotations

import random

from cluster.actions import Action, Delete, Patch
from cluster.controllers.meta import objects, ref_of
from cluster.controllers.node_lifecycle import observing_since
from cluster.objects import pods as podutil

COMPONENT = "pod-garbage-collector"
GC_CHECK_PERIOD = 20.0
# gc_controller.go quarantineTime: how long a node must stay gone.
QUARANTINE = 40.0
REASON_DELETION_BY_POD_GC = "DeletionByPodGC"
MESSAGE_NODE_GONE = "PodGC: node no longer exists"


def sync(view: dict, now: float, rng: random.Random) -> list[Action]:
    """Everything is done in `remembered`, which knows how long a node is gone."""
    return []


def next_wake(view: dict, now: float, memory: dict | None = None) -> float | None:
    """The next check while some pod is bound to a missing node."""
    return now + GC_CHECK_PERIOD if orphans(view) else None


def orphans(view: dict) -> list[dict]:
    """The pods bound to a node with no Node object."""
    nodes = {podutil.name(n) for n in objects(view, "Node")}
    return [
        p
        for p in objects(view, "Pod")
        if (p.get("spec") or {}).get("nodeName") and p["spec"]["nodeName"] not in nodes
    ]


def remembered(
    view: dict, memory: dict | None, now: float
) -> tuple[list[Action], dict]:
    """gcOrphaned: mark Failed and force-delete each pod whose node has been gone
    for the quarantine time; remember when each missing node was first seen gone."""
    found = orphans(view)
    since = observing_since(view)
    # A new process (a restart, another leader) starts every quarantine afresh.
    fresh = (memory or {}).get("since") != since
    seen = {} if fresh else (memory or {}).get("missing_since") or {}
    missing_since = {
        node: seen.get(node, now) for node in {p["spec"]["nodeName"] for p in found}
    }
    actions: list[Action] = []
    for pod in sorted(
        found, key=lambda p: (podutil.namespace(p) or "", podutil.name(p))
    ):
        if now >= missing_since[pod["spec"]["nodeName"]] + QUARANTINE:
            actions += mark_failed_and_delete(pod, now)
    return actions, {"since": since, "missing_since": missing_since}


def mark_failed_and_delete(pod: dict, now: float) -> list[Action]:
    """markFailedAndDeletePodWithCondition: phase Failed and DisruptionTarget (no
    kubelet will ever say so), then a delete with grace 0."""
    ref = ref_of(pod, "Pod")
    actions: list[Action] = []
    if podutil.phase(pod) not in (podutil.SUCCEEDED, podutil.FAILED):
        conditions = podutil.with_disruption_target(
            pod, REASON_DELETION_BY_POD_GC, MESSAGE_NODE_GONE, now
        )
        status = {"phase": "Failed", "conditions": conditions}
        actions.append(Patch(ref, {"status": status}, "status"))
    actions.append(Delete(ref, grace_period_seconds=0, uid=podutil.uid(pod)))
    return actions
