"""The kubelet's own admission of a pod bound to its node (its PredicateAdmitHandler).

The scheduler already checked all of this, but a pod whose `spec.nodeName` was set by
hand skipped the scheduler, so the kubelet checks again before running it: the node's
allocatable resources against the pods it has admitted, then the pod's node selector
and required node affinity. A pod that fails goes `Failed` with the first failure as
its reason: `OutOfcpu`, `OutOfmemory`, `OutOfpods` or `NodeAffinity`.
"""

from __future__ import annotations

from cluster.objects import nodeaffinity, quantity
from cluster.scheduler.podinfo import pod_requests

REJECTED_PREFIX = "Pod was rejected: "
# Checked in this order, as noderesources.Fits does (pods first).
RESOURCES = ("cpu", "memory", "ephemeral-storage")


def rejection(pod: dict, admitted: list[dict], node: dict) -> tuple[str, str] | None:
    """None when the pod may run beside `admitted`; else its (reason, message)."""
    allocatable = (node.get("status") or {}).get("allocatable") or {}
    capacity = quantity.to_int(allocatable.get("pods", 0))
    if capacity and len(admitted) + 1 > capacity:
        return _insufficient("pods", 1, len(admitted), capacity)
    wanted = pod_requests(pod.get("spec") or {})
    used: dict[str, int] = {}
    for other in admitted:
        for name, value in pod_requests(other.get("spec") or {}).items():
            used[name] = used.get(name, 0) + value
    for name in RESOURCES:
        if not wanted.get(name) or name not in allocatable:
            continue
        have = (
            quantity.millicores(allocatable[name])
            if name == "cpu"
            else quantity.to_int(allocatable[name])
        )
        if used.get(name, 0) + wanted[name] > have:
            return _insufficient(name, wanted[name], used.get(name, 0), have)
    if not nodeaffinity.matches(pod.get("spec") or {}, node):
        return "NodeAffinity", "Predicate NodeAffinity failed"
    return None


def _insufficient(name: str, requested: int, used: int, capacity: int):
    return (
        f"OutOf{name}",
        f"Node didn't have enough resource: {name}, requested: {requested}, "
        f"used: {used}, capacity: {capacity}",
    )
