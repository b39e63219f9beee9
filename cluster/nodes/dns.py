"""CoreDNS: names under cluster.local answered from Services, EndpointSlices and Pods.

A pod's resolver tries its search path first (ndots:5), so `web` from namespace
`default` becomes `web.default.svc.cluster.local`.
"""

from __future__ import annotations

from dataclasses import dataclass

CLUSTER_DOMAIN = "cluster.local"
DNS_SERVICE_IP = "10.96.0.10"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
NDOTS = 5


def search_path(namespace: str) -> list[str]:
    """The search domains a ClusterFirst pod gets."""
    return [
        f"{namespace}.svc.{CLUSTER_DOMAIN}",
        f"svc.{CLUSTER_DOMAIN}",
        CLUSTER_DOMAIN,
    ]


def resolv_conf(namespace: str) -> str:
    """/etc/resolv.conf of a ClusterFirst pod."""
    return f"search {' '.join(search_path(namespace))}\nnameserver {DNS_SERVICE_IP}\noptions ndots:{NDOTS}\n"


@dataclass
class Answer:
    name: str  # the fully qualified name that answered
    addresses: list[str]
    cname: str = ""


def candidates(name: str, namespace: str | None) -> list[str]:
    """The names a resolver queries, in order (the search path first when dots < ndots)."""
    name = name.rstrip(".")
    if namespace is None:
        return [name]
    expanded = [f"{name}.{d}" for d in search_path(namespace)]
    return expanded + [name] if name.count(".") < NDOTS else [name] + expanded


def lookup_fqdn(
    fqdn: str, services: list[dict], slices: list[dict], pods: list[dict]
) -> Answer | None:
    """CoreDNS's kubernetes plugin answer for one fully qualified name, None for NXDOMAIN."""
    labels = fqdn.rstrip(".").split(".")
    suffix = CLUSTER_DOMAIN.split(".")
    if labels[-len(suffix) :] != suffix:
        return None
    labels = labels[: -len(suffix)]
    if len(labels) == 3 and labels[2] == "pod":
        ip = labels[0].replace("-", ".")
        return (
            Answer(fqdn, [ip])
            if any((p.get("status") or {}).get("podIP") == ip for p in pods)
            else None
        )
    if len(labels) < 3 or labels[-1] != "svc":
        return None
    ns, svc_name = labels[-2], labels[-3]
    svc = next(
        (
            s
            for s in services
            if s["metadata"]["name"] == svc_name
            and s["metadata"].get("namespace") == ns
        ),
        None,
    )
    if svc is None:
        return None
    spec = svc.get("spec") or {}
    if len(labels) == 4:
        # <hostname>.<subdomain>.<ns>.svc: a headless service's named endpoint.
        for ep in _ready_endpoints(svc, slices):
            if ep.get("hostname") == labels[0]:
                return Answer(fqdn, list(ep.get("addresses") or []))
        return None
    if len(labels) != 3:
        return None
    if spec.get("type") == "ExternalName":
        return Answer(fqdn, [], cname=spec.get("externalName", ""))
    if spec.get("clusterIP") in (None, "", "None"):
        ips = sorted(
            {
                a
                for ep in _ready_endpoints(svc, slices)
                for a in ep.get("addresses") or []
            }
        )
        return Answer(fqdn, ips) if ips else None
    return Answer(fqdn, [spec["clusterIP"]])


def _ready_endpoints(svc: dict, slices: list[dict]) -> list[dict]:
    meta = svc["metadata"]
    out = []
    for s in slices:
        sm = s.get("metadata") or {}
        if (
            sm.get("namespace") == meta.get("namespace")
            and (sm.get("labels") or {}).get(SERVICE_NAME_LABEL) == meta["name"]
        ):
            out += [
                e
                for e in s.get("endpoints") or []
                if (e.get("conditions") or {}).get("ready", True) is not False
            ]
    return out


def resolve(name: str, namespace: str | None, services, slices, pods) -> Answer | None:
    """Resolve a name as a pod in `namespace` would (None: every candidate is NXDOMAIN)."""
    for fqdn in candidates(name, namespace):
        answer = lookup_fqdn(fqdn, services, slices, pods)
        if answer is not None:
            return answer
    return None


def nslookup(name: str, namespace: str, services, slices, pods) -> tuple[str, int]:
    """busybox nslookup output and exit code."""
    head = f"Server:\t\t{DNS_SERVICE_IP}\nAddress:\t{DNS_SERVICE_IP}:53\n\n"
    answer = resolve(name, namespace, services, slices, pods)
    if answer is None:
        tried = candidates(name, namespace)
        body = "".join(f"** server can't find {n}: NXDOMAIN\n\n" for n in tried)
        return head + body, 1
    if answer.cname:
        return head + f"{answer.name}\tcanonical name = {answer.cname}\n\n", 0
    lines = [f"Name:\t{answer.name}\nAddress: {ip}\n" for ip in answer.addresses]
    return head + "".join(lines) + "\n", 0
