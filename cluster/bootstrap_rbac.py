"""The RBAC objects of a new kubeadm v1.32 cluster, from `apiserver/data/bootstrap-rbac.yaml`.

kube-apiserver's bootstrap policy (the `rbac-defaults` ClusterRoles and bindings, the
`system:controller:*` roles each bound to its controller's ServiceAccount, the
namespaced Roles) and what kubeadm's phases and CoreDNS addon add. The data file keeps
each rule on one line; this module turns them into API objects.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import yaml

from cluster.controllers import clusterrole_aggregation

RBAC_DATA = Path(__file__).parent / "apiserver" / "data" / "bootstrap-rbac.yaml"
RBAC_API_VERSION = "rbac.authorization.k8s.io/v1"
RBAC_GROUP = "rbac.authorization.k8s.io"
BOOTSTRAP_LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults"}
AUTOUPDATE = {"rbac.authorization.kubernetes.io/autoupdate": "true"}


def rbac_policy() -> list[dict]:
    """The ClusterRoles, ClusterRoleBindings, Roles and RoleBindings of a new kubeadm
    cluster (fresh copies: callers may change them)."""
    return copy.deepcopy(_rbac_policy())


def _split(field: str) -> list[str]:
    return [
        "" if item.strip() == "core" else item.strip()
        for item in field.split(",")
        if item.strip()
    ]


def _rule(line: str) -> dict:
    """A PolicyRule from `verbs | apiGroups | resources [| resourceNames]` or
    `verbs | nonResourceURLs`."""
    parts = [part.strip() for part in line.split("|")]
    verbs = _split(parts[0])
    if len(parts) == 2:
        return {"verbs": verbs, "nonResourceURLs": _split(parts[1])}
    rule = {
        "verbs": verbs,
        "apiGroups": _split(parts[1]),
        "resources": _split(parts[2]),
    }
    if len(parts) == 4:
        rule["resourceNames"] = _split(parts[3])
    return rule


def _subject(text: str) -> dict:
    kind, _, rest = text.partition(":")
    if kind == "ServiceAccount":
        namespace, _, name = rest.partition("/")
        return {"kind": kind, "name": name, "namespace": namespace}
    return {"kind": kind, "apiGroup": RBAC_GROUP, "name": rest}


def _meta(name: str, bootstrap: bool, labels=None, namespace=None) -> dict:
    meta: dict = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if bootstrap:
        meta["labels"] = {**BOOTSTRAP_LABELS, **(labels or {})}
        meta["annotations"] = dict(AUTOUPDATE)
    return meta


def _role(kind: str, meta: dict, rules: list[str]) -> dict:
    return {
        "apiVersion": RBAC_API_VERSION,
        "kind": kind,
        "metadata": meta,
        "rules": [_rule(line) for line in rules],
    }


def _binding(kind: str, meta: dict, role_kind: str, role: str, subjects) -> dict:
    binding = {
        "apiVersion": RBAC_API_VERSION,
        "kind": kind,
        "metadata": meta,
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": role_kind, "name": role},
    }
    if subjects:
        binding["subjects"] = [_subject(s) for s in subjects]
    return binding


@functools.cache
def _rbac_policy() -> tuple[dict, ...]:
    data = yaml.safe_load(RBAC_DATA.read_text())
    objects: list[dict] = []
    for name, spec in data["clusterRoles"].items():
        role = _role(
            "ClusterRole",
            _meta(name, True, spec.get("labels")),
            spec.get("rules") or [],
        )
        if spec.get("aggregateFrom"):
            role["aggregationRule"] = {
                "clusterRoleSelectors": [
                    {"matchLabels": {spec["aggregateFrom"]: "true"}}
                ]
            }
        objects.append(role)
    events = data["eventsRule"]
    for name, rules in data["controllerRoles"].items():
        lines = [events if line == "events" else line for line in rules]
        objects.append(
            _role("ClusterRole", _meta(f"system:controller:{name}", True), lines)
        )
    for name, rules in data["kubeadmClusterRoles"].items():
        objects.append(_role("ClusterRole", _meta(name, False), rules))
    for name, subjects in data["clusterRoleBindings"].items():
        objects.append(
            _binding(
                "ClusterRoleBinding",
                _meta(name, True),
                "ClusterRole",
                name,
                subjects,
            )
        )
    for name in data["controllerRoles"]:
        objects.append(
            _binding(
                "ClusterRoleBinding",
                _meta(f"system:controller:{name}", True),
                "ClusterRole",
                f"system:controller:{name}",
                [f"ServiceAccount:kube-system/{name}"],
            )
        )
    for name, spec in data["kubeadmClusterRoleBindings"].items():
        objects.append(
            _binding(
                "ClusterRoleBinding",
                _meta(name, False),
                "ClusterRole",
                spec["role"],
                spec["subjects"],
            )
        )
    for namespace, roles in data["roles"].items():
        for name, spec in roles.items():
            bootstrap = not spec.get("kubeadm")
            objects.append(
                _role(
                    "Role", _meta(name, bootstrap, namespace=namespace), spec["rules"]
                )
            )
            objects.append(
                _binding(
                    "RoleBinding",
                    _meta(
                        spec.get("bindingName", name), bootstrap, namespace=namespace
                    ),
                    "Role",
                    name,
                    spec["subjects"],
                )
            )
    return tuple(_aggregated(objects))


def _aggregated(objects: list[dict]) -> list[dict]:
    """The objects with `admin`, `edit` and `view` already filled, as the controller
    manager fills them the moment it starts: a new cluster's first tick then has no
    large ClusterRoles to rewrite."""
    roles = [o for o in objects if o["kind"] == "ClusterRole"]
    filled = {
        action.obj["metadata"]["name"]: action.obj
        for action in clusterrole_aggregation.sync({"ClusterRole": roles}, 0.0, None)
    }
    return [
        filled.get(o["metadata"]["name"], o) if o["kind"] == "ClusterRole" else o
        for o in objects
    ]
