"""The scheduling queue: activeQ, backoffQ and the unschedulable pool, as a JSON-able dict.

A pod that fails waits in the unschedulable pool until a cluster event that could
make it schedulable (a node added, a pod deleted, ...) moves it out, or until it
has waited 5 minutes. Leaving the pool, it goes to activeQ if its backoff
(1 s doubling per attempt, at most 10 s) is over, otherwise to backoffQ.
"""

from __future__ import annotations

import json

from cluster.objects.names import fnv32a
from cluster.scheduler.plugins import priority_sort

ACTIVE, BACKOFF, UNSCHEDULABLE = "active", "backoff", "unschedulable"
POD_INITIAL_BACKOFF_SECONDS = 1.0
POD_MAX_BACKOFF_SECONDS = 10.0
POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION = 300.0

# Cluster events and the plugins whose rejections they may resolve (EventsToRegister).
NODE_ADD, NODE_UPDATE, NODE_DELETE = "NodeAdd", "NodeUpdate", "NodeDelete"
POD_ADD, POD_UPDATE, POD_DELETE = (
    "AssignedPodAdd",
    "AssignedPodUpdate",
    "AssignedPodDelete",
)
PVC_CHANGE, PV_CHANGE, SC_CHANGE = "PvcChange", "PvChange", "StorageClassChange"
INTERESTS = {
    "NodeUnschedulable": {NODE_ADD, NODE_UPDATE},
    "NodeName": {NODE_ADD},
    "TaintToleration": {NODE_ADD, NODE_UPDATE},
    "NodeAffinity": {NODE_ADD, NODE_UPDATE},
    "NodePorts": {NODE_ADD, POD_DELETE},
    "NodeResourcesFit": {NODE_ADD, NODE_UPDATE, POD_DELETE},
    "VolumeRestrictions": {POD_DELETE, PVC_CHANGE},
    "VolumeBinding": {NODE_ADD, NODE_UPDATE, PVC_CHANGE, PV_CHANGE, SC_CHANGE},
    "PodTopologySpread": {
        NODE_ADD,
        NODE_UPDATE,
        NODE_DELETE,
        POD_ADD,
        POD_UPDATE,
        POD_DELETE,
    },
    "InterPodAffinity": {NODE_ADD, NODE_UPDATE, POD_ADD, POD_UPDATE, POD_DELETE},
}
ALL_EVENTS = set().union(*INTERESTS.values())


def backoff_duration(attempts: int) -> float:
    """1 s for the first attempt, doubling per attempt, capped at 10 s."""
    duration = POD_INITIAL_BACKOFF_SECONDS
    for _ in range(1, attempts):
        if duration > POD_MAX_BACKOFF_SECONDS - duration:
            return POD_MAX_BACKOFF_SECONDS
        duration += duration
    return duration


def pod_fingerprint(pod: dict) -> str:
    """A hash of what a user may change on a pending pod (spec, labels, annotations)."""
    meta = pod.get("metadata") or {}
    body = {
        "spec": pod.get("spec"),
        "labels": meta.get("labels"),
        "annotations": meta.get("annotations"),
    }
    return format(fnv32a(json.dumps(body, sort_keys=True).encode()), "08x")


def classify(event: dict) -> str | None:
    """The cluster event a watch event stands for, or None when it moves no pod."""
    obj = event.get("object") or {}
    kind, typ = obj.get("kind"), event.get("type")
    if kind == "Node":
        return {"ADDED": NODE_ADD, "MODIFIED": NODE_UPDATE, "DELETED": NODE_DELETE}.get(
            typ
        )
    if kind == "Pod":
        if not (obj.get("spec") or {}).get("nodeName"):
            return None
        if typ == "DELETED" or (obj.get("status") or {}).get("phase") in (
            "Succeeded",
            "Failed",
        ):
            return POD_DELETE
        return POD_ADD if typ == "ADDED" else POD_UPDATE
    return {
        "PersistentVolumeClaim": PVC_CHANGE,
        "PersistentVolume": PV_CHANGE,
        "StorageClass": SC_CHANGE,
    }.get(kind)


class Queue:
    """The three queues of pending pods, plus the rotating node start index."""

    def __init__(self, pods: dict | None = None, next_start_node_index: int = 0):
        self.pods: dict[str, dict] = pods or {}
        self.next_start_node_index = next_start_node_index

    @classmethod
    def from_state(cls, state: dict | None) -> Queue:
        """Rebuild a queue from its persisted dict."""
        state = state or {}
        return cls(
            {uid: dict(e) for uid, e in (state.get("pods") or {}).items()},
            int(state.get("nextStartNodeIndex") or 0),
        )

    def to_state(self) -> dict:
        """The queue as a JSON-serialisable dict."""
        return {
            "pods": {uid: dict(e) for uid, e in self.pods.items()},
            "nextStartNodeIndex": self.next_start_node_index,
        }

    def sync(
        self, pending: dict[str, dict], priorities: dict[str, int], now: float
    ) -> None:
        """Add new pending pods to activeQ and drop entries for pods no longer pending."""
        for uid in [u for u in self.pods if u not in pending]:
            del self.pods[uid]
        for uid, pod in pending.items():
            entry = self.pods.get(uid)
            if entry is None:
                meta = pod.get("metadata") or {}
                self.pods[uid] = {
                    "key": f"{meta.get('namespace') or 'default'}/{meta.get('name')}",
                    "queue": ACTIVE,
                    "priority": priorities.get(uid, 0),
                    "timestamp": now,
                    "attempts": 0,
                    "backoffExpiry": now,
                    "plugins": [],
                    "fingerprint": pod_fingerprint(pod),
                }
            else:
                entry["priority"] = priorities.get(uid, entry["priority"])

    def _move(self, entry: dict, now: float) -> None:
        entry["queue"] = BACKOFF if now < entry["backoffExpiry"] else ACTIVE

    def observe(self, events: list, now: float) -> None:
        """Move unschedulable pods whose rejecting plugins care about these cluster events."""
        kinds = set()
        for event in events or ():
            obj = event.get("object") or {}
            uid = (obj.get("metadata") or {}).get("uid")
            if obj.get("kind") == "Pod" and uid in self.pods:
                entry = self.pods[uid]
                fp = pod_fingerprint(obj)
                if fp != entry["fingerprint"]:
                    entry["fingerprint"] = fp
                    if entry["queue"] == UNSCHEDULABLE:
                        self._move(entry, now)
                continue
            kind = classify(event)
            if kind:
                kinds.add(kind)
        if not kinds:
            return
        for entry in self.pods.values():
            if entry["queue"] != UNSCHEDULABLE:
                continue
            plugins = entry["plugins"]
            if not plugins or any(kinds & INTERESTS.get(p, set()) for p in plugins):
                self._move(entry, now)

    def flush(self, now: float) -> None:
        """Move finished backoffs to activeQ and pods unschedulable for 5 minutes out of the pool."""
        for entry in self.pods.values():
            if entry["queue"] == BACKOFF and now >= entry["backoffExpiry"]:
                entry["queue"] = ACTIVE
            elif (
                entry["queue"] == UNSCHEDULABLE
                and now - entry["timestamp"] >= POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION
            ):
                self._move(entry, now)

    def pop_ready(self, now: float, limit: int | None = None) -> list[str]:
        """Uids in activeQ, in PrioritySort order, marked as being scheduled."""
        self.flush(now)
        ready = [uid for uid, e in self.pods.items() if e["queue"] == ACTIVE]
        ready.sort(
            key=lambda u: priority_sort.sort_key(
                self.pods[u]["priority"], self.pods[u]["timestamp"], u
            )
        )
        if limit is not None:
            ready = ready[:limit]
        for uid in ready:
            self.pods[uid]["attempts"] += 1
            self.pods[uid]["queue"] = "scheduling"
        return ready

    def done(self, uid: str) -> None:
        """The pod was assumed on a node: it leaves the queue."""
        self.pods.pop(uid, None)

    def failed(
        self, uid: str, now: float, plugins: list[str], error: bool = False
    ) -> None:
        """The attempt failed: back off, then wait in the pool (or retry after backoff on errors)."""
        entry = self.pods.get(uid)
        if entry is None:
            return
        entry["timestamp"] = now
        entry["backoffExpiry"] = now + backoff_duration(entry["attempts"])
        entry["plugins"] = sorted(plugins)
        entry["queue"] = BACKOFF if error else UNSCHEDULABLE

    def next_wake(self, now: float) -> float | None:
        """When the next backoff ends or pool timeout expires (now if a pod is ready), else None."""
        times = []
        for e in self.pods.values():
            if e["queue"] in (ACTIVE, "scheduling"):
                times.append(now)
            elif e["queue"] == BACKOFF:
                times.append(e["backoffExpiry"])
            elif e["queue"] == UNSCHEDULABLE:
                times.append(e["timestamp"] + POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION)
        return min(times) if times else None
