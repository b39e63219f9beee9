"""NodeResourcesFit: the node must have room for the pod's requests; LeastAllocated scores.

The filter uses actual requests. The score uses "non-zero" requests (100m CPU and
200Mi memory for containers without requests), so best-effort pods still spread.
"""

from __future__ import annotations

import numpy as np

from cluster.scheduler import status as st
from cluster.scheduler.plugins.helper import MAX_NODE_SCORE

NAME = "NodeResourcesFit"
WEIGHT = 1
ERR_TOO_MANY_PODS = "Too many pods"
ERR_INSUFFICIENT = "Insufficient {resource}"
CPU_WEIGHT = 1
MEMORY_WEIGHT = 1


def insufficient(resource: str) -> str:
    """The reason for a node short of one resource."""
    return ERR_INSUFFICIENT.format(resource=resource)


def _used(
    req: np.ndarray, nodes: np.ndarray, extra: dict | None, key: str
) -> np.ndarray:
    # Pods nominated to a node (after preemption) hold their room for equal or higher priority.
    return req[nodes] if extra is None else req[nodes] + extra[key][nodes]


def filter(ctx, nodes: np.ndarray):
    """Reject nodes without room: pods first, then cpu, memory, ephemeral storage, extended."""
    pod, snap = ctx.pod, ctx.snap
    ex = ctx.nominated_columns()
    checks: list[tuple[str, np.ndarray]] = [
        (
            ERR_TOO_MANY_PODS,
            _used(snap.pod_count, nodes, ex, "pods") + 1 > snap.alloc_pods[nodes],
        )
    ]
    resources = (
        ("cpu", pod.cpu, snap.alloc_cpu, snap.req_cpu),
        ("memory", pod.memory, snap.alloc_mem, snap.req_mem),
        ("ephemeral-storage", pod.ephemeral, snap.alloc_eph, snap.req_eph),
    )
    if pod.cpu or pod.memory or pod.ephemeral or pod.scalars:
        for resource, want, alloc, req in resources:
            if want > 0:
                free = alloc[nodes] - _used(req, nodes, ex, resource)
                checks.append((insufficient(resource), want > free))
        for name in sorted(pod.scalars):
            alloc, req = snap.scalar(name)
            checks.append(
                (insufficient(name), pod.scalars[name] > alloc[nodes] - req[nodes])
            )
    codes = np.zeros(len(nodes), dtype=np.int64)
    for bit, (_, failed) in enumerate(checks):
        codes |= failed.astype(np.int64) << bit
    statuses: dict = {}
    for code in np.unique(codes).tolist():
        if code:
            reasons = [
                reason for bit, (reason, _) in enumerate(checks) if code >> bit & 1
            ]
            statuses[code] = st.unschedulable(*reasons, plugin=NAME)
    return codes, statuses


def least_allocated(alloc: np.ndarray, requested: np.ndarray) -> np.ndarray:
    """(alloc − requested) × 100 / alloc, 0 when alloc is 0 or exceeded."""
    safe = np.where(alloc == 0, 1, alloc)
    score = (alloc - requested) * MAX_NODE_SCORE // safe
    return np.where((alloc == 0) | (requested > alloc), 0, score)


def score(ctx, nodes: np.ndarray) -> np.ndarray:
    """LeastAllocated over cpu and memory, each weight 1, integer average."""
    pod, snap = ctx.pod, ctx.snap
    a_cpu, a_mem = snap.alloc_cpu[nodes], snap.alloc_mem[nodes]
    s_cpu = least_allocated(a_cpu, snap.nz_cpu[nodes] + pod.nz_cpu)
    s_mem = least_allocated(a_mem, snap.nz_mem[nodes] + pod.nz_memory)
    weights = CPU_WEIGHT * (a_cpu > 0) + MEMORY_WEIGHT * (a_mem > 0)
    total = s_cpu * CPU_WEIGHT * (a_cpu > 0) + s_mem * MEMORY_WEIGHT * (a_mem > 0)
    return np.where(weights == 0, 0, total // np.where(weights == 0, 1, weights))
