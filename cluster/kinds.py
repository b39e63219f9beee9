"""The kinds the API server serves: group, version, plural, scope and etcd key layout.

One table drives the store's keys, discovery, URL routing and validation dispatch,
so a kind is added in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_VERBS = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)


@dataclass(frozen=True)
class Kind:
    kind: str
    group: str  # "" for the core group
    version: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    registry: str = ""  # etcd bucket when it differs from the plural
    verbs: tuple[str, ...] = ALL_VERBS
    stored: bool = True  # False for virtual kinds such as Binding
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def qualified(self) -> str:
        """`deployments.apps`, as Kubernetes names a resource in error messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def bucket(self) -> str:
        return self.registry or self.plural

    def key(self, namespace: str | None, name: str) -> str:
        """The etcd key of one object: `/registry/<bucket>/<namespace>/<name>`."""
        if self.namespaced:
            return f"/registry/{self.bucket}/{namespace}/{name}"
        return f"/registry/{self.bucket}/{name}"

    def prefix(self, namespace: str | None = None) -> str:
        """The key prefix of a list, across namespaces when `namespace` is None."""
        if self.namespaced and namespace:
            return f"/registry/{self.bucket}/{namespace}/"
        return f"/registry/{self.bucket}/"


def _k(*args, **kwargs) -> Kind:
    return Kind(*args, **kwargs)


_WORKLOAD = ("all",)
KINDS: tuple[Kind, ...] = (
    _k(
        "Namespace",
        "",
        "v1",
        "namespaces",
        False,
        ("ns",),
        subresources=("status", "finalize"),
    ),
    _k(
        "Node",
        "",
        "v1",
        "nodes",
        False,
        ("no",),
        subresources=("status", "proxy"),
        registry="minions",
    ),
    _k(
        "Pod",
        "",
        "v1",
        "pods",
        True,
        ("po",),
        _WORKLOAD,
        (
            "status",
            "binding",
            "eviction",
            "log",
            "exec",
            "attach",
            "portforward",
            "ephemeralcontainers",
        ),
    ),
    _k(
        "Service",
        "",
        "v1",
        "services",
        True,
        ("svc",),
        _WORKLOAD,
        ("status", "proxy"),
        registry="services/specs",
    ),
    _k(
        "Endpoints", "", "v1", "endpoints", True, ("ep",), registry="services/endpoints"
    ),
    _k("ConfigMap", "", "v1", "configmaps", True, ("cm",)),
    _k("Secret", "", "v1", "secrets", True),
    _k(
        "ServiceAccount",
        "",
        "v1",
        "serviceaccounts",
        True,
        ("sa",),
        subresources=("token",),
    ),
    _k("Event", "", "v1", "events", True, ("ev",)),
    _k(
        "PersistentVolume",
        "",
        "v1",
        "persistentvolumes",
        False,
        ("pv",),
        subresources=("status",),
    ),
    _k(
        "PersistentVolumeClaim",
        "",
        "v1",
        "persistentvolumeclaims",
        True,
        ("pvc",),
        subresources=("status",),
    ),
    _k("LimitRange", "", "v1", "limitranges", True, ("limits",)),
    _k(
        "ResourceQuota",
        "",
        "v1",
        "resourcequotas",
        True,
        ("quota",),
        subresources=("status",),
    ),
    _k("Binding", "", "v1", "bindings", True, verbs=("create",), stored=False),
    _k(
        "Deployment",
        "apps",
        "v1",
        "deployments",
        True,
        ("deploy",),
        _WORKLOAD,
        ("status", "scale"),
    ),
    _k(
        "ReplicaSet",
        "apps",
        "v1",
        "replicasets",
        True,
        ("rs",),
        _WORKLOAD,
        ("status", "scale"),
    ),
    _k(
        "StatefulSet",
        "apps",
        "v1",
        "statefulsets",
        True,
        ("sts",),
        _WORKLOAD,
        ("status", "scale"),
    ),
    _k("DaemonSet", "apps", "v1", "daemonsets", True, ("ds",), _WORKLOAD, ("status",)),
    _k("ControllerRevision", "apps", "v1", "controllerrevisions", True),
    _k("Job", "batch", "v1", "jobs", True, (), _WORKLOAD, ("status",)),
    _k("CronJob", "batch", "v1", "cronjobs", True, ("cj",), _WORKLOAD, ("status",)),
    _k("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices", True),
    _k("Event", "events.k8s.io", "v1", "events", True, ("ev",)),
    _k(
        "Ingress",
        "networking.k8s.io",
        "v1",
        "ingresses",
        True,
        ("ing",),
        subresources=("status",),
        registry="ingress",
    ),
    _k("IngressClass", "networking.k8s.io", "v1", "ingressclasses", False),
    _k(
        "NetworkPolicy", "networking.k8s.io", "v1", "networkpolicies", True, ("netpol",)
    ),
    _k("StorageClass", "storage.k8s.io", "v1", "storageclasses", False, ("sc",)),
    _k("Lease", "coordination.k8s.io", "v1", "leases", True),
    _k(
        "PodDisruptionBudget",
        "policy",
        "v1",
        "poddisruptionbudgets",
        True,
        ("pdb",),
        subresources=("status",),
    ),
    _k(
        "HorizontalPodAutoscaler",
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        True,
        ("hpa",),
        _WORKLOAD,
        ("status",),
    ),
    _k("PriorityClass", "scheduling.k8s.io", "v1", "priorityclasses", False, ("pc",)),
    _k("Role", "rbac.authorization.k8s.io", "v1", "roles", True),
    _k("RoleBinding", "rbac.authorization.k8s.io", "v1", "rolebindings", True),
    _k("ClusterRole", "rbac.authorization.k8s.io", "v1", "clusterroles", False),
    _k(
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        False,
    ),
)

_BY_API_VERSION_KIND = {(k.api_version, k.kind): k for k in KINDS}
_BY_GROUP_PLURAL = {(k.group, k.plural): k for k in KINDS}
# The core/v1 Event and events.k8s.io Event share one bucket; core wins by kind name.
_BY_KIND = {}
for _kind in reversed(KINDS):
    _BY_KIND[_kind.kind] = _kind


class UnknownKind(LookupError):
    """No served kind matches."""


def by_kind(kind: str, api_version: str | None = None) -> Kind:
    """The Kind for a manifest's `kind` (and `apiVersion`, when it is given)."""
    found = (
        _BY_API_VERSION_KIND.get((api_version, kind))
        if api_version
        else _BY_KIND.get(kind)
    )
    if found is None:
        raise UnknownKind(
            f'no matches for kind "{kind}" in version "{api_version or ""}"'
        )
    return found


def by_resource(group: str, plural: str) -> Kind:
    """The Kind served at `/apis/<group>/<version>/<plural>`."""
    found = _BY_GROUP_PLURAL.get((group, plural))
    if found is None:
        raise UnknownKind(
            f'the server could not find the requested resource "{plural}"'
        )
    return found


def by_name(name: str) -> Kind:
    """The Kind a person means by `pods`, `pod`, `po` or `deployments.apps`."""
    name = name.lower()
    plural, _, group = name.partition(".")
    for k in KINDS:
        if group and k.group != group:
            continue
        if plural in (k.plural, k.singular, *k.short_names):
            return k
    raise UnknownKind(f'the server doesn\'t have a resource type "{name}"')
