"""The resource endpoints: route a parsed URL to its verb, subresource or virtual kind."""

from __future__ import annotations

from cluster.apiserver import errors, subresources
from cluster.k8sapi import (
    bodies,
    component_statuses,
    hpa_v1,
    metrics,
    paths,
    resources,
    reviews,
    subresource_views,
)
from cluster.k8sapi.context import RequestContext, endpoint
from cluster.k8sapi.responses import object_response


@endpoint
def core_resource(request, ctx: RequestContext, rest: str):
    return dispatch(request, ctx, "", "v1", rest)


@endpoint
def group_resource(request, ctx: RequestContext, group: str, version: str, rest: str):
    return dispatch(request, ctx, group, version, rest)


def dispatch(request, ctx: RequestContext, group: str, version: str, rest: str):
    target = paths.parse(group, version, rest)
    kind = target.kind
    if kind.kind == "SelfSubjectAccessReview" and not target.name:
        return reviews.access_review(request, ctx, kind)
    if kind.kind == "SelfSubjectReview" and not target.name:
        return reviews.self_review(request, ctx, kind)
    if kind.group == "metrics.k8s.io":
        return metrics.respond(request, ctx, target)
    if kind.kind == "ComponentStatus":
        return component_statuses.respond(request, ctx, target)
    if hpa_v1.serves(kind):
        return hpa_v1.handle(request, ctx, target)
    if kind.kind == "Binding" and not target.name:
        return _binding(request, ctx, target)
    if not kind.stored:
        raise errors.method_not_allowed(
            f"the server does not allow this method on the requested resource ({request.method})"
        )
    if target.subresource:
        return subresource_views.handle(request, ctx, target)
    if target.name:
        return resources.item(request, ctx, target)
    return resources.collection(request, ctx, target)


def _binding(request, ctx: RequestContext, target):
    """POST namespaces/<ns>/bindings: the older way to bind a pod."""
    if request.method != "POST" or not target.namespace:
        raise errors.method_not_allowed(
            f"the server does not allow this method on the requested resource ({request.method})"
        )
    body, _ = bodies.object_body(request, target.kind, check_fields=False)
    name = (body.get("metadata") or {}).get("name")
    node = (body.get("target") or {}).get("name")
    causes = []
    if not name:
        causes.append(
            errors.Cause("metadata.name", "Required value", "FieldValueRequired")
        )
    if not node:
        causes.append(
            errors.Cause("target.name", "Required value", "FieldValueRequired")
        )
    if causes:
        raise errors.invalid("Binding", name or "", causes)
    result = subresources.bind(ctx.api, target.namespace, name, node)
    return object_response(result, status=201)
