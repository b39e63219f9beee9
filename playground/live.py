"""The diagram's view of a cluster: a snapshot at revision R, then change frames after R.

Objects are read through the API server (a system caller named "web"), so the browser
sees exactly what a client of the cluster sees. Machines, components and the clock are
not etcd objects; each frame carries them when they changed since the last frame.
Every frame states the revision it starts from and the one it reaches, so a client
that misses a frame notices the gap and asks for a fresh snapshot.

Most change frames are not read at all: a write's notification carries its changes in
the frame's form (`cluster.diagram_changes`), and `carried_frame` wraps them.
"""

from __future__ import annotations

import json
import random
import time
from typing import TypedDict

from django.db import connection

from cluster.access import sim_now
from cluster.apiserver.core import ApiServer, Caller
from cluster.apiserver.errors import ApiError
from cluster.apiserver.plane import PlaneState, plane_state
from cluster.diagram_changes import DIAGRAM_BUCKETS, DIAGRAM_KINDS, object_key, slim
from cluster.models import Cluster, Component, Machine
from cluster.simtime import clock_now

# The timeline shows recent history; older events stay available through the API.
SNAPSHOT_EVENTS = 200
# One frame carries at most this many changes; the rest follow in the next frame.
FRAME_EVENTS = 2000
# daphne will not send a WebSocket message over 1 MiB (the consumer dies with it), so a
# frame carries about this much at most: a big snapshot goes as several frames.
FRAME_BYTES = 512 * 1024
CALLER = "web"
_dumps = json.JSONEncoder(separators=(",", ":")).encode


class Change(TypedDict):
    type: str  # ADDED | MODIFIED | DELETED
    key: str  # "<bucket>/<namespace>/<name>"
    obj: dict


def _machine_rows(cluster_id: int) -> list[tuple]:
    """(machine id, name, role, powered, cpu, memory, component kind, state, leader),
    one row per component, in the diagram's order.

    Every frame of every watcher reads these, so they come from one plain query: an
    ORM query costs more to build than to run, and it was most of a frame's cost."""
    quote = connection.ops.quote_name
    machines, components = Machine._meta.db_table, Component._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.id, m.name, m.role, m.powered, m.cpu, m.memory,"
            " c.kind, c.state, c.leader"
            f" FROM {quote(machines)} m"
            f" LEFT JOIN {quote(components)} c ON c.machine_id = m.id"
            f" WHERE m.cluster_id = %s ORDER BY m.{quote('index')}, m.id, c.kind",
            [cluster_id],
        )
        return cursor.fetchall()


def machines_state(cluster_id: int, rows: list[tuple] | None = None) -> list[dict]:
    """Every machine with its components, in the diagram's order."""
    machines: dict[int, dict] = {}
    for pk, name, role, powered, cpu, memory, kind, state, leader in (
        _machine_rows(cluster_id) if rows is None else rows
    ):
        machine = machines.get(pk)
        if machine is None:
            machine = machines[pk] = {
                "name": name,
                "role": role,
                "powered": bool(powered),
                "cpu": cpu,
                "memory": memory,
                "components": [],
            }
        if kind is not None:  # a machine without components still shows
            machine["components"].append(
                {"kind": kind, "state": state, "leader": bool(leader)}
            )
    return list(machines.values())


def _plane(rows: list[tuple]) -> PlaneState:
    """Whether the control plane can serve, from the same rows as the machines."""
    return plane_state(
        [
            (kind, state, bool(powered))
            for _pk, _name, role, powered, _cpu, _mem, kind, state, _leader in rows
            if role == Machine.CONTROL_PLANE and kind is not None
        ]
    )


def _read_cluster(cluster_id: int) -> Cluster:
    """The cluster's slug and clock (a plain query, for the same reason as above)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT slug, sim_anchor, wall_anchor, speed"
            f" FROM {connection.ops.quote_name(Cluster._meta.db_table)} WHERE id = %s",
            [cluster_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise Cluster.DoesNotExist(f"cluster {cluster_id} is gone")
    slug, sim_anchor, wall_anchor, speed = row
    return Cluster(
        pk=cluster_id,
        slug=slug,
        sim_anchor=sim_anchor,
        wall_anchor=wall_anchor,
        speed=speed,
    )


def clock_state(cluster: Cluster) -> dict:
    """The clock as the browser extrapolates it: sim time at a wall instant, and speed."""
    return anchored_clock((cluster.sim_anchor, cluster.wall_anchor, cluster.speed))


def anchored_clock(anchors: tuple[float, float, float]) -> dict:
    """`clock_state` from the cluster's (sim anchor, wall anchor, speed)."""
    sim_anchor, wall_anchor, speed = anchors
    wall = time.time()
    return {
        "now": clock_now(sim_anchor, wall_anchor, speed, wall),
        "wall": wall,
        "speed": speed,
    }


def continue_from(rev: int, segments: list[list]) -> tuple[int, list[str]] | None:
    """The revision reached and the changes' texts when the carried `segments`
    ([from, to, text], in any order) continue from `rev` without a hole; None when a
    revision in between is missing (it came from elsewhere) or they are too big for a
    frame: then only a read of the log can tell."""
    changes, size = [], 0
    for start, end, text in sorted(segments, key=lambda segment: segment[0]):
        if end <= rev:
            continue  # already sent (a read got it first)
        if start != rev:
            return None
        if text:
            changes.append(text)
            size += len(text)
        rev = end
    return None if size > FRAME_BYTES else (rev, changes)


def carried_frame(start: int, rev: int, changes: list[str], anchors: tuple) -> str:
    """A changes frame as text, from changes already in their JSON form (what a
    notification carries), with the clock from the anchors of the last read.

    The machines are left out: what changes them notifies without carrying."""
    clock = json.dumps(anchored_clock(anchors))
    return (
        f'{{"t":"changes","from":{start},"rev":{rev},"clock":{clock},'
        f'"changes":[{",".join(changes)}]}}'
    )


class LiveStream:
    """One browser's position in one cluster's history, and the frames that move it."""

    def __init__(self, cluster_id: int):
        self.cluster_id = cluster_id
        self.revision: int | None = None  # None until a snapshot succeeded
        self._machine_rows: list[tuple] | None = None
        self.clock_anchors: tuple | None = None  # (sim anchor, wall anchor, speed)

    def _read(self, force: bool) -> tuple[ApiServer, Cluster, dict]:
        """The API server to read objects through, the cluster, and the machines and
        clock when they changed since the last frame (or `force`)."""
        cluster = _read_cluster(self.cluster_id)
        rows = _machine_rows(self.cluster_id)
        plane: dict = {}
        if force or rows != self._machine_rows:
            plane["machines"] = machines_state(self.cluster_id, rows)
            self._machine_rows = rows
        anchors = (cluster.sim_anchor, cluster.wall_anchor, cluster.speed)
        if force or anchors != self.clock_anchors:
            plane["clock"] = clock_state(cluster)
            self.clock_anchors = anchors
        # The system caller `api_for` builds, with the control plane from the rows
        # just read rather than a query of its own.
        api = ApiServer(
            cluster_id=self.cluster_id,
            caller=Caller(CALLER, groups=("system:masters",)),
            now=sim_now(cluster),
            rng=random.Random(),
            plane=_plane(rows),
        )
        return api, cluster, plane

    def snapshot(self) -> dict:
        """Everything the diagram draws, at one revision."""
        api, cluster, plane = self._read(force=True)
        frame: dict = {"t": "snapshot", "cluster": cluster.slug, **plane}
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
        api, cluster, plane = self._read(force=force_plane)
        start = self.revision
        try:
            events = api.events_since(start, DIAGRAM_BUCKETS)
        except ApiError as exc:
            if exc.code == 410:
                return self.snapshot()
            # Nothing can be written while the plane is down, so nothing is missed.
            events = []
        more = len(events) > FRAME_EVENTS
        events = events[:FRAME_EVENTS]
        size = 0
        for i, event in enumerate(events):
            size += len(event.body)  # the stored body: a little more than the slim one
            if i and size > FRAME_BYTES:
                events, more = events[:i], True
                break
        frame: dict = {"t": "changes", "from": start, **plane}
        if not events and not plane and not force_plane:
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


def frame_texts(frame: dict) -> list[str]:
    """The WebSocket messages that carry `frame`: its JSON, or `frame_parts` of it when
    that is bigger than FRAME_BYTES (a snapshot measured object by object only then:
    it cost as much as encoding the snapshot once more)."""
    text = _dumps(frame)
    if len(text) <= FRAME_BYTES:
        return [text]
    return [_dumps(part) for part in frame_parts(frame)]


def frame_parts(frame: dict) -> list[dict]:
    """The frames to send for `frame`: a snapshot bigger than FRAME_BYTES is split into
    the snapshot (with machines, clock, and `parts`: how many frames it takes) and
    `{"t": "objects", "rev", "objects"}` frames with the rest of its objects."""
    objects = frame.get("objects")
    if frame.get("t") != "snapshot" or not objects:
        return [frame]
    parts: list[dict] = [{}]
    size = 0
    for key, obj in objects.items():
        cost = len(key) + len(json.dumps(obj))
        if parts[-1] and size + cost > FRAME_BYTES:
            parts.append({})
            size = 0
        parts[-1][key] = obj
        size += cost
    if len(parts) == 1:
        return [frame]
    rest = [{"t": "objects", "rev": frame["rev"], "objects": p} for p in parts[1:]]
    return [{**frame, "objects": parts[0], "parts": len(parts)}, *rest]


def apply_frame(state: dict[str, dict], frame: dict) -> dict[str, dict]:
    """What a client does with a frame (the browser's logic, used by tests)."""
    if frame["t"] == "snapshot":
        return dict(frame["objects"] or {})
    if frame["t"] == "objects":
        state.update(frame["objects"])
        return state
    for change in frame.get("changes", []):
        if change["type"] == "DELETED":
            state.pop(change["key"], None)
        else:
            state[change["key"]] = change["obj"]
    return state
