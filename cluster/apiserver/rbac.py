"""The RBAC authorizer: may this user make this request, given the cluster's Roles,
ClusterRoles, RoleBindings and ClusterRoleBindings?

Pure: the policy objects come in as lists of API dicts. The rules are Kubernetes':
ClusterRoleBindings grant everywhere, a RoleBinding only in its namespace; a rule
matches when its verbs, API groups, resources (`*`, `pods/log`, `*/scale`) and
resourceNames all do, or, for a request outside the API's resources, its verbs and
nonResourceURLs (a trailing `*` matches any rest of the path). The group
`system:masters` is allowed everything before RBAC is asked, as kube-apiserver's
privileged-group authorizer does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

PRIVILEGED_GROUP = "system:masters"
AUTHENTICATED = "system:authenticated"
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
SERVICE_ACCOUNTS_GROUP = "system:serviceaccounts"


@dataclass(frozen=True)
class UserInfo:
    name: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Attributes:
    """What a request asks (kube-apiserver's RequestInfo): a resource request, or a
    non-resource one when `path` is set."""

    verb: str
    api_group: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    namespace: str = ""
    path: str = ""

    @property
    def is_resource_request(self) -> bool:
        return not self.path


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


@dataclass
class Policy:
    """The RBAC objects of one cluster."""

    roles: list[dict] = field(default_factory=list)
    cluster_roles: list[dict] = field(default_factory=list)
    role_bindings: list[dict] = field(default_factory=list)
    cluster_role_bindings: list[dict] = field(default_factory=list)


def service_account_user(namespace: str, name: str) -> UserInfo:
    """The identity a ServiceAccount's token authenticates as."""
    return UserInfo(
        f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}",
        service_account_groups(namespace),
    )


def service_account_groups(namespace: str) -> tuple[str, ...]:
    return (
        SERVICE_ACCOUNTS_GROUP,
        f"{SERVICE_ACCOUNTS_GROUP}:{namespace}",
        AUTHENTICATED,
    )


def split_service_account(username: str) -> tuple[str, str] | None:
    """(namespace, name) of `system:serviceaccount:<ns>:<name>`, or None."""
    if not username.startswith(SERVICE_ACCOUNT_PREFIX):
        return None
    namespace, sep, name = username[len(SERVICE_ACCOUNT_PREFIX) :].partition(":")
    if not sep or not namespace or not name or ":" in name:
        return None
    return namespace, name


def authorize(user: UserInfo, attrs: Attributes, policy: Policy) -> Decision:
    """Allowed when a rule bound to the user (or one of its groups) matches."""
    if PRIVILEGED_GROUP in user.groups:
        return Decision(True, "")
    cluster_roles = {_name(r): r for r in policy.cluster_roles}
    for binding in sorted(policy.cluster_role_bindings, key=_name):
        subject = _subject_for(user, binding, "")
        if subject is None:
            continue
        role = _role_of(binding, cluster_roles, {}, "")
        if role is not None and any(_allows(attrs, r) for r in _rules(role)):
            return Decision(True, _allowed_by(binding, subject, ""))
    if attrs.namespace:
        roles = {_name(r): r for r in policy.roles if _namespace(r) == attrs.namespace}
        for binding in sorted(policy.role_bindings, key=_name):
            if _namespace(binding) != attrs.namespace:
                continue
            subject = _subject_for(user, binding, attrs.namespace)
            if subject is None:
                continue
            role = _role_of(binding, cluster_roles, roles, attrs.namespace)
            if role is not None and any(_allows(attrs, r) for r in _rules(role)):
                return Decision(True, _allowed_by(binding, subject, attrs.namespace))
    return Decision(False, "")


def forbidden_message(user: UserInfo, attrs: Attributes) -> str:
    """kube-apiserver's words after `... is forbidden: ` for a denied request."""
    if not attrs.is_resource_request:
        return f'User "{user.name}" cannot {attrs.verb} path "{attrs.path}"'
    resource = attrs.resource
    if attrs.subresource:
        resource = f"{resource}/{attrs.subresource}"
    where = (
        f'in the namespace "{attrs.namespace}"'
        if attrs.namespace
        else "at the cluster scope"
    )
    return (
        f'User "{user.name}" cannot {attrs.verb} resource "{resource}" '
        f'in API group "{attrs.api_group}" {where}'
    )


# --- matching ------------------------------------------------------------------------
def _allows(attrs: Attributes, rule: dict) -> bool:
    if not _has(rule.get("verbs"), attrs.verb):
        return False
    if not attrs.is_resource_request:
        return _url_matches(rule.get("nonResourceURLs"), attrs.path)
    return (
        _has(rule.get("apiGroups"), attrs.api_group)
        and _resource_matches(rule.get("resources"), attrs)
        and _name_matches(rule.get("resourceNames"), attrs.name)
    )


def _has(values, wanted: str) -> bool:
    values = values or []
    return "*" in values or wanted in values


def _resource_matches(resources, attrs: Attributes) -> bool:
    combined = (
        f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    )
    for resource in resources or []:
        if resource in ("*", combined):
            return True
        # `*/scale` matches the scale subresource of every resource.
        if attrs.subresource and resource == f"*/{attrs.subresource}":
            return True
    return False


def _name_matches(names, name: str) -> bool:
    return not names or name in names


def _url_matches(urls, path: str) -> bool:
    for url in urls or []:
        if url in ("*", path):
            return True
        if url.endswith("*") and path.startswith(url[:-1]):
            return True
    return False


# --- bindings ------------------------------------------------------------------------
def _subject_for(user: UserInfo, binding: dict, namespace: str) -> dict | None:
    """The binding's first subject that is this user, or None."""
    for subject in binding.get("subjects") or []:
        if not isinstance(subject, dict):
            continue
        kind, name = subject.get("kind"), subject.get("name")
        if kind == "User" and name == user.name:
            return subject
        if kind == "Group" and name in user.groups:
            return subject
        if kind == "ServiceAccount":
            sa_namespace = subject.get("namespace") or namespace
            if sa_namespace and user.name == (
                f"{SERVICE_ACCOUNT_PREFIX}{sa_namespace}:{name}"
            ):
                return subject
    return None


def _role_of(binding: dict, cluster_roles: dict, roles: dict, namespace: str):
    ref = binding.get("roleRef") or {}
    if ref.get("kind") == "ClusterRole":
        return cluster_roles.get(ref.get("name"))
    if ref.get("kind") == "Role" and namespace:
        return roles.get(ref.get("name"))
    return None


def _rules(role: dict) -> Iterable[dict]:
    return [r for r in role.get("rules") or [] if isinstance(r, dict)]


def _allowed_by(binding: dict, subject: dict, namespace: str) -> str:
    ref = binding.get("roleRef") or {}
    name = _name(binding)
    if namespace:
        name = f"{name}/{namespace}"
        which = "RoleBinding"
    else:
        which = "ClusterRoleBinding"
    if subject.get("kind") == "ServiceAccount":
        who = f"{subject.get('namespace') or namespace}/{subject.get('name')}"
    else:
        who = subject.get("name")
    return (
        f'RBAC: allowed by {which} "{name}" of {ref.get("kind")} "{ref.get("name")}" '
        f'to {subject.get("kind")} "{who}"'
    )


def _name(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("name", "")


def _namespace(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("namespace", "")
