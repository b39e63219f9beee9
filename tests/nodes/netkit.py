"""A small cluster of objects for the networking tests."""

from __future__ import annotations

from cluster.nodes import proxy, traffic

NODES = [
    ("worker-1", "192.168.49.3"),
    ("worker-2", "192.168.49.4"),
    ("worker-3", "192.168.49.5"),
]


def node(name, ip):
    return {
        "metadata": {"name": name},
        "status": {"addresses": [{"type": "InternalIP", "address": ip}]},
    }


def pod(
    name,
    ip,
    node_name,
    image="gcr.io/google-samples/kubernetes-bootcamp:v1",
    labels=None,
    ns="default",
    running=True,
):
    return {
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": f"uid-{name}",
            "labels": labels or {"app": "web"},
            "creationTimestamp": "2023-11-14T22:00:00Z",
        },
        "spec": {
            "nodeName": node_name,
            "containers": [{"name": "app", "image": image}],
        },
        "status": {
            "phase": "Running",
            "podIP": ip,
            "containerStatuses": [
                {
                    "name": "app",
                    "state": {"running": {"startedAt": "2023-11-14T22:00:05Z"}}
                    if running
                    else {"waiting": {"reason": "CrashLoopBackOff"}},
                }
            ],
        },
    }


def service(
    name="web",
    ip="10.96.100.10",
    port=80,
    target=8080,
    node_port=None,
    type_="ClusterIP",
    ns="default",
    **spec,
):
    p = {"port": port, "targetPort": target, "protocol": "TCP"}
    if node_port:
        p["nodePort"] = node_port
    return {
        "metadata": {
            "name": name,
            "namespace": ns,
            "creationTimestamp": "2023-11-14T21:00:00Z",
        },
        "spec": {
            "type": type_,
            "clusterIP": ip,
            "ports": [p],
            "selector": {"app": name},
            **spec,
        },
    }


def slice_for(svc, pods, port=8080, ready=True):
    return {
        "metadata": {
            "name": f"{svc['metadata']['name']}-abcde",
            "namespace": svc["metadata"]["namespace"],
            "labels": {proxy.SERVICE_NAME_LABEL: svc["metadata"]["name"]},
        },
        "ports": [{"name": "", "port": port, "protocol": "TCP"}],
        "endpoints": [
            {
                "addresses": [p["status"]["podIP"]],
                "conditions": {"ready": ready},
                "nodeName": p["spec"]["nodeName"],
                "targetRef": {"kind": "Pod", "name": p["metadata"]["name"]},
            }
            for p in pods
        ],
    }


def view(pods, services, slices, **kw):
    rules = {n: proxy.build_rules(n, services, slices) for n, _ in NODES}
    return traffic.View(
        pods=pods,
        services=services,
        endpoint_slices=slices,
        nodes=[node(n, ip) for n, ip in NODES],
        node_rules=rules,
        **kw,
    )
