"""NodePorts: a pod's hostPorts must be free on the node."""

from __future__ import annotations

import numpy as np

from cluster.scheduler import status as st

NAME = "NodePorts"
ERR_REASON = "node(s) didn't have free ports for the requested pod ports"
STATUSES = [None, st.unschedulable(ERR_REASON, plugin=NAME)]
WILDCARD = "0.0.0.0"


def conflicts(used: list, wanted: list) -> bool:
    """Whether any wanted (ip, protocol, port) collides with a used one."""
    for ip, proto, port in wanted:
        for uip, uproto, uport in used:
            if (
                port == uport
                and proto == uproto
                and (ip == uip or WILDCARD in (ip, uip))
            ):
                return True
    return False


def pre_filter(ctx):
    """Skip pods without host ports."""
    return None if ctx.pod.host_ports else st.Status(st.SKIP)


def filter(ctx, nodes: np.ndarray):
    """Reject nodes where one of the pod's host ports is taken."""
    codes = np.zeros(len(nodes), dtype=np.int32)
    used = ctx.snap.used_ports
    for k, i in enumerate(nodes.tolist()):
        if i in used and conflicts(used[i], ctx.pod.host_ports):
            codes[k] = 1
    return codes, STATUSES
