"""The runtime state of a node, for logs, exec and top: the kubelet's Component memory
with the requests its container runtime logged (`cluster.request_logs`) merged in."""

from __future__ import annotations

from cluster.models import Component
from cluster.nodes import access_log

KUBELET, RUNTIME = "kubelet", "container-runtime"


def runtime_state(cluster_id: int, node_name: str) -> dict:
    """What the node's container runtime knows (containers, restarts, served
    requests); {} if unknown."""
    return _states(cluster_id, node_name).get(node_name, {})


def runtime_states(cluster_id: int) -> dict[str, dict]:
    """Every node's runtime state, by node name."""
    return _states(cluster_id, None)


def _states(cluster_id: int, node_name: str | None) -> dict[str, dict]:
    rows = Component.objects.filter(
        machine__cluster_id=cluster_id, kind__in=(KUBELET, RUNTIME)
    )
    if node_name is not None:
        rows = rows.filter(machine__name=node_name)
    kubelets: dict[str, dict] = {}
    runtimes: dict[str, dict] = {}
    for name, kind, memory in rows.values_list("machine__name", "kind", "memory"):
        (kubelets if kind == KUBELET else runtimes)[name] = memory or {}
    return {
        name: access_log.merged(state, runtimes.get(name))
        for name, state in kubelets.items()
    }
