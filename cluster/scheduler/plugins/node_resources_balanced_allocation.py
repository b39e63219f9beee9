"""NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory use stay in proportion."""

from __future__ import annotations

import numpy as np

from cluster.scheduler.plugins.helper import MAX_NODE_SCORE

NAME = "NodeResourcesBalancedAllocation"
WEIGHT = 1


def score(ctx, nodes: np.ndarray) -> np.ndarray:
    """int((1 − |f_cpu − f_mem| / 2) × 100), fractions of allocatable capped at 1."""
    pod, snap = ctx.pod, ctx.snap
    fractions = []
    for alloc, req, want in (
        (snap.alloc_cpu[nodes], snap.req_cpu[nodes], pod.cpu),
        (snap.alloc_mem[nodes], snap.req_mem[nodes], pod.memory),
    ):
        has = alloc > 0
        f = np.minimum((req + want) / np.where(has, alloc, 1), 1.0)
        fractions.append((f, has))
    (f_cpu, has_cpu), (f_mem, has_mem) = fractions
    std = np.where(has_cpu & has_mem, np.abs((f_cpu - f_mem) / 2), 0.0)
    return ((1 - std) * MAX_NODE_SCORE).astype(np.int64)
