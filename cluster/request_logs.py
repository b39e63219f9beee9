"""Served requests in the log of the container that answered them.

A node's container runtime owns its containers' log files, so the entry of a request
sent from the page or from `kubectl exec` goes into that node's `container-runtime`
Component memory. A tick never rewrites that memory, and the page, exec sessions and
other web processes may write at once, so each write is a compare-and-swap on its
`seq`. Readers (`cluster.k8sapi.node_state`) merge them into the kubelet's runtime
state.
"""

from __future__ import annotations

from cluster.models import Component
from cluster.nodes import access_log

RUNTIME = "container-runtime"
# A write that keeps losing the race to other writers gives up: its lines are lost,
# as lines are when a real log rotates under load.
CAS_ATTEMPTS = 8


def record(cluster_id: int, traces, pods: list[dict]) -> int:
    """Log each served trace on the container that answered it; how many were logged.

    `pods` are the cluster's pods: entries of pods no longer on a node are dropped."""
    by_node: dict[str, list] = {}
    for trace in traces:
        item = access_log.entry(trace)
        if item is not None:
            by_node.setdefault(trace.pod["node"], []).append((trace.pod, item))
    logged = 0
    for node, served in by_node.items():
        live = {
            p["metadata"].get("uid")
            for p in pods
            if (p.get("spec") or {}).get("nodeName") == node
        }
        if _append(cluster_id, node, served, live):
            logged += len(served)
    return logged


def _append(cluster_id: int, node: str, served: list, live: set) -> bool:
    rows = Component.objects.filter(
        machine__cluster_id=cluster_id, machine__name=node, kind=RUNTIME
    )
    for _ in range(CAS_ATTEMPTS):
        found = rows.values_list("pk", "memory").first()
        if found is None:
            return False
        pk, memory = found
        seq = (memory or {}).get("seq")
        unchanged = (
            {"memory__seq": seq} if seq is not None else {"memory__seq__isnull": True}
        )
        new = access_log.add_served(memory, served, live)
        if Component.objects.filter(pk=pk, **unchanged).update(memory=new):
            return True
    return False
