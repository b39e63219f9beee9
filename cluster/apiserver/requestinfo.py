"""What a request asks, read from its method, path and query before any routing, as
kube-apiserver's RequestInfo resolver does for its authorization filter.

`/api/v1/namespaces/default/pods/web/log` is `get` of `pods/log` named `web` in
`default`; a GET without a name is `list`, or `watch` with `?watch=true`; a DELETE
without one is `deletecollection`. Paths with fewer parts than a resource
(`/api`, `/apis/apps/v1`, `/version`, `/openapi/v3`) are non-resource requests whose
verb is the lower-cased method.
"""

from __future__ import annotations

from cluster.apiserver.rbac import Attributes

_METHOD_VERBS = {
    "POST": "create",
    "GET": "get",
    "HEAD": "get",
    "PUT": "update",
    "PATCH": "patch",
    "DELETE": "delete",
}
_NAMESPACE_SUBRESOURCES = ("status", "finalize")
_TRUE = ("true", "1")


def attributes(method: str, path: str, query: dict[str, str]) -> Attributes:
    """The request's attributes; `path` is below the cluster's API root, e.g.
    `/api/v1/pods`, and `query` maps a parameter to its first value."""
    parts = [p for p in path.split("/") if p]
    method = method.upper()
    if len(parts) < 3 or parts[0] not in ("api", "apis"):
        return Attributes(verb=method.lower(), path="/" + "/".join(parts))
    if parts[0] == "apis":
        if len(parts) < 4:
            return Attributes(verb=method.lower(), path="/" + "/".join(parts))
        group, rest = parts[1], parts[3:]
    else:
        group, rest = "", parts[2:]
    verb = _METHOD_VERBS.get(method, "")
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if not name and verb == "get":
        verb = "watch" if query.get("watch", "").lower() in _TRUE else "list"
        name = _exact_name(query.get("fieldSelector", ""))
    if not name and verb == "delete":
        verb = "deletecollection"
    return Attributes(
        verb=verb,
        api_group=group,
        resource=resource,
        subresource=subresource,
        name=name,
        namespace=namespace,
    )


def _exact_name(field_selector: str) -> str:
    """The name a `metadata.name=<name>` field selector pins a list or watch to."""
    for term in field_selector.split(","):
        key, sep, value = term.partition("==" if "==" in term else "=")
        if sep and key.strip() == "metadata.name" and not key.endswith("!"):
            value = value.strip()
            if value and value not in (".", "..") and "/" not in value:
                return value
    return ""
