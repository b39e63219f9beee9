"""NodeUnschedulable: cordoned nodes only take pods tolerating the unschedulable taint."""

from __future__ import annotations

import numpy as np

from cluster.scheduler import status as st
from cluster.scheduler.plugins.helper import tolerated

NAME = "NodeUnschedulable"
ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable"
UNSCHEDULABLE_TAINT = ("node.kubernetes.io/unschedulable", "", "NoSchedule")
STATUSES = [None, st.unresolvable(ERR_REASON_UNSCHEDULABLE, plugin=NAME)]


def filter(ctx, nodes: np.ndarray):
    """Reject nodes with spec.unschedulable unless the pod tolerates it."""
    if tolerated(ctx.pod.tolerations, UNSCHEDULABLE_TAINT):
        return np.zeros(len(nodes), dtype=np.int32), STATUSES
    return ctx.snap.unschedulable[nodes].astype(np.int32), STATUSES
