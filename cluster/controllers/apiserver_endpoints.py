"""kube-apiserver's own endpoint reconciler: the `default/kubernetes` Service has no
selector, so each running API server keeps its address in that Service's Endpoints and
EndpointSlice (port `https` 6443), and a stopped one drops out."""

from __future__ import annotations

from cluster.actions import Action, Create, Update

SERVICE = "kubernetes"
NAMESPACE = "default"
PORT = {"name": "https", "port": 6443, "protocol": "TCP"}


def _find(view: dict, kind: str) -> dict | None:
    return next(
        (
            o
            for o in view.get(kind) or []
            if o["metadata"].get("namespace") == NAMESPACE
            and o["metadata"]["name"] == SERVICE
        ),
        None,
    )


def desired_endpoints(ips: list[str]) -> dict:
    subsets = (
        [{"addresses": [{"ip": ip} for ip in sorted(ips)], "ports": [PORT]}]
        if ips
        else []
    )
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": SERVICE,
            "namespace": NAMESPACE,
            "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
        },
        "subsets": subsets,
    }


def desired_slice(ips: list[str]) -> dict:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": SERVICE,
            "namespace": NAMESPACE,
            "labels": {"kubernetes.io/service-name": SERVICE},
        },
        "addressType": "IPv4",
        "endpoints": [
            {"addresses": [ip], "conditions": {"ready": True}} for ip in sorted(ips)
        ],
        "ports": [PORT],
    }


def sync(view: dict, apiserver_ips: list[str]) -> list[Action]:
    """Create or correct the kubernetes Endpoints and EndpointSlice."""
    actions: list[Action] = []
    for kind, want, fields in (
        ("Endpoints", desired_endpoints(apiserver_ips), ("subsets",)),
        ("EndpointSlice", desired_slice(apiserver_ips), ("endpoints", "ports")),
    ):
        live = _find(view, kind)
        if live is None:
            actions.append(Create(want))
        elif any((live.get(f) or []) != want[f] for f in fields):
            actions.append(Update({**live, **{f: want[f] for f in fields}}))
    return actions
