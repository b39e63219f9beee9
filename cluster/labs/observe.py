"""A live cluster as the check language sees it: a plain snapshot dict.

Objects are read through the API server (as the system, so a stopped API server
does not hide a student's progress); machines, components and etcd snapshots come
from the simulated hardware.
"""

from __future__ import annotations

from cluster import kinds
from cluster.access import api_for, sim_now
from cluster.apiserver.core import ApiServer
from cluster.apiserver.plane import ALWAYS_UP
from cluster.engine.world import load_view
from cluster.models import Cluster, Component, Snapshot

# Kinds a check may need beyond what the components watch.
EXTRA_KINDS = ("IngressClass", "NetworkPolicy", "Event")


def snapshot_of(cluster: Cluster) -> dict:
    """`{objects, machines, components, snapshots, clock, born}` for `evaluate`."""
    cluster.refresh_from_db()
    api = api_for(cluster)
    # Checks observe the store itself, like an instructor reading etcd: a down API
    # server or a lost quorum must not make done steps look undone.
    reader = ApiServer(cluster.pk, now=api.now, plane=ALWAYS_UP)
    objects = load_view(reader)
    extra = []
    for name in EXTRA_KINDS:
        try:
            extra.append(kinds.by_kind(name))
        except kinds.UnknownKind:
            continue
    objects.update(reader.list_many(extra))
    components = list(
        Component.objects.filter(machine__cluster=cluster).values(
            "kind", "state", "started_at", "leader", "machine__name", "machine__powered"
        )
    )
    return {
        "objects": objects,
        "machines": [
            {"name": m.name, "role": m.role, "powered": m.powered}
            for m in cluster.machines.all()
        ],
        "components": [
            {
                "machine": c["machine__name"],
                "kind": c["kind"],
                # A process on a powered-off host is not running, whatever it was.
                "state": c["state"] if c["machine__powered"] else "stopped",
                "started_at": c["started_at"],
                "leader": c["leader"],
            }
            for c in components
        ],
        "snapshots": [
            {"name": s.name, "revision": s.revision, "sim_time": s.sim_time}
            for s in Snapshot.objects.filter(cluster=cluster)
        ],
        "clock": sim_now(cluster),
        "born": min((c["started_at"] for c in components), default=0.0),
    }
