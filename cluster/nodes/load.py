"""The load generator pods put on services: requests per second each serving pod gets.

A pod whose shell loops over `wget` or `curl` of a service URL (the HPA walkthrough's
`while sleep 0.01; do wget -q -O- http://php-apache; done`) sends one request per loop
period. kube-proxy picks among a service's ready endpoints with equal probability, so
each endpoint pod gets an even share of the rate; the usage model turns it into CPU,
which `kubectl top` and the HorizontalPodAutoscaler see, and each request leaves its
line in the serving container's access log.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from cluster.nodes import access_log, images
from cluster.nodes import runtime as rt

SERVICE_NAME_LABEL = "kubernetes.io/service-name"


@dataclass(frozen=True)
class Stream:
    """One generator's requests reaching one endpoint pod."""

    client: str  # the generator pod's IP, as the serving pod sees it
    rate: float  # requests per second
    path: str
    port: int | None  # the endpoint's target port
    agent: str  # the User-Agent the loop's wget or curl sends


def offered(pods: list[dict], services: list[dict], slices: list[dict]) -> dict:
    """{pod uid: requests per second} for every pod that generators' loops reach."""
    return {
        uid: sum(s.rate for s in found)
        for uid, found in streams(pods, services, slices).items()
    }


def streams(
    pods: list[dict], services: list[dict], slices: list[dict]
) -> dict[str, list[Stream]]:
    """{pod uid: the generator streams reaching it} for every pod that loops reach."""
    uids = {
        (p["metadata"].get("namespace", "default"), p["metadata"]["name"]): p[
            "metadata"
        ].get("uid", "")
        for p in pods
    }
    found: dict[str, list[Stream]] = {}
    for pod in pods:
        namespace = pod["metadata"].get("namespace", "default")
        for container in (pod.get("spec") or {}).get("containers") or []:
            if not _loops(container) or not _running(pod, container["name"]):
                continue
            image = container.get("image", "")
            prog = rt.program(container, images.lookup_name(image))
            if not prog.requests or not prog.loop:
                continue
            for url, tool in zip(prog.requests, prog.request_tools, strict=True):
                svc = _service_for(url, namespace, services)
                ready = _ready_pods(svc, slices) if svc else []
                parts = urlsplit(url if "://" in url else f"http://{url}")
                for key, port in ready:
                    uid = uids.get(key)
                    if not uid:
                        continue
                    found.setdefault(uid, []).append(
                        Stream(
                            client=(pod.get("status") or {}).get("podIP", ""),
                            rate=1 / prog.loop[0] / len(ready),
                            path=parts.path or "/",
                            port=port,
                            agent=access_log.user_agent(tool, image),
                        )
                    )
    return found


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


def _ready_pods(svc: dict, slices: list[dict]) -> list[tuple[tuple[str, str], int]]:
    """((namespace, name), target port) of each ready endpoint pod."""
    meta = svc["metadata"]
    out = []
    for sl in slices:
        sl_meta = sl["metadata"]
        if sl_meta.get("namespace") != meta.get("namespace") or (
            (sl_meta.get("labels") or {}).get(SERVICE_NAME_LABEL) != meta["name"]
        ):
            continue
        port = next((p.get("port") for p in sl.get("ports") or []), None)
        for ep in sl.get("endpoints") or []:
            ref = ep.get("targetRef") or {}
            if ref.get("kind") == "Pod" and (ep.get("conditions") or {}).get(
                "ready", True
            ):
                key = (ref.get("namespace") or meta.get("namespace"), ref["name"])
                out.append((key, port))
    return out
