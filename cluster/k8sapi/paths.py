"""Resource URLs: `/api/v1/...` and `/apis/<group>/<version>/...` into a `Target`.

    <plural>[/<name>[/<subresource>]]
    namespaces/<ns>/<plural>[/<name>[/<subresource>]]

`namespaces/<name>/status` and `/finalize` are the Namespace's own subresources.
"""

from __future__ import annotations

from dataclasses import dataclass

from cluster.apiserver import discovery, errors
from cluster.kinds import Kind

_NAMESPACE_SUBRESOURCES = ("status", "finalize")


@dataclass(frozen=True)
class Target:
    kind: Kind
    namespace: str | None = None  # None: every namespace (or a cluster-scoped kind)
    name: str = ""
    subresource: str = ""


def _kind(group: str, version: str, plural: str) -> Kind:
    for kind in discovery.kinds_in(group, version):
        if kind.plural == plural:
            return kind
    raise errors.ApiError(
        404, "NotFound", "the server could not find the requested resource"
    )


def parse(group: str, version: str, rest: str) -> Target:
    """The target of a resource path below the group/version; 404 when unserved."""
    parts = rest.strip("/").split("/") if rest.strip("/") else []
    if not parts or any(not p for p in parts) or len(parts) > 5:
        raise errors.ApiError(
            404, "NotFound", "the server could not find the requested resource"
        )
    namespace = None
    if (
        parts[0] == "namespaces"
        and len(parts) >= 3
        and not (
            group == "" and len(parts) == 3 and parts[2] in _NAMESPACE_SUBRESOURCES
        )
    ):
        namespace, parts = parts[1], parts[2:]
    if len(parts) > 3:
        raise errors.ApiError(
            404, "NotFound", "the server could not find the requested resource"
        )
    kind = _kind(group, version, parts[0])
    if namespace is not None and not kind.namespaced:
        raise errors.ApiError(
            404, "NotFound", "the server could not find the requested resource"
        )
    name = parts[1] if len(parts) > 1 else ""
    sub = parts[2] if len(parts) > 2 else ""
    if sub and sub not in {s.name for s in discovery.subresources(kind)}:
        raise errors.ApiError(
            404, "NotFound", "the server could not find the requested resource"
        )
    return Target(kind, namespace, name, sub)
