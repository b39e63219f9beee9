"""The load generator pods put on services: requests per second each serving pod gets.

A pod whose shell loops over `wget` or `curl` of a service URL (the HPA walkthrough's
`while sleep 0.01; do wget -q -O- http://php-apache; done`) sends one request per loop
period. kube-proxy picks among a service's ready endpoints with equal probability, so
each endpoint pod gets an even share of the rate; the usage model turns it into CPU,
which `kubectl top` and the HorizontalPodAutoscaler see.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from cluster.nodes import images
from cluster.nodes import runtime as rt

SERVICE_NAME_LABEL = "kubernetes.io/service-name"


def offered(pods: list[dict], services: list[dict], slices: list[dict]) -> dict:
    """{pod uid: requests per second} for every pod that generators' loops reach."""
    uids = {
        (p["metadata"].get("namespace", "default"), p["metadata"]["name"]): p[
            "metadata"
        ].get("uid", "")
        for p in pods
    }
    rates: dict[str, float] = {}
    for pod in pods:
        namespace = pod["metadata"].get("namespace", "default")
        for container in (pod.get("spec") or {}).get("containers") or []:
            if not _loops(container) or not _running(pod, container["name"]):
                continue
            prog = rt.program(container, images.lookup_name(container.get("image", "")))
            if not prog.requests or not prog.loop:
                continue
            for url in prog.requests:
                svc = _service_for(url, namespace, services)
                ready = _ready_pods(svc, slices) if svc else []
                for key in ready:
                    uid = uids.get(key)
                    if uid:
                        rates[uid] = rates.get(uid, 0.0) + 1 / prog.loop[0] / len(ready)
    return rates


def _loops(container: dict) -> bool:
    """A cheap look before parsing: only a shell loop can generate load."""
    words = [*(container.get("command") or []), *(container.get("args") or [])]
    return any("while" in w for w in words)


def _running(pod: dict, name: str) -> bool:
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if cs.get("name") == name:
            return "running" in (cs.get("state") or {})
    return False


def _service_for(url: str, namespace: str, services: list[dict]) -> dict | None:
    """The Service a URL's host names (`svc`, `svc.ns`, `svc.ns.svc[.cluster.local]`)
    or whose ClusterIP it is, as the pod's DNS search path would resolve it."""
    host = urlsplit(url if "://" in url else f"http://{url}").hostname or ""
    try:
        ip = str(ipaddress.ip_address(host))
    except ValueError:
        ip = ""
    labels = host.split(".")
    name, ns = labels[0], labels[1] if len(labels) > 1 else namespace
    for svc in services:
        meta, spec = svc["metadata"], svc.get("spec") or {}
        if ip and spec.get("clusterIP") == ip:
            return svc
        if not ip and meta["name"] == name and meta.get("namespace") == ns:
            return svc
    return None


def _ready_pods(svc: dict, slices: list[dict]) -> list[tuple[str, str]]:
    meta = svc["metadata"]
    out = []
    for sl in slices:
        sl_meta = sl["metadata"]
        if sl_meta.get("namespace") != meta.get("namespace") or (
            (sl_meta.get("labels") or {}).get(SERVICE_NAME_LABEL) != meta["name"]
        ):
            continue
        for ep in sl.get("endpoints") or []:
            ref = ep.get("targetRef") or {}
            if ref.get("kind") == "Pod" and (ep.get("conditions") or {}).get(
                "ready", True
            ):
                out.append((ref.get("namespace") or meta.get("namespace"), ref["name"]))
    return out
