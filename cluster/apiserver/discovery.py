"""API discovery documents built from the served kinds.

Aggregated discovery (`apidiscovery.k8s.io/v2`) answers `/api` and `/apis` in one
request each; the legacy documents (`APIVersions`, `APIGroupList`, `APIResourceList`)
answer the per-group/version requests that `kubectl drain` and `auth can-i` still make.
"""

from __future__ import annotations

from dataclasses import dataclass

from cluster.kinds import KINDS, Kind

AGGREGATED_CONTENT_TYPE = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
)
AGGREGATED_API_VERSION = "apidiscovery.k8s.io/v2"
READ_VERBS = ("get", "list")
STATUS_VERBS = ("get", "patch", "update")
NAMESPACE_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Subresource:
    name: str
    group: str
    version: str
    kind: str
    verbs: tuple[str, ...]


def _sub(name: str, kind: str, verbs, group: str = "", version: str = "v1"):
    return Subresource(name, group, version, kind, tuple(verbs))


# What each subresource returns, as kube-apiserver declares it.
_SUBRESOURCES: dict[tuple[str, str], Subresource] = {
    ("Pod", "binding"): _sub("binding", "Binding", ["create"]),
    ("Pod", "eviction"): _sub("eviction", "Eviction", ["create"], "policy"),
    ("Pod", "log"): _sub("log", "Pod", ["get"]),
    ("Pod", "exec"): _sub("exec", "PodExecOptions", ["create", "get"]),
    ("Pod", "attach"): _sub("attach", "PodAttachOptions", ["create", "get"]),
    ("Pod", "portforward"): _sub(
        "portforward", "PodPortForwardOptions", ["create", "get"]
    ),
    ("Pod", "ephemeralcontainers"): _sub("ephemeralcontainers", "Pod", STATUS_VERBS),
    ("Node", "proxy"): _sub(
        "proxy", "NodeProxyOptions", ["create", "delete", "get", "patch", "update"]
    ),
    ("Service", "proxy"): _sub(
        "proxy", "ServiceProxyOptions", ["create", "delete", "get", "patch", "update"]
    ),
    ("Namespace", "finalize"): _sub("finalize", "Namespace", ["update"]),
    ("ServiceAccount", "token"): _sub(
        "token", "TokenRequest", ["create"], "authentication.k8s.io"
    ),
}
_SCALE = ("autoscaling", "v1", "Scale")

# Virtual resources served beside the stored kinds: component statuses (the
# deprecated `kubectl get cs`), metrics for `kubectl top`, access reviews for `kubectl auth can-i` and `auth whoami`, and the autoscaling/v1
# view of the stored autoscaling/v2 HorizontalPodAutoscalers (`kubectl autoscale`).
EXTRA_KINDS: tuple[Kind, ...] = (
    Kind(
        "ComponentStatus",
        "",
        "v1",
        "componentstatuses",
        False,
        ("cs",),
        verbs=READ_VERBS,
        stored=False,
    ),
    Kind(
        "HorizontalPodAutoscaler",
        "autoscaling",
        "v1",
        "horizontalpodautoscalers",
        True,
        ("hpa",),
        ("all",),
        ("status",),
        stored=False,
    ),
    Kind(
        "NodeMetrics",
        "metrics.k8s.io",
        "v1beta1",
        "nodes",
        False,
        verbs=READ_VERBS,
        stored=False,
    ),
    Kind(
        "PodMetrics",
        "metrics.k8s.io",
        "v1beta1",
        "pods",
        True,
        verbs=READ_VERBS,
        stored=False,
    ),
    Kind(
        "SelfSubjectAccessReview",
        "authorization.k8s.io",
        "v1",
        "selfsubjectaccessreviews",
        False,
        verbs=("create",),
        stored=False,
    ),
    Kind(
        "SelfSubjectReview",
        "authentication.k8s.io",
        "v1",
        "selfsubjectreviews",
        False,
        verbs=("create",),
        stored=False,
    ),
)

# Group order in `/apis`. Workload groups come in the order `kubectl get all` prints.
GROUP_ORDER = (
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "metrics.k8s.io",
)
# Versions served beside the kinds' own (none at present).
EXTRA_VERSIONS: dict[str, tuple[str, ...]] = {}


def served_kinds() -> tuple[Kind, ...]:
    """Every kind discovery lists: the stored kinds plus the virtual ones."""
    return KINDS + EXTRA_KINDS


def _verbs(kind: Kind) -> list[str]:
    if kind.kind == "Namespace":
        return list(NAMESPACE_VERBS)
    return list(kind.verbs)


def subresources(kind: Kind) -> list[Subresource]:
    """A kind's subresources with the kind each one returns."""
    found = []
    for name in kind.subresources:
        if name == "status":
            found.append(
                _sub("status", kind.kind, STATUS_VERBS, kind.group, kind.version)
            )
        elif name == "scale":
            found.append(Subresource("scale", *_SCALE, STATUS_VERBS))
        elif (kind.kind, name) in _SUBRESOURCES:
            found.append(_SUBRESOURCES[(kind.kind, name)])
    return found


def _gvk(group: str, version: str, kind: str) -> dict:
    return {"group": group, "version": version, "kind": kind}


def _aggregated_resource(kind: Kind) -> dict:
    entry: dict = {
        "resource": kind.plural,
        "responseKind": _gvk(kind.group, kind.version, kind.kind),
        "scope": "Namespaced" if kind.namespaced else "Cluster",
        "singularResource": kind.singular,
        "verbs": _verbs(kind),
    }
    if kind.short_names:
        entry["shortNames"] = list(kind.short_names)
    if kind.categories:
        entry["categories"] = list(kind.categories)
    subs = [
        {
            "subresource": s.name,
            "responseKind": _gvk(s.group, s.version, s.kind),
            "verbs": list(s.verbs),
        }
        for s in subresources(kind)
    ]
    if subs:
        entry["subresources"] = subs
    return entry


def group_versions() -> dict[str, list[str]]:
    """Each group (core is "") with its versions, preferred first, in discovery order."""
    found: dict[str, list[str]] = {}
    for kind in served_kinds():
        versions = found.setdefault(kind.group, [])
        if kind.version not in versions:
            versions.append(kind.version)
    for group, extra in EXTRA_VERSIONS.items():
        found.setdefault(group, []).extend(v for v in extra if v not in found[group])
    rank = {g: i for i, g in enumerate(GROUP_ORDER)}
    named = sorted((g for g in found if g), key=lambda g: (rank.get(g, len(rank)), g))
    return {g: found[g] for g in ([""] if "" in found else []) + named}


def kinds_in(group: str, version: str) -> list[Kind]:
    """The kinds served at one group/version, by resource name as kube-apiserver
    installs them (so `kubectl get all` prints daemonsets before deployments)."""
    found = [k for k in served_kinds() if k.group == group and k.version == version]
    return sorted(found, key=lambda k: k.plural)


def _group_discovery(group: str, versions: list[str]) -> dict:
    return {
        "metadata": {"name": group},
        "versions": [
            {
                "version": v,
                "resources": [_aggregated_resource(k) for k in kinds_in(group, v)],
                "freshness": "Current",
            }
            for v in versions
        ],
    }


def aggregated(core: bool) -> dict:
    """The `APIGroupDiscoveryList` for `/api` (core=True) or `/apis`."""
    groups = group_versions()
    items = [
        _group_discovery(g, versions)
        for g, versions in groups.items()
        if (g == "") == core
    ]
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": AGGREGATED_API_VERSION,
        "metadata": {},
        "items": items,
    }


def api_versions(server_address: str) -> dict:
    """The legacy `/api` answer."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def api_group(group: str) -> dict | None:
    """The legacy `APIGroup` of `/apis/<group>`, or None when it is not served."""
    versions = group_versions().get(group) if group else None
    if not versions:
        return None
    listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": listed,
        "preferredVersion": listed[0],
    }


def api_group_list() -> dict:
    """The legacy `/apis` answer."""
    groups = [api_group(g) for g in group_versions() if g]
    for g in groups:
        del g["kind"], g["apiVersion"]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _legacy_resource(kind: Kind) -> dict:
    entry: dict = {
        "name": kind.plural,
        "singularName": kind.singular,
        "namespaced": kind.namespaced,
        "kind": kind.kind,
        "verbs": _verbs(kind),
    }
    if kind.short_names:
        entry["shortNames"] = list(kind.short_names)
    if kind.categories:
        entry["categories"] = list(kind.categories)
    return entry


def _legacy_subresource(kind: Kind, sub: Subresource) -> dict:
    entry: dict = {
        "name": f"{kind.plural}/{sub.name}",
        "singularName": "",
        "namespaced": kind.namespaced,
        "kind": sub.kind,
        "verbs": list(sub.verbs),
    }
    if (sub.group, sub.version) != (kind.group, kind.version):
        entry["group"], entry["version"] = sub.group, sub.version
    return entry


def api_resource_list(group: str, version: str) -> dict | None:
    """The legacy `APIResourceList` of `/api/v1` or `/apis/<g>/<v>`; None if unserved."""
    if version not in group_versions().get(group, []):
        return None
    resources = []
    for kind in kinds_in(group, version):
        resources.append(_legacy_resource(kind))
        resources += [_legacy_subresource(kind, s) for s in subresources(kind)]
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }
