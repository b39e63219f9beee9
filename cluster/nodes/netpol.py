"""NetworkPolicy evaluation: may a connection from a source reach a pod's port?

A pod selected by any policy of a direction is isolated in that direction and
only allowed what some rule admits; a denied packet is dropped (a timeout).
"""

from __future__ import annotations

import ipaddress

from cluster.objects import selectors


def _selected(policy: dict, pod: dict) -> bool:
    meta, pmeta = policy.get("metadata") or {}, pod.get("metadata") or {}
    if meta.get("namespace") != pmeta.get("namespace"):
        return False
    sel = selectors.from_label_selector(
        (policy.get("spec") or {}).get("podSelector") or {}
    )
    return selectors.matches(sel, pmeta.get("labels"))


def _types(policy: dict) -> list[str]:
    spec = policy.get("spec") or {}
    if spec.get("policyTypes"):
        return spec["policyTypes"]
    return ["Ingress"] + (["Egress"] if "egress" in spec else [])


def _peer_ok(
    peer: dict, policy_ns: str, other: dict | None, other_ip: str, namespaces: dict
) -> bool:
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        try:
            addr = ipaddress.ip_address(other_ip)
            inside = addr in ipaddress.ip_network(block["cidr"], strict=False)
            excluded = any(
                addr in ipaddress.ip_network(e, strict=False)
                for e in block.get("except") or []
            )
        except ValueError:
            return False
        return inside and not excluded
    if other is None:
        return False
    ometa = other.get("metadata") or {}
    ns_ok = True
    if "namespaceSelector" in peer:
        ns_labels = namespaces.get(
            ometa.get("namespace"),
            {"kubernetes.io/metadata.name": ometa.get("namespace")},
        )
        ns_ok = selectors.matches(
            selectors.from_label_selector(peer["namespaceSelector"]), ns_labels
        )
    elif ometa.get("namespace") != policy_ns:
        ns_ok = False
    pod_ok = True
    if "podSelector" in peer:
        pod_ok = selectors.matches(
            selectors.from_label_selector(peer["podSelector"]), ometa.get("labels")
        )
    return ns_ok and pod_ok


def _port_ok(ports: list[dict] | None, port: int, target: dict | None) -> bool:
    if not ports:
        return True
    for p in ports:
        want = p.get("port")
        if want is None:
            return True
        if isinstance(want, str) and target is not None:
            named = [
                cp.get("containerPort")
                for c in (target.get("spec") or {}).get("containers") or []
                for cp in c.get("ports") or []
                if cp.get("name") == want
            ]
            if port in named:
                return True
        elif want == port or (p.get("endPort") and want <= port <= p["endPort"]):
            return True
    return False


def _allowed(
    policies, direction, subject, other, other_ip, port, port_pod, namespaces
) -> bool:
    relevant = [p for p in policies if _selected(p, subject) and direction in _types(p)]
    if not relevant:
        return True
    key, peer_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    for pol in relevant:
        ns = pol["metadata"].get("namespace")
        for rule in (pol.get("spec") or {}).get(key) or []:
            peers = rule.get(peer_key)
            peer_ok = not peers or any(
                _peer_ok(pe, ns, other, other_ip, namespaces) for pe in peers
            )
            if peer_ok and _port_ok(rule.get("ports"), port, port_pod):
                return True
    return False


def allows(
    policies: list[dict],
    source_pod: dict | None,
    source_ip: str,
    dest_pod: dict,
    port: int,
    namespaces: dict | None = None,
) -> bool:
    """Whether egress from the source and ingress to the destination pod both allow the connection."""
    namespaces = namespaces or {}
    dest_ip = (dest_pod.get("status") or {}).get("podIP", "")
    if source_pod is not None and not _allowed(
        policies, "Egress", source_pod, dest_pod, dest_ip, port, dest_pod, namespaces
    ):
        return False
    return _allowed(
        policies, "Ingress", dest_pod, source_pod, source_ip, port, dest_pod, namespaces
    )
