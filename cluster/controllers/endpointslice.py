"""EndpointSlice controller (`endpointslice-controller`): the slices kube-proxy reads.

For each selector Service, pods with an IP become endpoints with the conditions
ready, serving and terminating; endpoints that resolve to the same ports share a
slice of at most 100. A Service without pods keeps one empty placeholder slice.
Slices are named `<service>-<5 random chars>` (generateName) and owned by the
Service, so the garbage collector removes them with it.
"""

from __future__ import annotations

import ipaddress
import random

from cluster.actions import Action, Create, Delete, Update
from cluster.controllers.endpoints import (
    HEADLESS_LABEL,
    has_selector,
    resolve_target_port,
    selected_pods,
)
from cluster.controllers.meta import objects, ref_of
from cluster.objects import pods as podutil
from cluster.objects.names import generate_name

COMPONENT = "endpointslice-controller"
MANAGED_BY = "endpointslice-controller.k8s.io"
LABEL_SERVICE_NAME = "kubernetes.io/service-name"
LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
MAX_ENDPOINTS_PER_SLICE = 100  # --max-endpoints-per-slice
ZONE_LABEL = "topology.kubernetes.io/zone"


def sync(view: dict, now: float, rng: random.Random) -> list[Action]:
    """Create, update or delete the managed slices of every selector Service."""
    zones = {
        podutil.name(n): ((n.get("metadata") or {}).get("labels") or {}).get(ZONE_LABEL)
        for n in objects(view, "Node")
    }
    slices = [
        s
        for s in objects(view, "EndpointSlice")
        if ((s.get("metadata") or {}).get("labels") or {}).get(LABEL_MANAGED_BY)
        == MANAGED_BY
    ]
    pods = objects(view, "Pod")
    actions: list[Action] = []
    for svc in sorted(
        objects(view, "Service"), key=lambda s: (podutil.namespace(s), podutil.name(s))
    ):
        mine = [
            s
            for s in slices
            if podutil.namespace(s) == podutil.namespace(svc)
            and s["metadata"]["labels"].get(LABEL_SERVICE_NAME) == podutil.name(svc)
        ]
        actions += reconcile(svc, pods, mine, zones, rng)
    return actions


def next_wake(view: dict, now: float) -> float | None:
    """Slices follow the view only; nothing is timed."""
    return None


def slice_ports(service: dict, pod: dict) -> list[dict]:
    """EndpointPorts for a slice: the name is always present, "" when unnamed."""
    out = []
    for sp in (service.get("spec") or {}).get("ports") or []:
        number = resolve_target_port(sp, pod)
        if number is None:
            continue
        port = {
            "name": sp.get("name") or "",
            "port": number,
            "protocol": sp.get("protocol") or "TCP",
        }
        if sp.get("appProtocol"):
            port["appProtocol"] = sp["appProtocol"]
        out.append(port)
    return out


def endpoint(service: dict, pod: dict, zone: str | None) -> dict:
    """One slice endpoint: address, conditions, hostname, targetRef, nodeName, zone."""
    publish = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
    terminating = podutil.is_terminating(pod)
    serving = podutil.is_ready(pod)
    # A terminating pod is never ready unless the Service publishes not-ready addresses.
    ready = publish or (serving and not terminating)
    spec = pod.get("spec") or {}
    out: dict = {
        "addresses": [pod["status"]["podIP"]],
        "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
    }
    if spec.get("hostname") and spec.get("subdomain") == podutil.name(service):
        out["hostname"] = spec["hostname"]
    out["targetRef"] = {
        "kind": "Pod",
        "namespace": podutil.namespace(pod),
        "name": podutil.name(pod),
        "uid": podutil.uid(pod),
    }
    if spec.get("nodeName"):
        out["nodeName"] = spec["nodeName"]
    if zone:
        out["zone"] = zone
    return out


def desired_groups(
    service: dict, pods: list[dict], zones: dict[str, str | None]
) -> list[tuple[str, list[dict], list[dict]]]:
    """(addressType, ports, endpoints) for each slice the Service should have."""
    groups: dict[tuple, tuple[str, list[dict], list[dict]]] = {}
    for pod in selected_pods(service, pods, include_terminating=True):
        ports = slice_ports(service, pod)
        if not ports and (service.get("spec") or {}).get("ports"):
            continue
        family = (
            "IPv6"
            if ipaddress.ip_address(pod["status"]["podIP"]).version == 6
            else "IPv4"
        )
        key = (family, _ports_key(ports))
        node = (pod.get("spec") or {}).get("nodeName")
        groups.setdefault(key, (family, ports, []))[2].append(
            endpoint(service, pod, zones.get(node) if node else None)
        )
    out = []
    for key in sorted(groups):
        family, ports, eps = groups[key]
        for i in range(0, len(eps), MAX_ENDPOINTS_PER_SLICE):
            out.append((family, ports, eps[i : i + MAX_ENDPOINTS_PER_SLICE]))
    if not out:
        out.append(("IPv4", None, []))
    return out


def slice_labels(service: dict) -> dict:
    """The Service's labels plus the service-name and managed-by labels."""
    labels = dict((service.get("metadata") or {}).get("labels") or {})
    labels[LABEL_SERVICE_NAME] = podutil.name(service)
    labels[LABEL_MANAGED_BY] = MANAGED_BY
    if (service.get("spec") or {}).get("clusterIP") == "None":
        labels[HEADLESS_LABEL] = ""
    return labels


def reconcile(
    service: dict,
    pods: list[dict],
    slices: list[dict],
    zones: dict[str, str | None],
    rng: random.Random,
) -> list[Action]:
    """The actions that make one Service's managed slices match its pods."""
    if not has_selector(service) or podutil.is_terminating(service):
        return []
    labels = slice_labels(service)
    owner = podutil.owner_reference(service)
    unused = sorted(slices, key=podutil.name)
    creates: list[Action] = []
    updates: list[Action] = []
    for family, ports, eps in desired_groups(service, pods, zones):
        match = next(
            (
                s
                for s in unused
                if s.get("addressType") == family
                and _ports_key(s.get("ports")) == _ports_key(ports)
            ),
            None,
        )
        if match is None:
            name = generate_name(f"{podutil.name(service)}-", rng)
            meta = {
                "name": name,
                "generateName": f"{podutil.name(service)}-",
                "namespace": podutil.namespace(service),
                "labels": labels,
                "ownerReferences": [owner],
            }
            creates.append(Create(_slice(meta, family, ports, eps)))
            continue
        unused.remove(match)
        meta = match.get("metadata") or {}
        if (
            (match.get("endpoints") or []) == eps
            and meta.get("labels") == labels
            and meta.get("ownerReferences") == [owner]
        ):
            continue
        new_meta = {**meta, "labels": labels, "ownerReferences": [owner]}
        updates.append(Update({**match, **_slice(new_meta, family, ports, eps)}))
    deletes: list[Action] = [Delete(ref_of(s, "EndpointSlice")) for s in unused]
    return creates + updates + deletes


def _slice(meta: dict, family: str, ports: list[dict] | None, eps: list[dict]) -> dict:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": meta,
        "addressType": family,
        "endpoints": eps,
        "ports": ports,
    }


def _ports_key(ports: list[dict] | None) -> tuple:
    if not ports:
        return ()
    return tuple(
        sorted(
            (p.get("name") or "", p.get("port"), p.get("protocol") or "TCP")
            for p in ports
        )
    )
