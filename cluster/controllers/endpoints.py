"""Endpoints controller (`endpoint-controller`): one Endpoints object per selector Service.

Each pod that matches the Service's selector and has an IP becomes an address: ready
pods under `addresses`, the others under `notReadyAddresses` (all of them under
`addresses` with `publishNotReadyAddresses`). Ports are resolved per pod, because a
named targetPort can map to different numbers in different pods; pods with the same
ports share a subset. Services without a selector are left alone, so hand-made
Endpoints survive. Subsets, addresses and ports are sorted by value (Kubernetes
sorts them by hash; the order carries no meaning).
"""

from __future__ import annotations

import ipaddress
import random

from cluster.actions import Action, Create, Delete, Update
from cluster.controllers.meta import objects, ref_of
from cluster.objects import pods as podutil
from cluster.objects.selectors import from_label_selector, matches

COMPONENT = "endpoint-controller"
HEADLESS_LABEL = "service.kubernetes.io/headless"


def sync(view: dict, now: float, rng: random.Random) -> list[Action]:
    """Create, update or delete Endpoints so each selector Service has its own."""
    services = {
        (podutil.namespace(s), podutil.name(s)): s for s in objects(view, "Service")
    }
    existing = {
        (podutil.namespace(e), podutil.name(e)): e for e in objects(view, "Endpoints")
    }
    pods = objects(view, "Pod")
    actions: list[Action] = []
    for key in sorted(services, key=lambda k: (k[0] or "", k[1])):
        actions += reconcile(services[key], pods, existing.get(key))
    for key in sorted(
        existing.keys() - services.keys(), key=lambda k: (k[0] or "", k[1])
    ):
        # Endpoints whose Service is gone; leader-election locks are not ours.
        ep = existing[key]
        annotations = (ep.get("metadata") or {}).get("annotations") or {}
        if "control-plane.alpha.kubernetes.io/leader" not in annotations:
            actions.append(Delete(ref_of(ep, "Endpoints")))
    return actions


def next_wake(view: dict, now: float) -> float | None:
    """Endpoints follow the view only; nothing is timed."""
    return None


def has_selector(service: dict) -> bool:
    return bool((service.get("spec") or {}).get("selector"))


def selected_pods(
    service: dict, pods: list[dict], include_terminating: bool
) -> list[dict]:
    """Pods of the Service's namespace matching its selector that belong in endpoints."""
    spec = service.get("spec") or {}
    selector = from_label_selector({"matchLabels": spec.get("selector") or {}})
    out = []
    for pod in pods:
        if podutil.namespace(pod) != podutil.namespace(service):
            continue
        if not matches(selector, (pod.get("metadata") or {}).get("labels")):
            continue
        if not (pod.get("status") or {}).get("podIP") or podutil.phase(pod) in (
            podutil.SUCCEEDED,
            podutil.FAILED,
        ):
            continue
        if podutil.is_terminating(pod) and not include_terminating:
            continue
        out.append(pod)
    return sorted(out, key=lambda p: _ip_key(p["status"]["podIP"]))


def resolve_target_port(service_port: dict, pod: dict) -> int | None:
    """The pod's port number for a Service port: a number, or a container port's name."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol") or "TCP"
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if (
                port.get("name") == target
                and (port.get("protocol") or "TCP") == protocol
            ):
                return port.get("containerPort")
    return None


def endpoint_ports(service: dict, pod: dict) -> list[dict]:
    """The EndpointPorts of one pod for every Service port it can serve."""
    out = []
    for sp in (service.get("spec") or {}).get("ports") or []:
        number = resolve_target_port(sp, pod)
        if number is None:
            continue
        port = {"port": number, "protocol": sp.get("protocol") or "TCP"}
        if sp.get("name"):
            port = {"name": sp["name"], **port}
        if sp.get("appProtocol"):
            port["appProtocol"] = sp["appProtocol"]
        out.append(port)
    return out


def address(service: dict, pod: dict) -> dict:
    """An EndpointAddress for a pod: ip, hostname (headless subdomain), nodeName, targetRef."""
    spec = pod.get("spec") or {}
    out: dict = {"ip": pod["status"]["podIP"]}
    if spec.get("hostname") and spec.get("subdomain") == podutil.name(service):
        out["hostname"] = spec["hostname"]
    if spec.get("nodeName"):
        out["nodeName"] = spec["nodeName"]
    out["targetRef"] = {
        "kind": "Pod",
        "namespace": podutil.namespace(pod),
        "name": podutil.name(pod),
        "uid": podutil.uid(pod),
    }
    return out


def subsets(service: dict, pods: list[dict]) -> list[dict]:
    """Endpoints subsets for a Service: addresses grouped by their resolved ports."""
    spec = service.get("spec") or {}
    publish = bool(spec.get("publishNotReadyAddresses"))
    groups: dict[tuple, dict] = {}
    for pod in selected_pods(service, pods, include_terminating=publish):
        ports = endpoint_ports(service, pod)
        if not ports and not (
            spec.get("clusterIP") == "None" and not spec.get("ports")
        ):
            continue
        key = tuple(
            sorted((p.get("name", ""), p["port"], p["protocol"]) for p in ports)
        )
        group = groups.setdefault(
            key, {"addresses": [], "notReadyAddresses": [], "ports": ports}
        )
        field = "addresses" if publish or podutil.is_ready(pod) else "notReadyAddresses"
        group[field].append(address(service, pod))
    out = []
    for key in sorted(groups):
        group = groups[key]
        subset = {k: v for k, v in group.items() if k != "ports" and v}
        if group["ports"]:
            subset["ports"] = sorted(
                group["ports"],
                key=lambda p: (p.get("name", ""), p["port"], p["protocol"]),
            )
        out.append(subset)
    return out


def desired(service: dict, pods: list[dict]) -> dict:
    """The Endpoints object a selector Service should have."""
    labels = dict((service.get("metadata") or {}).get("labels") or {})
    if (service.get("spec") or {}).get("clusterIP") == "None":
        labels[HEADLESS_LABEL] = ""
    meta: dict = {
        "name": podutil.name(service),
        "namespace": podutil.namespace(service),
    }
    if labels:
        meta["labels"] = labels
    obj: dict = {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta}
    found = subsets(service, pods)
    if found:
        obj["subsets"] = found
    return obj


def reconcile(service: dict, pods: list[dict], current: dict | None) -> list[Action]:
    """The actions that make one Service's Endpoints match its pods."""
    if not has_selector(service) or podutil.is_terminating(service):
        return []
    want = desired(service, pods)
    if current is None:
        return [Create(want)]
    cur_meta = current.get("metadata") or {}
    same_subsets = (current.get("subsets") or None) == want.get("subsets")
    same_labels = (cur_meta.get("labels") or {}) == want["metadata"].get("labels", {})
    if same_subsets and same_labels:
        return []
    meta = {**cur_meta, "labels": want["metadata"].get("labels") or None}
    meta = {k: v for k, v in meta.items() if v is not None}
    updated = {**current, "kind": "Endpoints", "apiVersion": "v1", "metadata": meta}
    updated.pop("subsets", None)
    if want.get("subsets"):
        updated["subsets"] = want["subsets"]
    return [Update(updated)]


def _ip_key(ip: str):
    try:
        parsed = ipaddress.ip_address(ip)
    except ValueError:
        return (9, 0, ip)
    return (parsed.version, int(parsed), ip)
