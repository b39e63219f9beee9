"""Node agents kubeadm runs as DaemonSet pods: kube-proxy's pod on a node IS that node's
kube-proxy process.

The kubelet runs the pod like any other, and its container follows the process: a
stopped kube-proxy is a container that terminated (killed by SIGTERM) and is not
restarted while the process stays stopped; a crashed one exits soon after each
start, so the kubelet's back-off shows CrashLoopBackOff; starting it again restarts
the container at once. The rules a stopped kube-proxy wrote stay behind, as they do
on a real node (`cluster.engine.runners.run_kube_proxy`).
"""

from __future__ import annotations

NAMESPACE = "kube-system"
LABEL = "k8s-app"
# The node component each DaemonSet pod's container is (by its k8s-app label).
AGENTS = {"kube-proxy": "kube-proxy"}
RUNNING, STOPPED, CRASHED = "running", "stopped", "crashed"
# SIGTERM ends the process: containerd reports 128 + 15.
STOPPED_EXIT_CODE = 143
CRASHED_EXIT_CODE = 1
CRASH_AFTER_SECONDS = 1.0


def process_state(
    pod: dict, container: str, components: list[dict] | None
) -> str | None:
    """The state of the node process this container is (running, stopped, crashed);
    None for an ordinary container, or when the node's processes are not known."""
    meta = pod.get("metadata") or {}
    kind = AGENTS.get((meta.get("labels") or {}).get(LABEL, ""))
    if kind is None or meta.get("namespace") != NAMESPACE or container != kind:
        return None
    for component in components or []:
        if component.get("kind") == kind:
            return component.get("state")
    return None
