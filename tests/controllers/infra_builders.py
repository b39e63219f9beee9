"""Object builders shared by the node, network and lifecycle controller tests."""

from __future__ import annotations

from cluster.simtime import rfc3339, rfc3339_micro

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def node(
    name="worker-1",
    ready="True",
    heartbeat=T0,
    taints=None,
    unschedulable=False,
    **extra,
):
    conditions = [
        {
            "type": t,
            "status": s,
            "lastHeartbeatTime": rfc3339(heartbeat),
            "lastTransitionTime": rfc3339(T0 - 600),
            "reason": r,
            "message": m,
        }
        for t, s, r, m in (
            (
                "MemoryPressure",
                "False",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
            ),
            (
                "DiskPressure",
                "False",
                "KubeletHasNoDiskPressure",
                "kubelet has no disk pressure",
            ),
            (
                "PIDPressure",
                "False",
                "KubeletHasSufficientPID",
                "kubelet has sufficient PID available",
            ),
            ("Ready", ready, "KubeletReady", "kubelet is posting ready status"),
        )
    ]
    spec = {"taints": taints} if taints else {}
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": f"{name}-uid",
            "creationTimestamp": rfc3339(T0 - 3600),
            **extra,
        },
        "spec": spec,
        "status": {"conditions": conditions},
    }


def lease(name="worker-1", renewed=T0):
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": name,
            "namespace": "kube-node-lease",
            "uid": f"{name}-lease",
        },
        "spec": {
            "holderIdentity": name,
            "leaseDurationSeconds": 40,
            "renewTime": rfc3339_micro(renewed),
        },
    }


def pod(
    name="web-xyz",
    node_name="worker-1",
    ip="10.244.1.5",
    ready=True,
    labels=None,
    tolerations=None,
    deleting=False,
    ports=None,
    scheduled_at=T0 - 600,
):
    meta = {
        "name": name,
        "namespace": "default",
        "uid": f"{name}-uid",
        "labels": labels if labels is not None else {"app": "web"},
        "creationTimestamp": rfc3339(scheduled_at),
    }
    if deleting:
        meta["deletionTimestamp"] = rfc3339(T0 + 30)
    status = {
        "phase": "Running",
        "conditions": [
            {
                "type": "PodScheduled",
                "status": "True",
                "lastTransitionTime": rfc3339(scheduled_at),
            },
            {
                "type": "Ready",
                "status": "True" if ready else "False",
                "lastTransitionTime": rfc3339(scheduled_at),
            },
        ],
    }
    if ip:
        status["podIP"] = ip
    spec = {
        "nodeName": node_name,
        "containers": [{"name": "app", "image": "nginx", "ports": ports or []}],
    }
    if tolerations is not None:
        spec["tolerations"] = tolerations
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": spec,
        "status": status,
    }


def default_tolerations(seconds=300):
    return [
        {
            "key": key,
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": seconds,
        }
        for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
    ]


def service(name="web", selector=None, ports=None, **spec):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default", "uid": f"{name}-svc-uid"},
        "spec": {
            "selector": selector if selector is not None else {"app": "web"},
            "ports": ports
            if ports is not None
            else [{"port": 80, "protocol": "TCP", "targetPort": 8080}],
            **spec,
        },
    }
