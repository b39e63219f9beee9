"""TaintToleration: NoSchedule/NoExecute taints must be tolerated; PreferNoSchedule lowers the score."""

from __future__ import annotations

import numpy as np

from cluster.scheduler import status as st
from cluster.scheduler.plugins.helper import default_normalize, tolerated

NAME = "TaintToleration"
WEIGHT = 3
ERR_REASON_UNTOLERATED = "node(s) had untolerated taint {{{key}: {value}}}"


def untolerated_reason(key: str, value: str) -> str:
    """The reason for a node whose first untolerated taint is key=value."""
    return ERR_REASON_UNTOLERATED.format(key=key, value=value)


def filter(ctx, nodes: np.ndarray):
    """Reject nodes whose first NoSchedule/NoExecute taint the pod does not tolerate."""
    snap, tols = ctx.snap, ctx.pod.tolerations
    statuses: list = [None]
    codes_by_sig = np.zeros(len(snap.taint_sigs), dtype=np.int32)
    by_taint: dict = {}
    for sig, taints in enumerate(snap.taint_sigs):
        for taint in taints:
            if taint[2] in ("NoSchedule", "NoExecute") and not tolerated(tols, taint):
                key = taint[:2]
                if key not in by_taint:
                    by_taint[key] = len(statuses)
                    statuses.append(
                        st.unresolvable(untolerated_reason(*key), plugin=NAME)
                    )
                codes_by_sig[sig] = by_taint[key]
                break
    return codes_by_sig[snap.taint_sig[nodes]], statuses


def score(ctx, nodes: np.ndarray) -> np.ndarray:
    """Count the PreferNoSchedule taints the pod does not tolerate."""
    tols = [
        t
        for t in ctx.pod.tolerations
        if (t.get("effect") or "") in ("", "PreferNoSchedule")
    ]
    per_sig = np.array(
        [
            sum(
                1
                for t in taints
                if t[2] == "PreferNoSchedule" and not tolerated(tols, t)
            )
            for taints in ctx.snap.taint_sigs
        ],
        dtype=np.int64,
    )
    return per_sig[ctx.snap.taint_sig[nodes]]


def normalize(ctx, nodes: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Fewer untolerated taints score higher."""
    return default_normalize(raw, reverse=True)
