"""`kubectl auth can-i` and `auth whoami`: access reviews answered for the caller.

The owner of a cluster is its administrator; an instructor may read it but not write.
"""

from __future__ import annotations

from cluster.apiserver import errors
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
    allowed, reason = _allowed(ctx, attributes.get("verb", ""))
    result = clone(body)
    result.setdefault("metadata", {})["creationTimestamp"] = None
    result["status"] = {"allowed": allowed}
    if not allowed:
        result["status"]["reason"] = reason
    return object_response(result, status=201)


def self_review(request, ctx: RequestContext, kind):
    if request.method != "POST":
        raise errors.method_not_allowed(
            f"the server does not allow this method on the requested resource ({request.method})"
        )
    body, _ = bodies.object_body(request, kind, check_fields=False)
    result = {
        "kind": kind.kind,
        "apiVersion": kind.api_version,
        "metadata": {"creationTimestamp": rfc3339(ctx.api.now)},
        "status": {
            "userInfo": {
                "username": ctx.username,
                "uid": str(ctx.user.pk),
                "groups": _groups(ctx),
            }
        },
    }
    del body
    return object_response(result, status=201)
