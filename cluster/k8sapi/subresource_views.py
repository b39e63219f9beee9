"""Subresources: status, scale, binding, eviction, log and exec (portforward and
attach are refused with what to use instead).

`status` and `scale` reuse the object verbs with their own write rules; `binding` and
`eviction` are POSTs handled by `cluster.apiserver.subresources`; `log` answers
text/plain; `exec` is served over WebSocket (see `exec_consumer.py`), so a plain HTTP
request (kubectl's SPDY fallback) gets a Status saying so.
"""

from __future__ import annotations

from cluster.apiserver import errors, patch, subresources
from cluster.k8sapi import bodies, logs, negotiation, resources
from cluster.k8sapi.context import RequestContext
from cluster.k8sapi.paths import Target
from cluster.k8sapi.responses import object_response

EXEC_NEEDS_WEBSOCKET = (
    "Upgrade request required: exec is served over WebSocket "
    "(v5.channel.k8s.io) only; SPDY is not supported by this server"
)
# Streams this simulator does not carry, and what a student can use instead.
NOT_SIMULATED = {
    "portforward": (
        "port-forward is not simulated by this server: reach the pod with "
        "`kubectl exec <pod> -- curl localhost:<port>`, or a Service with Send traffic "
        "on the cluster page"
    ),
    "attach": (
        "attach is not simulated by this server: use `kubectl exec -it <pod> -- sh` "
        "or `kubectl logs -f <pod>`"
    ),
}


def handle(request, ctx: RequestContext, target: Target):
    handler = _HANDLERS.get(target.subresource)
    if handler is None:
        raise errors.method_not_allowed(
            f"the {target.subresource} subresource is not supported by this cluster"
        )
    return handler(request, ctx, target)


def _not_allowed(request):
    return errors.method_not_allowed(
        f"the server does not allow this method on the requested resource ({request.method})"
    )


def status(request, ctx: RequestContext, target: Target):
    if request.method == "GET":
        return resources.get(request, ctx, target)
    if request.method == "PUT":
        return resources.update(request, ctx, target, subresource="status")
    if request.method == "PATCH":
        return resources.patch_object(request, ctx, target, subresource="status")
    raise _not_allowed(request)


def scale(request, ctx: RequestContext, target: Target):
    kind = target.kind
    if request.method == "GET":
        obj = ctx.api.get(kind, target.namespace, target.name)
        return object_response(subresources.scale_of(kind, obj))
    if request.method == "PUT":
        body, _ = bodies.object_body(request, _SCALE_KIND, check_fields=False)
        result = subresources.set_scale(
            ctx.api, kind, target.namespace, target.name, lambda current: body
        )
        return object_response(result)
    if request.method == "PATCH":
        media = negotiation.body_media(request.content_type)
        value = patch.parse_patch_body(bodies.raw_body(request))
        if media == patch.APPLY:
            media = patch.MERGE  # a Scale has no lists: apply merges like a merge patch
        result = subresources.set_scale(
            ctx.api,
            kind,
            target.namespace,
            target.name,
            lambda current: patch.apply_patch(media, current, value, "Scale"),
        )
        return object_response(result)
    raise _not_allowed(request)


def binding(request, ctx: RequestContext, target: Target):
    if request.method != "POST":
        raise _not_allowed(request)
    body, _ = bodies.object_body(request, _BINDING_KIND, check_fields=False)
    node = (body.get("target") or {}).get("name")
    if not node:
        raise errors.invalid(
            "Binding",
            target.name,
            [errors.Cause("target.name", "Required value", "FieldValueRequired")],
        )
    annotations = (body.get("metadata") or {}).get("annotations")
    result = subresources.bind(
        ctx.api, target.namespace, target.name, node, annotations
    )
    return object_response(result, status=201)


def eviction(request, ctx: RequestContext, target: Target):
    if request.method != "POST":
        raise _not_allowed(request)
    body, _ = bodies.object_body(request, _EVICTION_KIND, check_fields=False)
    name = (body.get("metadata") or {}).get("name")
    if name and name != target.name:
        raise errors.bad_request(
            f"name in URL does not match name in Eviction object ({name})"
        )
    result = subresources.evict(
        ctx.api, target.namespace, target.name, body.get("deleteOptions")
    )
    return object_response(result, status=201)


def exec_(request, ctx: RequestContext, target: Target):
    ctx.api.get(target.kind, target.namespace, target.name)  # 404 before 400
    raise errors.bad_request(EXEC_NEEDS_WEBSOCKET)


def not_simulated(request, ctx: RequestContext, target: Target):
    ctx.api.get(target.kind, target.namespace, target.name)  # 404 before 400
    raise errors.bad_request(NOT_SIMULATED[target.subresource])


def log(request, ctx: RequestContext, target: Target):
    if request.method != "GET":
        raise _not_allowed(request)
    return logs.respond(request, ctx, target)


class _Virtual:
    """Just enough of a Kind for decoding a subresource body."""

    def __init__(self, kind: str, api_version: str):
        self.kind, self.api_version = kind, api_version


_SCALE_KIND = _Virtual("Scale", "autoscaling/v1")
_BINDING_KIND = _Virtual("Binding", "v1")
_EVICTION_KIND = _Virtual("Eviction", "policy/v1")

_HANDLERS = {
    "status": status,
    "scale": scale,
    "binding": binding,
    "eviction": eviction,
    "exec": exec_,
    "log": log,
    "portforward": not_simulated,
    "attach": not_simulated,
}
