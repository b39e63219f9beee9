"""The kubelet's runtime state of a node (its Component memory), for logs, exec and top."""

from __future__ import annotations

from cluster.models import Component

KUBELET = "kubelet"


def runtime_state(cluster_id: int, node_name: str) -> dict:
    """What the node's container runtime knows (containers, restarts); {} if unknown."""
    memory = (
        Component.objects.filter(
            machine__cluster_id=cluster_id, machine__name=node_name, kind=KUBELET
        )
        .values_list("memory", flat=True)
        .first()
    )
    return memory or {}


def runtime_states(cluster_id: int) -> dict[str, dict]:
    """Every node's runtime state, by node name."""
    rows = Component.objects.filter(
        machine__cluster_id=cluster_id, kind=KUBELET
    ).values_list("machine__name", "memory")
    return {name: memory or {} for name, memory in rows}
