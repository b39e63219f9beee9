"""`kubectl auth can-i` and `auth whoami`: access reviews answered for the caller.

The owner of a cluster is its administrator; an instructor may read it but not write.
When the owner impersonates (`--as`), RBAC answers for the impersonated user.
"""

from __future__ import annotations

from cluster.apiserver import authorization, errors, rbac
from cluster.k8sapi import bodies
from cluster.k8sapi.context import RequestContext
from cluster.k8sapi.responses import object_response
from cluster.objects.clone import clone
from cluster.simtime import rfc3339

READ_VERBS = ("get", "list", "watch")
OWNER_GROUPS = ["system:masters", "system:authenticated"]
VIEWER_GROUPS = ["system:authenticated"]
READ_ONLY_REASON = "this cluster is read-only for you (you are not its owner)"


def _groups(ctx: RequestContext) -> list[str]:
    return VIEWER_GROUPS if ctx.api.caller.refuses_writes() else OWNER_GROUPS


def _allowed(ctx: RequestContext, verb: str) -> tuple[bool, str]:
    if verb in READ_VERBS or not ctx.api.caller.refuses_writes():
        return True, ""
    if ctx.user.pk == ctx.cluster.owner_id:  # the owner, whose class has ended
        return False, ctx.api.caller.read_only_reason
    return False, READ_ONLY_REASON


def _text(attributes: dict, key: str) -> str:
    value = attributes.get(key)
    return value if isinstance(value, str) else ""


def _rbac_allowed(ctx: RequestContext, spec: dict) -> tuple[bool, str]:
    """RBAC's answer for the impersonated user."""
    resource = spec.get("resourceAttributes")
    if isinstance(resource, dict):
        attrs = rbac.Attributes(
            verb=_text(resource, "verb"),
            api_group=_text(resource, "group"),
            resource=_text(resource, "resource"),
            subresource=_text(resource, "subresource"),
            name=_text(resource, "name"),
            namespace=_text(resource, "namespace"),
        )
    else:
        other = spec.get("nonResourceAttributes") or {}
        attrs = rbac.Attributes(
            verb=_text(other, "verb"), path=_text(other, "path") or "/"
        )
    decision = authorization.authorize(ctx.cluster.pk, ctx.identity, attrs)
    return decision.allowed, decision.reason


def access_review(request, ctx: RequestContext, kind):
    if request.method != "POST":
        raise errors.method_not_allowed(
            f"the server does not allow this method on the requested resource ({request.method})"
        )
    body, _ = bodies.object_body(request, kind, check_fields=False)
    spec = body.get("spec") or {}
    attributes = spec.get("resourceAttributes") or spec.get("nonResourceAttributes")
    if not isinstance(attributes, dict):
        raise errors.invalid(
            kind.kind,
            "",
            [
                errors.Cause(
                    "spec.resourceAttributes",
                    "Required value: exactly one of nonResourceAttributes or "
                    "resourceAttributes must be specified",
                    "FieldValueRequired",
                )
            ],
            kind.group,
        )
    if ctx.identity is not None:
        allowed, reason = _rbac_allowed(ctx, spec)
    else:
        allowed, reason = _allowed(ctx, attributes.get("verb", ""))
    result = clone(body)
    result.setdefault("metadata", {})["creationTimestamp"] = None
    result["status"] = {"allowed": allowed}
    if reason:
        result["status"]["reason"] = reason
    return object_response(result, status=201)


def self_review(request, ctx: RequestContext, kind):
    if request.method != "POST":
        raise errors.method_not_allowed(
            f"the server does not allow this method on the requested resource ({request.method})"
        )
    body, _ = bodies.object_body(request, kind, check_fields=False)
    if ctx.identity is not None:
        user_info: dict = {"username": ctx.identity.name}
        if ctx.identity.uid:
            user_info["uid"] = ctx.identity.uid
        user_info["groups"] = list(ctx.identity.groups)
        if ctx.identity.extra:
            user_info["extra"] = ctx.identity.extra
    else:
        user_info = {
            "username": ctx.username,
            "uid": str(ctx.user.pk),
            "groups": _groups(ctx),
        }
    result = {
        "kind": kind.kind,
        "apiVersion": kind.api_version,
        "metadata": {"creationTimestamp": rfc3339(ctx.api.now)},
        "status": {"userInfo": user_info},
    }
    del body
    return object_response(result, status=201)
