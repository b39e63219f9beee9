"""NodeName: a pod that names its node fits only that node."""

from __future__ import annotations

import numpy as np

from cluster.scheduler import status as st

NAME = "NodeName"
ERR_REASON = "node(s) didn't match the requested node name"
STATUSES = [None, st.unresolvable(ERR_REASON, plugin=NAME)]


def filter(ctx, nodes: np.ndarray):
    """Reject every node but spec.nodeName when it is set."""
    if not ctx.pod.node_name:
        return np.zeros(len(nodes), dtype=np.int32), STATUSES
    target = ctx.snap.index.get(ctx.pod.node_name, -1)
    return (nodes != target).astype(np.int32), STATUSES
