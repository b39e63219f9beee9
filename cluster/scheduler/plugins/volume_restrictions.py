"""VolumeRestrictions: a ReadWriteOncePod claim may be used by one pod only."""

from __future__ import annotations

from cluster.scheduler import status as st

NAME = "VolumeRestrictions"
ERR_REASON_RWOP_CONFLICT = "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode"


def pre_filter(ctx):
    """Reject the pod when another pod already uses one of its ReadWriteOncePod claims."""
    pod = ctx.pod
    rwop = {
        name
        for name in pod.pvc_names
        if "ReadWriteOncePod"
        in ((ctx.listers.pvcs.get((pod.namespace, name)) or {}).get("spec") or {}).get(
            "accessModes", []
        )
    }
    if not rwop:
        return st.Status(st.SKIP)
    for pods in ctx.snap.pods:
        for other in pods:
            if (
                other.uid != pod.uid
                and other.namespace == pod.namespace
                and rwop & set(other.pvc_names)
            ):
                return st.unschedulable(ERR_REASON_RWOP_CONFLICT, plugin=NAME)
    return st.Status(st.SKIP)
