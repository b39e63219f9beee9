"""The diagram's view of a cluster: a snapshot at revision R, then change frames after R.

Objects are read through the API server (a system caller named "web"), so the browser
sees exactly what a client of the cluster sees. Machines, components and the clock are
not etcd objects; each frame carries them when they changed since the last frame.
Every frame states the revision it starts from and the one it reaches, so a client
that misses a frame notices the gap and asks for a fresh snapshot.
"""

from __future__ import annotations

import json
import time
from typing import TypedDict

from cluster import kinds
from cluster.access import api_for, sim_now
from cluster.apiserver.errors import ApiError
from cluster.models import Cluster, Machine

# What the diagram draws. Leases and endpoint slices change every few seconds and
# draw nothing, so they are not streamed.
DIAGRAM_KINDS = tuple(
    kinds.by_kind(name)
    for name in (
        "Node",
        "Pod",
        "Service",
        "Endpoints",
        "Ingress",
        "Deployment",
        "ReplicaSet",
        "DaemonSet",
        "StatefulSet",
        "PersistentVolumeClaim",
        "PersistentVolume",
        "Event",
    )
)
DIAGRAM_BUCKETS = tuple(sorted({k.bucket for k in DIAGRAM_KINDS}))
# The timeline shows recent history; older events stay available through the API.
SNAPSHOT_EVENTS = 200
# One frame carries at most this many changes; the rest follow in the next frame.
FRAME_EVENTS = 2000
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


class Change(TypedDict):
    type: str  # ADDED | MODIFIED | DELETED
    key: str  # "<bucket>/<namespace>/<name>"
    obj: dict


def object_key(bucket: str, namespace: str, name: str) -> str:
    return f"{bucket}/{namespace or ''}/{name}"


def slim(obj: dict) -> dict:
    """The object without the bookkeeping the diagram never shows (managed fields)."""
    meta = obj.get("metadata") or {}
    meta.pop("managedFields", None)
    annotations = meta.get("annotations")
    if annotations and LAST_APPLIED in annotations:
        annotations.pop(LAST_APPLIED)
    return obj


def machines_state(cluster_id: int) -> list[dict]:
    """Every machine with its components, in the diagram's order."""
    machines = Machine.objects.filter(cluster_id=cluster_id).prefetch_related(
        "components"
    )
    return [
        {
            "name": m.name,
            "role": m.role,
            "powered": m.powered,
            "cpu": m.cpu,
            "memory": m.memory,
            "components": [
                {"kind": c.kind, "state": c.state, "leader": c.leader}
                for c in sorted(m.components.all(), key=lambda c: c.kind)
            ],
        }
        for m in machines
    ]


def clock_state(cluster: Cluster) -> dict:
    """The clock as the browser extrapolates it: sim time at a wall instant, and speed."""
    wall = time.time()
    return {"now": sim_now(cluster, wall), "wall": wall, "speed": cluster.speed}


class LiveStream:
    """One browser's position in one cluster's history, and the frames that move it."""

    def __init__(self, cluster_id: int):
        self.cluster_id = cluster_id
        self.revision: int | None = None  # None until a snapshot succeeded
        self._machines_json = ""
        self._clock: tuple | None = None

    def _cluster(self) -> Cluster:
        return Cluster.objects.get(pk=self.cluster_id)

    def _api(self, cluster: Cluster):
        return api_for(cluster, None, caller_name="web")

    def _plane_fields(self, cluster: Cluster, force: bool) -> dict:
        """Machines and clock, when they changed since the last frame (or `force`)."""
        out: dict = {}
        machines = machines_state(self.cluster_id)
        encoded = json.dumps(machines, sort_keys=True)
        if force or encoded != self._machines_json:
            out["machines"] = machines
            self._machines_json = encoded
        anchors = (cluster.sim_anchor, cluster.wall_anchor, cluster.speed)
        if force or anchors != self._clock:
            out["clock"] = clock_state(cluster)
            self._clock = anchors
        return out

    def snapshot(self) -> dict:
        """Everything the diagram draws, at one revision."""
        cluster = self._cluster()
        frame: dict = {"t": "snapshot", "cluster": cluster.slug}
        frame.update(self._plane_fields(cluster, force=True))
        api = self._api(cluster)
        try:
            objects: dict[str, dict] = {}
            revision = None
            for kind in DIAGRAM_KINDS:
                result = api.list(kind)
                revision = result.revision if revision is None else revision
                for obj in result.items or []:
                    meta = obj["metadata"]
                    key = object_key(kind.bucket, meta.get("namespace"), meta["name"])
                    objects[key] = slim(obj)
            # Lists are read one after another; replaying the log from the first
            # one's revision brings every key to the same, latest revision.
            for event in api.events_since(revision, DIAGRAM_BUCKETS):
                key = object_key(event.bucket, event.namespace, event.name)
                if event.type == "DELETED":
                    objects.pop(key, None)
                else:
                    objects[key] = slim(event.object())
                revision = event.revision
        except ApiError as exc:
            # The control plane is down: draw the machines, say why objects are missing.
            self.revision = None
            frame.update(rev=None, objects=None, unavailable=exc.message)
            return frame
        self.revision = revision
        frame.update(rev=revision, objects=_trim_events(objects))
        return frame

    def resume(self, since: int) -> dict:
        """The changes after `since` as one frame, or a snapshot when they are gone."""
        self.revision = since
        frame = self.next_frame(force_plane=True)
        return frame or self.snapshot()

    def next_frame(self, force_plane: bool = False) -> dict | None:
        """The changes since the last frame, or None when nothing the diagram draws moved."""
        if self.revision is None:
            return self.snapshot()
        cluster = self._cluster()
        start = self.revision
        try:
            events = self._api(cluster).events_since(start, DIAGRAM_BUCKETS)
        except ApiError as exc:
            if exc.code == 410:
                return self.snapshot()
            # Nothing can be written while the plane is down, so nothing is missed.
            events = []
        more = len(events) > FRAME_EVENTS
        events = events[:FRAME_EVENTS]
        frame: dict = {"t": "changes", "from": start}
        frame.update(self._plane_fields(cluster, force=force_plane))
        if not events and len(frame) == 2 and not force_plane:
            return None
        changes: list[Change] = []
        for event in events:
            changes.append(
                {
                    "type": event.type,
                    "key": object_key(event.bucket, event.namespace, event.name),
                    "obj": slim(event.object()),
                }
            )
        if events:
            self.revision = events[-1].revision
        frame.update(rev=self.revision, changes=changes)
        if more:
            frame["more"] = True  # the consumer sends the rest right after
        if "clock" not in frame:
            frame["clock"] = clock_state(cluster)
        return frame


def _trim_events(objects: dict[str, dict]) -> dict[str, dict]:
    """Keep only the newest events, so a long-lived cluster's snapshot stays small."""
    events = [k for k in objects if k.startswith("events/")]
    if len(events) <= SNAPSHOT_EVENTS:
        return objects
    events.sort(key=lambda k: int(objects[k]["metadata"].get("resourceVersion", 0)))
    for key in events[:-SNAPSHOT_EVENTS]:
        del objects[key]
    return objects


def apply_frame(state: dict[str, dict], frame: dict) -> dict[str, dict]:
    """What a client does with a frame (the browser's logic, used by tests)."""
    if frame["t"] == "snapshot":
        return dict(frame["objects"] or {})
    for change in frame.get("changes", []):
        if change["type"] == "DELETED":
            state.pop(change["key"], None)
        else:
            state[change["key"]] = change["obj"]
    return state
