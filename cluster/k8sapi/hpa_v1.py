"""autoscaling/v1 HorizontalPodAutoscalers, served over the stored autoscaling/v2 ones.

kube-apiserver serves every HPA in both versions from one storage; `kubectl
autoscale` creates through v1. Each verb here runs on the v2 object and converts at
the edge (`hpa_conversion`), so validation, defaults and the HPA controller see v2.
"""

from __future__ import annotations

from cluster import kinds
from cluster.apiserver import apply, errors, patch
from cluster.k8sapi import bodies, negotiation, resources
from cluster.k8sapi.context import RequestContext
from cluster.k8sapi.hpa_conversion import to_v1, to_v2
from cluster.k8sapi.paths import Target
from cluster.k8sapi.responses import object_response

STORED = kinds.by_kind("HorizontalPodAutoscaler", "autoscaling/v2")


def serves(kind: kinds.Kind) -> bool:
    return kind.kind == STORED.kind and kind.api_version == "autoscaling/v1"


def handle(request, ctx: RequestContext, target: Target):
    """Any request on autoscaling/v1 horizontalpodautoscalers."""
    stored = Target(STORED, target.namespace, target.name, target.subresource)
    method = request.method
    if target.subresource and (target.subresource != "status" or method != "GET"):
        raise errors.method_not_allowed(
            f"the server does not allow this method on the requested resource ({method})"
        )
    if method == "GET" and request.GET.get("watch", "").lower() in ("true", "1"):
        return resources.collection(request, ctx, stored)  # events carry v2 objects
    if method == "GET":
        return _read(request, ctx, stored)
    if method == "POST" and not target.name:
        return _create(request, ctx, target)
    if method == "PUT" and target.name:
        return _write(request, ctx, target, _replace_with(request, target))
    if method == "PATCH" and target.name:
        return _write(request, ctx, target, _patched_with(request))
    if method == "DELETE":
        response = (
            resources.delete(request, ctx, stored)
            if target.name
            else resources.delete_collection(request, ctx, stored)
        )
        return response
    raise errors.method_not_allowed(
        f"the server does not allow this method on the requested resource ({method})"
    )


def _wants_objects(request) -> bool:
    return negotiation.wanted(request.headers.get("Accept")).shape == negotiation.OBJECT


def _read(request, ctx: RequestContext, stored: Target):
    if not _wants_objects(request):  # tables and metadata read the same either way
        if stored.name:
            return resources.get(request, ctx, stored)
        return resources.list_objects(request, ctx, stored)
    if stored.name:
        return object_response(
            to_v1(ctx.api.get(STORED, stored.namespace, stored.name))
        )
    result = ctx.api.list(
        STORED,
        stored.namespace,
        request.GET.get("labelSelector", ""),
        request.GET.get("fieldSelector", ""),
    )
    return object_response(
        {
            "kind": "HorizontalPodAutoscalerList",
            "apiVersion": "autoscaling/v1",
            "metadata": {"resourceVersion": str(result.revision)},
            "items": [to_v1(o) for o in result.items or []],
        }
    )


def _create(request, ctx: RequestContext, target: Target):
    body, _ = bodies.object_body(request, target.kind, check_fields=False)
    obj = apply.record_update(
        None,
        to_v2(body),
        resources.field_manager(request),
        target.kind.api_version,
        ctx.api.now,
    )
    created = ctx.api.create(
        obj, target.namespace, STORED, dry_run=bodies.dry_run(request)
    )
    return object_response(to_v1(created), status=201)


def _replace_with(request, target: Target):
    body, _ = bodies.object_body(request, target.kind, check_fields=False)
    if (body.get("metadata") or {}).get("name") not in (None, target.name):
        raise errors.bad_request(
            f"the name of the object ({body['metadata']['name']}) does not match the "
            f"name on the URL ({target.name})"
        )
    return lambda v1_live: body


def _patched_with(request):
    media = negotiation.body_media(request.content_type)
    if media not in (patch.STRATEGIC, patch.MERGE, patch.JSON_PATCH):
        patch.apply_patch(media, {}, None, STORED.kind)  # raises the 415 Status
    value = patch.parse_patch_body(bodies.raw_body(request))
    return lambda v1_live: patch.apply_patch(media, v1_live, value, STORED.kind)


def _write(request, ctx: RequestContext, target: Target, change):
    """Update or patch: `change(v1 view of live) -> v1 object`, stored as v2."""
    manager = resources.field_manager(request)

    def apply_fn(live: dict) -> dict:
        new = change(to_v1(live))
        if not isinstance(new, dict):
            raise errors.bad_request("the patch did not produce an object")
        return apply.record_update(
            live, to_v2(new, live), manager, target.kind.api_version, ctx.api.now
        )

    result = ctx.api.patch(
        STORED,
        target.namespace,
        target.name,
        apply_fn,
        verb="update" if request.method == "PUT" else "patch",
        dry_run=bodies.dry_run(request),
    )
    return object_response(to_v1(result))
