"""kube-proxy in iptables mode: one node's service rules built from Services and EndpointSlices.

The rules are JSON data the shell keeps per node. A stopped kube-proxy does not
rebuild them, so its node keeps routing with stale rules. Chain names use the
real hashes (base32 of sha256 over the service port name and protocol).
"""

from __future__ import annotations

import base64
import hashlib

NO_ENDPOINTS = "has no endpoints"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
AFFINITY_DEFAULT_TIMEOUT = 10800


def _hash(text: str) -> str:
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:16]


def chain(prefix: str, port_name: str, protocol: str, endpoint: str = "") -> str:
    """A KUBE-SVC-/KUBE-SEP-/KUBE-EXT-/KUBE-SVL- chain name as kube-proxy derives it."""
    return f"{prefix}-{_hash(port_name + protocol.lower() + endpoint)}"


def _endpoints_for(svc: dict, slices: list[dict], port: dict) -> list[dict]:
    """Usable endpoints: ready ones, or serving-and-terminating ones when none is ready."""
    meta = svc["metadata"]
    found = []
    for s in slices:
        sm = s.get("metadata") or {}
        if sm.get("namespace") != meta.get("namespace"):
            continue
        if (sm.get("labels") or {}).get(SERVICE_NAME_LABEL) != meta["name"]:
            continue
        target = None
        for sp in s.get("ports") or []:
            if (sp.get("name") or "") == (port.get("name") or ""):
                target = sp.get("port")
        if target is None:
            continue
        for ep in s.get("endpoints") or []:
            cond = ep.get("conditions") or {}
            for ip in ep.get("addresses") or []:
                found.append(
                    {
                        "ip": ip,
                        "port": target,
                        "node": ep.get("nodeName", ""),
                        "pod": (ep.get("targetRef") or {}).get("name", ""),
                        "ready": cond.get("ready", True) is not False,
                        "serving": cond.get("serving", cond.get("ready", True))
                        is not False,
                        "terminating": bool(cond.get("terminating")),
                    }
                )
    ready = [e for e in found if e["ready"]]
    if not ready:
        ready = [e for e in found if e["serving"] and e["terminating"]]
    seen, unique = set(), []
    for e in sorted(ready, key=lambda e: (e["ip"], e["port"])):
        if (e["ip"], e["port"]) not in seen:
            seen.add((e["ip"], e["port"]))
            unique.append(e)
    return unique


def build_rules(
    node_name: str, services: list[dict], slices: list[dict], now: float = 0.0
) -> dict:
    """The node's service table: one entry per service port with its endpoint chains."""
    entries = []
    for svc in sorted(
        services,
        key=lambda s: (s["metadata"].get("namespace", ""), s["metadata"]["name"]),
    ):
        spec = svc.get("spec") or {}
        if spec.get("type") == "ExternalName" or spec.get("clusterIP") in (
            None,
            "",
            "None",
        ):
            continue
        meta = svc["metadata"]
        lb = [
            i.get("ip")
            for i in ((svc.get("status") or {}).get("loadBalancer") or {}).get(
                "ingress"
            )
            or []
            if i.get("ip")
        ]
        for port in spec.get("ports") or []:
            protocol = port.get("protocol", "TCP")
            name = f"{meta.get('namespace', 'default')}/{meta['name']}"
            if port.get("name"):
                name += f":{port['name']}"
            eps = _endpoints_for(svc, slices, port)
            n = len(eps)
            endpoints = []
            for i, e in enumerate(eps):
                endpoint = f"{e['ip']}:{e['port']}"
                endpoints.append(
                    {
                        **e,
                        "chain": chain("KUBE-SEP", name, protocol, endpoint),
                        # iptables `-m statistic --probability`: 1/n, 1/(n-1), ..., last always.
                        "probability": round(1 / (n - i), 10) if i < n - 1 else None,
                        "local": e["node"] == node_name,
                    }
                )
            affinity = spec.get("sessionAffinity") == "ClientIP"
            timeout = (
                ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}).get(
                    "timeoutSeconds"
                )
            ) or AFFINITY_DEFAULT_TIMEOUT
            entries.append(
                {
                    "service": name,
                    "namespace": meta.get("namespace", "default"),
                    "name": meta["name"],
                    "port_name": port.get("name", ""),
                    "type": spec.get("type", "ClusterIP"),
                    "cluster_ip": spec.get("clusterIP"),
                    "port": port.get("port"),
                    "protocol": protocol,
                    "node_port": port.get("nodePort"),
                    "external_ips": list(spec.get("externalIPs") or []),
                    "load_balancer_ips": lb,
                    "external_policy": spec.get("externalTrafficPolicy", "Cluster"),
                    "internal_policy": spec.get("internalTrafficPolicy", "Cluster"),
                    "affinity_timeout": timeout if affinity else None,
                    "chain": chain("KUBE-SVC", name, protocol),
                    "ext_chain": chain("KUBE-EXT", name, protocol),
                    "local_chain": chain("KUBE-SVL", name, protocol),
                    "endpoints": endpoints,
                }
            )
    return {"node": node_name, "synced_at": now, "services": entries}


def lookup(rules: dict, ip: str, port: int, via: str) -> dict | None:
    """The service entry a packet to ip:port hits (`via` is cluster, nodeport or external)."""
    for e in rules.get("services", []):
        if via == "cluster" and e["cluster_ip"] == ip and e["port"] == port:
            return e
        if via == "nodeport" and e["node_port"] == port:
            return e
        if (
            via == "external"
            and e["port"] == port
            and (ip in e["load_balancer_ips"] or ip in e["external_ips"])
        ):
            return e
    return None


def choose(
    entry: dict,
    rng,
    via: str,
    client_ip: str = "",
    affinity: dict | None = None,
    now: float = 0.0,
) -> dict | None:
    """Walk the endpoint rules as iptables does; None means REJECT (no endpoints)."""
    eps = entry["endpoints"]
    local = (
        via in ("nodeport", "external") and entry["external_policy"] == "Local"
    ) or (via == "cluster" and entry["internal_policy"] == "Local")
    if local:
        eps = [e for e in eps if e["local"]]
    if not eps:
        return None
    if entry.get("affinity_timeout") and affinity is not None and client_ip:
        key = f"{entry['chain']}|{client_ip}"
        seen = affinity.get(key)
        if seen and now - seen["at"] <= entry["affinity_timeout"]:
            for e in eps:
                if e["chain"] == seen["sep"]:
                    affinity[key] = {"sep": e["chain"], "at": now}
                    return e
    n = len(eps)
    picked = eps[-1]
    for i, e in enumerate(eps[:-1]):
        if rng.random() < 1 / (n - i):
            picked = e
            break
    if entry.get("affinity_timeout") and affinity is not None and client_ip:
        affinity[f"{entry['chain']}|{client_ip}"] = {"sep": picked["chain"], "at": now}
    return picked


def iptables_save(rules: dict) -> str:
    """The nat table as `iptables-save -t nat` would show the service chains."""
    lines = ["*nat", ":KUBE-SERVICES - [0:0]", ":KUBE-NODEPORTS - [0:0]"]
    body = []
    for e in rules.get("services", []):
        comment = f'-m comment --comment "{e["service"]} cluster IP"'
        proto = e["protocol"].lower()
        lines.append(f":{e['chain']} - [0:0]")
        if not e["endpoints"]:
            body.append(
                f'-A KUBE-SERVICES -d {e["cluster_ip"]}/32 -p {proto} -m comment --comment "{e["service"]} has no endpoints" -m {proto} --dport {e["port"]} -j REJECT --reject-with icmp-port-unreachable'
            )
            continue
        body.append(
            f"-A KUBE-SERVICES -d {e['cluster_ip']}/32 -p {proto} {comment} -m {proto} --dport {e['port']} -j {e['chain']}"
        )
        if e["node_port"]:
            body.append(
                f'-A KUBE-NODEPORTS -p {proto} -m comment --comment "{e["service"]}" -m {proto} --dport {e["node_port"]} -j {e["ext_chain"]}'
            )
        for ep in e["endpoints"]:
            lines.append(f":{ep['chain']} - [0:0]")
            stat = (
                f" -m statistic --mode random --probability {ep['probability']:.10f}"
                if ep["probability"] is not None
                else ""
            )
            body.append(
                f'-A {e["chain"]} -m comment --comment "{e["service"]} -> {ep["ip"]}:{ep["port"]}"{stat} -j {ep["chain"]}'
            )
            body.append(
                f'-A {ep["chain"]} -p {proto} -m comment --comment "{e["service"]}" -m {proto} -j DNAT --to-destination {ep["ip"]}:{ep["port"]}'
            )
    body.append(
        '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS'
    )
    return "\n".join(lines + body + ["COMMIT"]) + "\n"
