"""One request through the simulated network, hop by hop, as a student's curl would see it.

Entry points: a pod curling a service name, a client outside hitting a NodePort,
a LoadBalancer IP or an Ingress host. Each hop (DNS, the service's virtual address,
the entry node's kube-proxy rules, the chosen endpoint, NetworkPolicy, the container)
is recorded; the first failing hop gives the error text a real client prints. A
powered-off machine answers nothing, so a packet sent to it times out.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cluster.nodes import dns, images, ingress, netpol, proxy, responses

EXTERNAL_CLIENT_IP = "203.0.113.10"
# A blackholed SYN gives up after the kernel's retries (about 130 s).
CONNECT_TIMEOUT_MS = 130_000

CURL_RESOLVE = "curl: (6) Could not resolve host: {host}"
CURL_REFUSED = "curl: (7) Failed to connect to {host} port {port} after {ms} ms: Couldn't connect to server"
CURL_TIMEOUT = "curl: (28) Failed to connect to {host} port {port} after {ms} ms: Couldn't connect to server"
CURL_HTTP09 = "curl: (1) Received HTTP/0.9 when not allowed"
EXIT_RESOLVE, EXIT_REFUSED, EXIT_TIMEOUT, EXIT_PROTOCOL = 6, 7, 28, 1
# What the client connects to, by how it entered (`via` of proxy.lookup).
VIRTUAL_ADDRESS = {
    "cluster": "ClusterIP",
    "nodeport": "NodePort",
    "external": "external IP",
}


@dataclass
class View:
    """The cluster objects a request can touch, plus each node's kube-proxy rules."""

    pods: list[dict]
    services: list[dict]
    endpoint_slices: list[dict]
    nodes: list[dict]
    ingresses: list[dict] = field(default_factory=list)
    ingress_classes: list[dict] = field(default_factory=list)
    network_policies: list[dict] = field(default_factory=list)
    namespaces: dict = field(default_factory=dict)  # name -> labels
    node_rules: dict = field(
        default_factory=dict
    )  # node name -> proxy.build_rules(...)
    down_nodes: set = field(default_factory=set)  # machines powered off


@dataclass
class Trace:
    ok: bool = False
    status: int | None = None
    body: str = ""
    error: str = ""
    exit_code: int = 0
    hops: list[dict] = field(default_factory=list)
    pod: dict | None = None  # {"namespace", "name", "uid", "node", "container"}
    client_ip: str = ""
    request: dict = field(default_factory=dict)
    # The response's headers, in the order the server sent them.
    headers: list[tuple[str, str]] = field(default_factory=list)
    # The address and port the client connected to (a ClusterIP, a node, a pod).
    remote_ip: str = ""
    remote_port: int | None = None

    def hop(self, step: str, detail: str, ok: bool = True, **extra) -> None:
        self.hops.append({"step": step, "detail": detail, "ok": ok, **extra})

    def fail(self, error: str, code: int, step: str, detail: str, **extra) -> Trace:
        self.hop(step, detail, ok=False, **extra)
        self.ok, self.error, self.exit_code = False, error, code
        return self

    def time_out(self, host: str, port, step: str, detail: str, **extra) -> Trace:
        """A connection nobody answers: curl gives up after its connect timeout."""
        error = CURL_TIMEOUT.format(host=host, port=port, ms=CONNECT_TIMEOUT_MS)
        return self.fail(error, EXIT_TIMEOUT, step, detail, **extra)


def _node_ip(node: dict) -> str:
    for a in (node.get("status") or {}).get("addresses") or []:
        if a.get("type") == "InternalIP":
            return a.get("address", "")
    return ""


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def masquerade_source(view: View, node: str, destination: str) -> str:
    """The address a packet leaving `node` for `destination` is masqueraded to.

    With flannel's VXLAN backend that is the address of the interface the packet
    leaves by: the cni0 bridge (`.1` of the node's pod range) for a pod on the node
    itself, flannel.1 (`.0`) for a pod on another node, and the node's own address
    for anything outside the pod network (a hostNetwork pod)."""
    node_obj = next((n for n in view.nodes if n["metadata"]["name"] == node), {})
    ranges = [
        ipaddress.ip_network(cidr, strict=False)
        for n in view.nodes
        if (cidr := (n.get("spec") or {}).get("podCIDR"))
    ]
    own = (node_obj.get("spec") or {}).get("podCIDR")
    if not own or not _is_ip(destination):
        return _node_ip(node_obj)
    address = ipaddress.ip_address(destination)
    net = ipaddress.ip_network(own, strict=False)
    if address in net:
        return str(net.network_address + 1)
    if any(address in r for r in ranges):
        return str(net.network_address)
    return _node_ip(node_obj)


def send_request(
    view: View,
    source: dict,
    url: str,
    rng,
    now: float = 0.0,
    affinity: dict | None = None,
    method: str = "GET",
    agent: str = "",
    headers: list[tuple[str, str]] | None = None,
    data: str = "",
) -> Trace:
    """Follow one HTTP request from `source` ({"pod": pod} or {"ip": addr}) to its
    answer; `agent` is the User-Agent the client sends, `headers` (all it sends)
    and `data` (its body) are reflected by servers that echo requests."""
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    host, port = (
        parts.hostname or "",
        parts.port or (443 if parts.scheme == "https" else 80),
    )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    src_pod = source.get("pod")
    src_ip = (
        (src_pod.get("status") or {}).get("podIP", "")
        if src_pod
        else source.get("ip", EXTERNAL_CLIENT_IP)
    )
    src_node = (src_pod.get("spec") or {}).get("nodeName") if src_pod else None
    trace = Trace(
        client_ip=src_ip,
        request={
            "method": method,
            "host": host,
            "port": port,
            "path": path,
            "at": now,
            "agent": agent,
        },
    )
    if headers is not None:
        trace.request["headers"] = list(headers)
    if data:
        trace.request["data"] = data
    ip = host
    if not _is_ip(host):
        if src_pod is None:
            return _via_ingress(view, trace, host, port, path, rng, now)
        ns = src_pod["metadata"].get("namespace", "default")
        answer = dns.resolve(host, ns, view.services, view.endpoint_slices, view.pods)
        if answer is None or not (answer.addresses or answer.cname):
            return trace.fail(
                CURL_RESOLVE.format(host=host), EXIT_RESOLVE, "dns", f"{host}: NXDOMAIN"
            )
        if answer.cname:
            return trace.fail(
                CURL_RESOLVE.format(host=answer.cname),
                EXIT_RESOLVE,
                "dns",
                f"{answer.name} is an alias for {answer.cname} outside the cluster",
            )
        ip = (
            answer.addresses[0]
            if len(answer.addresses) == 1
            else rng.choice(answer.addresses)
        )
        trace.hop("dns", f"{answer.name} → {ip}", server=dns.DNS_SERVICE_IP)
    return _to_ip(
        view, trace, ip, port, path, host, src_pod, src_ip, src_node, rng, now, affinity
    )


def _to_ip(
    view, trace, ip, port, path, host, src_pod, src_ip, src_node, rng, now, affinity
) -> Trace:
    trace.remote_ip, trace.remote_port = ip, port
    nodes_by_ip = {_node_ip(n): n["metadata"]["name"] for n in view.nodes}
    cluster_ips = {(s.get("spec") or {}).get("clusterIP") for s in view.services}
    external = {
        i.get("ip")
        for s in view.services
        for i in (
            ((s.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        )
    } | {
        e for s in view.services for e in (s.get("spec") or {}).get("externalIPs") or []
    }
    if ip in cluster_ips and ip:
        if src_node is None:
            return trace.time_out(
                host,
                port,
                "network",
                f"{ip} is a ClusterIP, reachable only from inside the cluster",
            )
        return _through_proxy(
            view,
            trace,
            src_node,
            ip,
            port,
            "cluster",
            path,
            host,
            src_pod,
            src_ip,
            rng,
            now,
            affinity,
        )
    if ip in nodes_by_ip:
        return _through_proxy(
            view,
            trace,
            nodes_by_ip[ip],
            ip,
            port,
            "nodeport",
            path,
            host,
            src_pod,
            src_ip,
            rng,
            now,
            affinity,
        )
    if ip in external:
        entry = _lb_target_node(view, ip, port, rng)
        if entry is None:
            return trace.time_out(
                host,
                port,
                "load-balancer",
                f"{ip}: no healthy node behind the load balancer",
            )
        trace.hop("load-balancer", f"{ip}:{port} → node {entry}", node=entry)
        return _through_proxy(
            view,
            trace,
            entry,
            ip,
            port,
            "external",
            path,
            host,
            src_pod,
            src_ip,
            rng,
            now,
            affinity,
        )
    return _deliver(view, trace, ip, port, path, host, src_pod, src_ip, now)


def _lb_target_node(view: View, ip: str, port: int, rng) -> str | None:
    """The node a cloud load balancer sends to; with Local policy only nodes with endpoints."""
    candidates = []
    for n in view.nodes:
        name = n["metadata"]["name"]
        if (n.get("spec") or {}).get(
            "unschedulable"
        ) or "node.kubernetes.io/exclude-from-external-load-balancers" in (
            n["metadata"].get("labels") or {}
        ):
            continue
        rules = view.node_rules.get(name) or {}
        entry = proxy.lookup(rules, ip, port, "external")
        if (
            entry
            and entry["external_policy"] == "Local"
            and not any(e["local"] for e in entry["endpoints"])
        ):
            continue  # the health check node port answers 503 there
        candidates.append(name)
    return rng.choice(sorted(candidates)) if candidates else None


def _through_proxy(
    view, trace, node, ip, port, via, path, host, src_pod, src_ip, rng, now, affinity
) -> Trace:
    if via != "cluster" and node in view.down_nodes:
        return trace.time_out(
            host,
            port,
            "node",
            f"node {node} is powered off: nothing answers at {ip}",
            node=node,
        )
    rules = view.node_rules.get(node)
    if rules is None:
        return trace.time_out(
            host,
            port,
            "kube-proxy",
            f"node {node} has no service rules (kube-proxy never ran)",
            node=node,
        )
    entry = proxy.lookup(rules, ip, port, via)
    if entry is None:
        if via == "nodeport":
            return trace.fail(
                CURL_REFUSED.format(host=host, port=port, ms=0),
                EXIT_REFUSED,
                "kube-proxy",
                f"nothing listens on {node}:{port}",
                node=node,
            )
        return trace.time_out(
            host,
            port,
            "kube-proxy",
            f"no rule for {ip}:{port} on {node}",
            node=node,
        )
    trace.hop(
        "service",
        f"{entry['service']}: {VIRTUAL_ADDRESS[via]} {ip}:{port}",
        service=entry["service"],
    )
    ep = proxy.choose(entry, rng, via, src_ip, affinity, now)
    if ep is None:
        detail = f"{entry['service']} {proxy.NO_ENDPOINTS} (REJECT)"
        if entry["endpoints"]:
            detail = f"{entry['service']} has no local endpoints on {node} (externalTrafficPolicy Local: DROP)"
            return trace.time_out(
                host,
                port,
                "kube-proxy",
                detail,
                node=node,
                service=entry["service"],
            )
        return trace.fail(
            CURL_REFUSED.format(host=host, port=port, ms=0),
            EXIT_REFUSED,
            "kube-proxy",
            detail,
            node=node,
            service=entry["service"],
        )
    trace.hop(
        "kube-proxy",
        f"{entry['chain']} → {ep['chain']} DNAT {ep['ip']}:{ep['port']}",
        node=node,
        service=entry["service"],
    )
    client = src_ip
    if via in ("nodeport", "external") and entry["external_policy"] == "Cluster":
        client = masquerade_source(view, node, ep["ip"]) or src_ip
    elif src_ip == ep["ip"]:
        # Hairpin: each endpoint's chain masquerades packets from the endpoint
        # itself, so a pod reaching itself through its Service sees the bridge.
        client = masquerade_source(view, node, ep["ip"]) or src_ip
    return _deliver(
        view,
        trace,
        ep["ip"],
        ep["port"],
        path,
        host,
        src_pod,
        client,
        now,
        shown_port=port,
    )


def _deliver(
    view, trace, ip, port, path, host, src_pod, client_ip, now, shown_port=None
) -> Trace:
    shown = shown_port or port
    at_ip = [
        p
        for p in view.pods
        if (p.get("status") or {}).get("podIP") == ip
        and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
    ]
    # hostNetwork pods share their node's address: the one listening on the port.
    pod = next((p for p in at_ip if _serves(p, port)), at_ip[0] if at_ip else None)
    if pod is None:
        return trace.time_out(
            host,
            shown,
            "endpoint",
            f"{ip} does not exist any more (stale rule)",
        )
    meta = pod["metadata"]
    node = (pod.get("spec") or {}).get("nodeName", "")
    if node in view.down_nodes:
        return trace.time_out(
            host,
            shown,
            "endpoint",
            f"{ip} is pod {meta['name']} on {node}, which is powered off",
            pod=meta["name"],
            namespace=meta["namespace"],
            node=node,
        )
    trace.hop(
        "endpoint",
        f"{ip}:{port} is pod {meta['namespace']}/{meta['name']} on {node}",
        pod=meta["name"],
        namespace=meta["namespace"],
        node=node,
    )
    if not netpol.allows(
        view.network_policies, src_pod, client_ip, pod, port, view.namespaces
    ):
        return trace.time_out(
            host,
            shown,
            "network-policy",
            f"NetworkPolicy drops traffic to {meta['namespace']}/{meta['name']}:{port}",
            pod=meta["name"],
            namespace=meta["namespace"],
        )
    running = {
        s["name"]
        for s in (pod.get("status") or {}).get("containerStatuses") or []
        if "running" in (s.get("state") or {})
    }
    for c in (pod.get("spec") or {}).get("containers") or []:
        image = images.lookup_name(c.get("image", ""))
        if image.port != port or c["name"] not in running or not _listens(c, image):
            continue
        trace.pod = {
            "namespace": meta["namespace"],
            "name": meta["name"],
            "uid": meta.get("uid", ""),
            "node": node,
            "container": c["name"],
        }
        trace.client_ip = client_ip
        if image.protocol != "http":
            trace.hop(
                "container",
                f"{meta['name']}/{c['name']} speaks {image.protocol}, not HTTP",
                ok=False,
                pod=meta["name"],
                namespace=meta["namespace"],
            )
            trace.ok, trace.error, trace.exit_code = False, CURL_HTTP09, EXIT_PROTOCOL
            return trace
        tag = images.normalize(c["image"]).tag if c.get("image") else ""
        status, body = responses.respond(
            image.body,
            tag,
            pod,
            path,
            client_ip,
            now,
            trace.request.get("method", "GET"),
            trace.request.get("agent", ""),
            trace.request.get("headers"),
            trace.request.get("data", ""),
        )
        trace.headers = responses.response_headers(image.body, status, body, now, tag)
        if "forwarded" in trace.request:
            trace.headers = responses.behind_ingress(trace.headers, now)
        trace.hop(
            "container",
            f"{meta['name']}/{c['name']} answered {status}",
            pod=meta["name"],
            namespace=meta["namespace"],
        )
        trace.ok, trace.status, trace.body = True, status, body
        return trace
    return trace.fail(
        CURL_REFUSED.format(host=host, port=shown, ms=0),
        EXIT_REFUSED,
        "container",
        f"nothing listens on {meta['name']} ({ip}:{port})",
        pod=meta["name"],
        namespace=meta["namespace"],
    )


def _serves(pod: dict, port: int) -> bool:
    return any(
        images.lookup_name(c.get("image", "")).port == port
        for c in (pod.get("spec") or {}).get("containers") or []
    )


def _listens(container: dict, image: images.Image) -> bool:
    from cluster.nodes import runtime

    return runtime.program(container, image).listens


def _via_ingress(
    view: View, trace: Trace, host: str, port: int, path: str, rng, now: float
) -> Trace:
    if not view.ingresses:
        return trace.fail(
            CURL_RESOLVE.format(host=host),
            EXIT_RESOLVE,
            "dns",
            f"{host} is not known outside the cluster",
        )
    match = ingress.route(view.ingresses, host, path, classes=view.ingress_classes)
    if match is None:
        trace.hop(
            "ingress",
            f"no rule for {host}{path}: the controller's default backend answers 404",
            ok=False,
        )
        trace.ok, trace.status, trace.body = (
            True,
            404,
            responses.NGINX_ERROR.format(code=404, text="Not Found", server="nginx"),
        )
        trace.headers = responses.response_headers("ingress", 404, trace.body, now)
        return trace
    ing = match.ingress["metadata"]
    backend = match.backend.get("service") or {}
    trace.hop(
        "ingress",
        f"{ing.get('namespace')}/{ing['name']}: {host}{match.path or ' (default backend)'} → {backend.get('name')}",
        ingress=f"{ing.get('namespace')}/{ing['name']}",
    )
    service_key = f"{ing.get('namespace')}/{backend.get('name')}"
    svc = next(
        (
            s
            for s in view.services
            if s["metadata"]["name"] == backend.get("name")
            and s["metadata"].get("namespace") == ing.get("namespace")
        ),
        None,
    )
    unavailable = responses.NGINX_ERROR.format(
        code=503, text="Service Temporarily Unavailable", server="nginx"
    )
    if svc is None:
        trace.hop(
            "service",
            f"service {backend.get('name')} not found",
            ok=False,
            service=service_key,
        )
        trace.ok, trace.status, trace.body = True, 503, unavailable
        trace.headers = responses.response_headers("ingress", 503, unavailable, now)
        return trace
    want = backend.get("port") or {}
    sport = next(
        (
            p
            for p in (svc.get("spec") or {}).get("ports") or []
            if p.get("port") == want.get("number")
            or (want.get("name") and p.get("name") == want.get("name"))
        ),
        None,
    )
    rules = proxy.build_rules("", [svc], view.endpoint_slices)
    entry = next(
        (e for e in rules["services"] if sport and e["port"] == sport.get("port")), None
    )
    if not entry or not entry["endpoints"]:
        trace.hop(
            "service",
            f"{service_key} has no ready endpoints",
            ok=False,
            service=service_key,
        )
        trace.ok, trace.status, trace.body = True, 503, unavailable
        trace.headers = responses.response_headers("ingress", 503, unavailable, now)
        return trace
    ep = rng.choice(entry["endpoints"])
    # The controller proxies the request itself, naming the client it saw.
    trace.request["forwarded"] = trace.client_ip
    # The controller balances over the endpoints itself; the ClusterIP is not used.
    trace.hop(
        "service",
        f"{service_key}: one of {len(entry['endpoints'])} ready endpoints, {ep['ip']}:{ep['port']}",
        service=service_key,
    )
    return _deliver(
        view,
        trace,
        ep["ip"],
        ep["port"],
        path,
        host,
        None,
        trace.client_ip,
        now,
        shown_port=port,
    )


def load(
    view: View,
    source: dict,
    url: str,
    rng,
    count: int,
    now: float = 0.0,
    affinity: dict | None = None,
    agent: str = "",
) -> list[Trace]:
    """`count` requests in a row (a load generator), each routed independently."""
    return [
        send_request(view, source, url, rng, now, affinity, agent=agent)
        for _ in range(count)
    ]


def spread(traces: list[Trace]) -> dict[str, int]:
    """How many requests each pod served ("error" counts the failures)."""
    out: dict[str, int] = {}
    for t in traces:
        key = t.pod["name"] if t.ok and t.pod else "error"
        out[key] = out.get(key, 0) + 1
    return out
