"""Send requests to a Service or an Ingress, as the page's "send traffic" does.

The shell around `cluster.nodes.traffic`: it reads the objects a request can touch
through the API server, takes each node's service rules from its kube-proxy's memory
(so a node whose kube-proxy stopped still routes with stale rules), notes the machines
that are powered off, picks the client and the URL a student would use, and follows
each request hop by hop. An answered request is logged by the container that served it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from cluster import kinds, request_logs
from cluster.apiserver.core import ApiServer
from cluster.models import Cluster, Component, Machine
from cluster.nodes import access_log, traffic

MAX_REQUESTS = 100
KUBE_PROXY = "kube-proxy"
# Hosts for an Ingress rule that names none, or a wildcard (RFC 2606 reserves .example).
ANY_HOST = "lab.example"
WILDCARD_LABEL = "www"
VIA_POD, VIA_NODE, VIA_LOAD_BALANCER = "pod", "node", "load-balancer"
VIAS = (VIA_POD, VIA_NODE, VIA_LOAD_BALANCER)

NO_NODE_PORT = (
    'service "{name}" is {type}: it has no node port, so only a pod inside the '
    "cluster can reach it"
)
NO_EXTERNAL_IP = (
    'service "{name}" has no external IP yet (EXTERNAL-IP <pending>): '
    "send through a node's NodePort instead"
)
NOT_LOAD_BALANCER = 'service "{name}" is {type}, not LoadBalancer'
NO_SUCH_PORT = 'service "{name}" has no port {port}'
NO_PORTS = 'service "{name}" has no ports'
NO_SUCH_NODE = 'node "{node}" not found'
NO_CLIENT_POD = (
    "no running pod to send from: a ClusterIP answers only inside the cluster "
    "(start one, e.g. kubectl run client --image=curlimages/curl -- sleep 3600)"
)
CLIENT_NOT_RUNNING = 'pod "{name}" is not running, so nothing can be sent from it'
CLIENT_NODE_DOWN = 'pod "{name}" is on {node}, which is powered off'
SERVICE, INGRESS = "Service", "Ingress"


class TrafficError(ValueError):
    """A request that cannot be sent as asked (the message says why)."""


@dataclass
class Target:
    """What to send to, from where, and how many times."""

    kind: str  # Service | Ingress
    name: str
    namespace: str = "default"
    port: int | None = None  # a service port; the first one when None
    via: str = ""  # pod | node | load-balancer; "" picks by the service's type
    source: str = ""  # the client pod ("name" in the namespace, or "ns/name")
    node: str = ""  # the entry node for a NodePort
    host: str = ""  # the Host of a request to an Ingress
    path: str = "/"
    count: int = 1


@dataclass
class Sent:
    url: str
    client: dict  # {"pod": "ns/name", "node": ...} or {"ip": ...}
    traces: list[traffic.Trace]


def send(cluster: Cluster, api: ApiServer, target: Target) -> Sent:
    """Follow `target.count` requests through the cluster; raises ApiError when the
    target does not exist, and TrafficError when it cannot be sent as asked."""
    view = network_view(cluster, api)
    if target.kind == INGRESS:
        url, source, client = _to_ingress(api, target)
    else:
        url, source, client = _to_service(api, view, target)
    # One client's requests share session affinity, as one curl loop's would.
    affinity: dict = {}
    traces = traffic.load(
        view,
        source,
        url,
        random.Random(),
        max(1, target.count),
        api.now,
        affinity,
        agent=access_log.PAGE_AGENT,
    )
    # Each answered request leaves its line in the serving container's log.
    request_logs.record(cluster.pk, traces, view.pods)
    return Sent(url=url, client=client, traces=traces)


def network_view(cluster: Cluster, api: ApiServer) -> traffic.View:
    """The objects a request can touch, and each node's rules as its kube-proxy holds them."""

    def items(kind: str) -> list[dict]:
        return api.list(kinds.by_kind(kind)).items or []

    rules = {}
    for node, memory in Component.objects.filter(
        machine__cluster=cluster, kind=KUBE_PROXY
    ).values_list("machine__name", "memory"):
        if (memory or {}).get("rules") is not None:
            rules[node] = memory["rules"]
    down = set(
        Machine.objects.filter(cluster=cluster, powered=False).values_list(
            "name", flat=True
        )
    )
    return traffic.View(
        pods=items("Pod"),
        services=items("Service"),
        endpoint_slices=items("EndpointSlice"),
        nodes=items("Node"),
        ingresses=items("Ingress"),
        ingress_classes=items("IngressClass"),
        network_policies=items("NetworkPolicy"),
        namespaces={
            n["metadata"]["name"]: n["metadata"].get("labels") or {}
            for n in items("Namespace")
        },
        node_rules=rules,
        down_nodes=down,
    )


def _to_service(api, view: traffic.View, target: Target) -> tuple[str, dict, dict]:
    svc = api.get(kinds.by_kind(SERVICE), target.namespace, target.name)
    spec = svc.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    port = _service_port(target, spec)
    via = target.via or _default_via(svc, kind)
    path = _path(target.path)
    if via == VIA_NODE:
        if kind not in ("NodePort", "LoadBalancer") or not port.get("nodePort"):
            raise TrafficError(NO_NODE_PORT.format(name=target.name, type=kind))
        node = _entry_node(view, target.node)
        address = _node_address(node)
        client = {"ip": traffic.EXTERNAL_CLIENT_IP}
        return f"http://{address}:{port['nodePort']}{path}", client, dict(client)
    if via == VIA_LOAD_BALANCER:
        if kind != "LoadBalancer":
            raise TrafficError(NOT_LOAD_BALANCER.format(name=target.name, type=kind))
        ip = _load_balancer_ip(svc)
        if not ip:
            raise TrafficError(NO_EXTERNAL_IP.format(name=target.name))
        client = {"ip": traffic.EXTERNAL_CLIENT_IP}
        return f"http://{ip}:{port['port']}{path}", client, dict(client)
    pod = _client_pod(view, target)
    meta = pod["metadata"]
    host = f"{target.name}.{target.namespace}.svc.cluster.local"
    client = {
        "pod": f"{meta['namespace']}/{meta['name']}",
        "node": pod["spec"].get("nodeName", ""),
        "ip": pod["status"].get("podIP", ""),
    }
    return f"http://{host}:{port['port']}{path}", {"pod": pod}, client


def _to_ingress(api, target: Target) -> tuple[str, dict, dict]:
    ing = api.get(kinds.by_kind(INGRESS), target.namespace, target.name)
    host = target.host or _first_host(ing)
    client = {"ip": traffic.EXTERNAL_CLIENT_IP}
    return f"http://{host}{_path(target.path)}", dict(client), client


def _service_port(target: Target, spec: dict) -> dict:
    ports = spec.get("ports") or []
    if not ports:
        raise TrafficError(NO_PORTS.format(name=target.name))
    if target.port is None:
        return ports[0]
    for port in ports:
        if port.get("port") == target.port:
            return port
    raise TrafficError(NO_SUCH_PORT.format(name=target.name, port=target.port))


def _default_via(svc: dict, kind: str) -> str:
    if kind == "LoadBalancer" and _load_balancer_ip(svc):
        return VIA_LOAD_BALANCER
    if kind in ("NodePort", "LoadBalancer"):
        return VIA_NODE
    return VIA_POD


def _load_balancer_ip(svc: dict) -> str:
    for entry in ((svc.get("status") or {}).get("loadBalancer") or {}).get(
        "ingress"
    ) or []:
        if entry.get("ip"):
            return entry["ip"]
    return ""


def _entry_node(view: traffic.View, name: str) -> dict:
    nodes = sorted(view.nodes, key=lambda n: n["metadata"]["name"])
    if not name:
        if not nodes:
            raise TrafficError(NO_SUCH_NODE.format(node=""))
        return nodes[0]
    for node in nodes:
        if node["metadata"]["name"] == name:
            return node
    raise TrafficError(NO_SUCH_NODE.format(node=name))


def _node_address(node: dict) -> str:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return address.get("address", "")
    raise TrafficError(f'node "{node["metadata"]["name"]}" has no InternalIP yet')


def _client_pod(view: traffic.View, target: Target) -> dict:
    """The pod the request leaves from: the one asked for, or a running one (in the
    service's namespace first)."""
    if target.source:
        namespace, _, name = target.source.rpartition("/")
        namespace = namespace or target.namespace
        pod = next(
            (
                p
                for p in view.pods
                if p["metadata"]["name"] == name
                and p["metadata"].get("namespace") == namespace
            ),
            None,
        )
        if pod is None:
            raise TrafficError(f'pod "{name}" not found in namespace "{namespace}"')
        if not _running(pod):
            raise TrafficError(CLIENT_NOT_RUNNING.format(name=name))
        node = pod["spec"].get("nodeName", "")
        if node in view.down_nodes:
            raise TrafficError(CLIENT_NODE_DOWN.format(name=name, node=node))
        return pod
    candidates = [
        p
        for p in view.pods
        if _running(p) and p["spec"].get("nodeName") not in view.down_nodes
    ]
    if not candidates:
        raise TrafficError(NO_CLIENT_POD)
    return min(
        candidates,
        key=lambda p: (
            p["metadata"].get("namespace") != target.namespace,
            p["metadata"]["name"],
        ),
    )


def _running(pod: dict) -> bool:
    status = pod.get("status") or {}
    return (
        status.get("phase") == "Running"
        and bool(status.get("podIP"))
        and not pod["metadata"].get("deletionTimestamp")
    )


def _first_host(ing: dict) -> str:
    for rule in (ing.get("spec") or {}).get("rules") or []:
        host = rule.get("host") or ""
        if host:
            return (
                WILDCARD_LABEL + host[1:] if host.startswith("*.") else host
            ).lower()
    return ANY_HOST


def _path(path: str) -> str:
    return path if path.startswith("/") else "/" + path
