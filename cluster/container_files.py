"""Files written into a running container through `kubectl exec` (`kubectl cp` into
a pod), kept between exec sessions.

A container's writable layer belongs to its node's container runtime, so the files
go into that node's `container-runtime` Component memory under the container's id:
a restarted container has a new id and starts from its image again, as on a real
node. Web processes may write at once, so each write is a compare-and-swap on the
memory's `seq`, as the served-request log does (`cluster.request_logs`).
"""

from __future__ import annotations

import base64

from cluster.models import Component

RUNTIME = "container-runtime"
CAS_ATTEMPTS = 8
# What one container may hold this way (the memory is a database row).
LIMIT_BYTES = 1 * 2**20


def container_id(pod: dict, container: str) -> str:
    """The runtime's id of a pod's container, "" before it runs."""
    for s in (pod.get("status") or {}).get("containerStatuses") or []:
        if s.get("name") == container:
            return (s.get("containerID") or "").partition("://")[2]
    return ""


def load(cluster_id: int, node: str, cid: str) -> dict[str, bytes]:
    """The files written into container `cid` on `node`, by absolute path."""
    memory = _rows(cluster_id, node).values_list("memory", flat=True).first() or {}
    stored = ((memory.get("files") or {}).get(cid)) or {}
    return {path: base64.b64decode(data) for path, data in stored.items()}


def save(
    cluster_id: int, node: str, cid: str, files: dict[str, bytes], live: set[str]
) -> bool:
    """Store container `cid`'s files, dropping those of containers not in `live`."""
    rows = _rows(cluster_id, node)
    encoded = {p: base64.b64encode(c).decode() for p, c in files.items()}
    for _ in range(CAS_ATTEMPTS):
        found = rows.values_list("pk", "memory").first()
        if found is None:
            return False
        pk, memory = found
        memory = dict(memory or {})
        seq = memory.get("seq")
        unchanged = (
            {"memory__seq": seq} if seq is not None else {"memory__seq__isnull": True}
        )
        kept = {k: v for k, v in (memory.get("files") or {}).items() if k in live}
        kept[cid] = encoded
        memory["files"] = kept
        memory["seq"] = int(seq or 0) + 1
        if Component.objects.filter(pk=pk, **unchanged).update(memory=memory):
            return True
    return False


def _rows(cluster_id: int, node: str):
    return Component.objects.filter(
        machine__cluster_id=cluster_id, machine__name=node, kind=RUNTIME
    )
