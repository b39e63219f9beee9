"""Verbs on stored objects: get, list, create, update, patch, delete, deletecollection.

Lists come back as `<Kind>List` (kubectl drops items of a plain `List`), as a Table for
`kubectl get`, or as PartialObjectMetadata; `?watch=true` hands over to `watch.py`.
"""

from __future__ import annotations

import random
import time

from cluster.apiserver import apply, decode, errors, patch, tables
from cluster.k8sapi import bodies, negotiation, watch
from cluster.k8sapi.context import RequestContext
from cluster.k8sapi.paths import Target
from cluster.k8sapi.responses import (
    dumps,
    object_response,
    raw_json_response,
    success_status,
)

_TRUE = ("true", "1")


def _method_not_allowed(request) -> errors.ApiError:
    return errors.method_not_allowed(
        f"the server does not allow this method on the requested resource ({request.method})"
    )


def _require_verb(request, target: Target, verb: str) -> None:
    if verb not in target.kind.verbs:
        raise _method_not_allowed(request)


def collection(request, ctx: RequestContext, target: Target):
    method = request.method
    if method == "GET":
        if request.GET.get("watch", "").lower() in _TRUE:
            _require_verb(request, target, "watch")
            return watch.start(request, ctx, target)
        _require_verb(request, target, "list")
        return list_objects(request, ctx, target)
    if method == "POST":
        _require_verb(request, target, "create")
        return create(request, ctx, target)
    if method == "DELETE":
        _require_verb(request, target, "deletecollection")
        return delete_collection(request, ctx, target)
    raise _method_not_allowed(request)


def item(request, ctx: RequestContext, target: Target):
    method = request.method
    verbs = {"GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
    if method not in verbs:
        raise _method_not_allowed(request)
    _require_verb(request, target, verbs[method])
    if method == "GET":
        return get(request, ctx, target)
    if method == "PUT":
        return update(request, ctx, target)
    if method == "PATCH":
        return patch_object(request, ctx, target)
    return delete(request, ctx, target)


# --- reads ---------------------------------------------------------------------------
def respond(request, ctx: RequestContext, target: Target, obj: dict, status=200):
    """One object in the shape the client asked for."""
    wanted = negotiation.wanted(request.headers.get("Accept"))
    if wanted.shape == negotiation.TABLE:
        body = tables.to_table(
            target.kind,
            [obj],
            ctx.api.now,
            negotiation.include_object(request),
            {"resourceVersion": obj.get("metadata", {}).get("resourceVersion", "")},
        )
        return object_response(body, status)
    if wanted.shape == negotiation.PARTIAL:
        return object_response(tables.partial_object_metadata(obj), status)
    return object_response(obj, status, wanted.media)


def get(request, ctx: RequestContext, target: Target):
    obj = ctx.api.get(target.kind, target.namespace, target.name)
    return respond(request, ctx, target, obj)


def list_objects(request, ctx: RequestContext, target: Target):
    wanted = negotiation.wanted(request.headers.get("Accept"))
    kind = target.kind
    raw_only = wanted.shape == negotiation.OBJECT and wanted.media == "application/json"
    result = ctx.api.list(
        kind,
        target.namespace,
        request.GET.get("labelSelector", ""),
        request.GET.get("fieldSelector", ""),
        bodies.int_param(request, "limit", 0),
        request.GET.get("continue", ""),
        decode=not raw_only,
    )
    meta: dict = {"resourceVersion": str(result.revision)}
    if result.continue_token:
        meta["continue"] = result.continue_token
        if result.remaining is not None:
            meta["remainingItemCount"] = result.remaining
    if wanted.shape == negotiation.TABLE:
        table = tables.to_table(
            kind, result.items, ctx.api.now, negotiation.include_object(request), meta
        )
        return object_response(table)
    if wanted.shape == negotiation.PARTIAL:
        return object_response(
            {
                "kind": "PartialObjectMetadataList",
                "apiVersion": tables.TABLE_API_VERSION,
                "metadata": meta,
                "items": [tables.partial_object_metadata(o) for o in result.items],
            }
        )
    head = {
        "kind": f"{kind.kind}List",
        "apiVersion": kind.api_version,
        "metadata": meta,
    }
    if not raw_only:
        return object_response({**head, "items": result.items}, media=wanted.media)
    # Stored bodies are JSON already: splice them in instead of re-encoding each one.
    text = dumps(head)[:-1] + ',"items":[' + ",".join(result.raw) + "]}"
    return raw_json_response(text)


# --- writes --------------------------------------------------------------------------
def field_manager(request, required: bool = False) -> str:
    """`?fieldManager=`, else the client's name from its User-Agent, as the apiserver does."""
    manager = request.GET.get("fieldManager", "")
    if manager and len(manager) > 128:
        raise errors.bad_request(
            "fieldManager: Too long: may not be more than 128 bytes"
        )
    if manager or required:
        return manager
    return request.headers.get("User-Agent", "").split("/")[0][:128]


def create(request, ctx: RequestContext, target: Target):
    obj, warnings = bodies.object_body(request, target.kind)
    if target.name:
        raise _method_not_allowed(request)
    obj = apply.record_update(
        None, obj, field_manager(request), target.kind.api_version, ctx.api.now
    )
    created = _create_waiting_for_default_account(
        lambda: ctx.api.create(
            obj, target.namespace, target.kind, dry_run=bodies.dry_run(request)
        )
    )
    ctx.api.warnings.extend(warnings)
    return respond(request, ctx, target, created, status=201)


# The ServiceAccount admission plugin looks a missing `default` account up 10 times,
# 100-200 ms apart: a namespace's account is made by a controller just after it, and
# `kubectl create ns x && kubectl run -n x ...` must not lose that race.
_DEFAULT_ACCOUNT_ATTEMPTS = 10
_DEFAULT_ACCOUNT_MISSING = 'serviceaccount "default" not found'


def _create_waiting_for_default_account(create):
    for attempt in range(_DEFAULT_ACCOUNT_ATTEMPTS):
        try:
            return create()
        except errors.ApiError as exc:
            last = attempt == _DEFAULT_ACCOUNT_ATTEMPTS - 1
            if last or _DEFAULT_ACCOUNT_MISSING not in exc.message:
                raise
        time.sleep(random.uniform(0.1, 0.2))


def update(request, ctx: RequestContext, target: Target, subresource: str = ""):
    """PUT: replace the object; a stale resourceVersion in the body is a Conflict."""
    obj, warnings = bodies.object_body(request, target.kind)
    meta = obj.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise errors.bad_request("metadata must be an object")
    if meta.get("name") and meta["name"] != target.name:
        raise errors.bad_request(
            f"the name of the object ({meta['name']}) does not match the name on the "
            f"URL ({target.name})"
        )
    if target.namespace and meta.get("namespace") not in (None, "", target.namespace):
        raise errors.bad_request(
            "the namespace of the provided object does not match the namespace sent "
            "on the request"
        )
    manager = field_manager(request)
    dry = bodies.dry_run(request)

    def replace(live: dict) -> dict:
        if not meta.get("resourceVersion"):
            # An unconditional PUT still must not fail the retry loop's own check.
            meta.pop("resourceVersion", None)
        return apply.record_update(
            live, obj, manager, target.kind.api_version, ctx.api.now, subresource
        )

    result = ctx.api.patch(
        target.kind,
        target.namespace,
        target.name,
        replace,
        subresource=subresource,
        verb="update" if not subresource else f"update {subresource}",
        dry_run=dry,
    )
    ctx.api.warnings.extend(warnings)
    return respond(request, ctx, target, result)


def patch_object(request, ctx: RequestContext, target: Target, subresource: str = ""):
    media = negotiation.body_media(request.content_type)
    body = bodies.raw_body(request)
    kind = target.kind
    dry = bodies.dry_run(request)
    if media == patch.APPLY:
        return _server_side_apply(request, ctx, target, body, dry, subresource)
    if media not in (patch.STRATEGIC, patch.MERGE, patch.JSON_PATCH):
        patch.apply_patch(media, {}, None, kind.kind)  # raises the 415 Status
    value = patch.parse_patch_body(body)
    if media == patch.STRATEGIC and kind.group not in _BUILTIN_GROUPS:
        raise errors.ApiError(
            415,
            "UnsupportedMediaType",
            "strategic merge patch is not supported for this resource",
        )
    manager = field_manager(request)
    validation = bodies.field_validation(request)

    def apply_fn(live: dict) -> dict:
        new = patch.apply_patch(media, live, value, kind.kind)
        if validation != "Ignore" and isinstance(new, dict):
            found = decode.check_strict(
                decode.Decoded(new), kind.kind, kind.api_version, validation
            )
            ctx.api.warnings.extend(found)
        return apply.record_update(
            live, new, manager, kind.api_version, ctx.api.now, subresource
        )

    result = ctx.api.patch(
        kind, target.namespace, target.name, apply_fn, subresource, dry_run=dry
    )
    return respond(request, ctx, target, result)


_BUILTIN_GROUPS = {
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
}


def _server_side_apply(request, ctx, target: Target, body: bytes, dry, subresource):
    kind = target.kind
    manager = field_manager(request, required=True)
    apply.require_manager(manager)
    force = request.GET.get("force", "").lower() in _TRUE
    decoded = decode.decode(body, patch.APPLY)
    applied = decoded.obj
    if not isinstance(applied, dict):
        raise errors.bad_request("the apply patch must be an object")
    bodies._check_type(applied, kind)
    validation = bodies.field_validation(request)
    ctx.api.warnings.extend(
        decode.check_strict(decoded, kind.kind, kind.api_version, validation)
    )
    meta = applied.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise errors.bad_request("metadata must be an object")
    if meta.get("name") and meta["name"] != target.name:
        raise errors.bad_request(
            f"the name of the object ({meta['name']}) does not match the name on the "
            f"URL ({target.name})"
        )
    meta["name"] = target.name
    try:
        ctx.api.get(kind, target.namespace, target.name)
        exists = True
    except errors.ApiError as exc:
        if exc.reason != "NotFound" or subresource:
            raise
        exists = False
    if not exists:
        obj = apply.server_side_apply(
            None, applied, kind.kind, manager, kind.api_version, ctx.api.now, force
        )
        created = ctx.api.create(obj, target.namespace, kind, dry_run=dry)
        return respond(request, ctx, target, created, status=201)

    def apply_fn(live: dict) -> dict:
        return apply.server_side_apply(
            live,
            applied,
            kind.kind,
            manager,
            kind.api_version,
            ctx.api.now,
            force,
            subresource,
        )

    result = ctx.api.patch(
        kind, target.namespace, target.name, apply_fn, subresource, dry_run=dry
    )
    return respond(request, ctx, target, result)


def delete(request, ctx: RequestContext, target: Target):
    options = bodies.delete_options(request)
    kind = target.kind
    preconditions = options.get("preconditions") or {}
    if options.get("dryRun"):
        obj = ctx.api.get(kind, target.namespace, target.name)
        return respond(request, ctx, target, obj)
    result = ctx.api.delete(
        kind,
        target.namespace,
        target.name,
        grace_period=options.get("gracePeriodSeconds"),
        propagation=options.get("propagationPolicy"),
        uid=preconditions.get("uid") or "",
        resource_version=preconditions.get("resourceVersion") or "",
    )
    meta = result.get("metadata", {})
    if kind.kind == "Pod" or meta.get("deletionTimestamp"):
        return respond(request, ctx, target, result)
    details = {"name": target.name, "kind": kind.plural, "uid": meta.get("uid", "")}
    if kind.group:
        details["group"] = kind.group
    return object_response(success_status(details=details))


def delete_collection(request, ctx: RequestContext, target: Target):
    options = bodies.delete_options(request)
    kind = target.kind
    found = ctx.api.list(
        kind,
        target.namespace,
        request.GET.get("labelSelector", ""),
        request.GET.get("fieldSelector", ""),
    )
    deleted = []
    for obj in found.items or []:
        meta = obj["metadata"]
        if options.get("dryRun"):
            deleted.append(obj)
            continue
        try:
            deleted.append(
                ctx.api.delete(
                    kind,
                    meta.get("namespace"),
                    meta["name"],
                    grace_period=options.get("gracePeriodSeconds"),
                    propagation=options.get("propagationPolicy"),
                )
            )
        except errors.ApiError as exc:
            if exc.reason != "NotFound":  # gone meanwhile: nothing left to do
                raise
    body = {
        "kind": f"{kind.kind}List",
        "apiVersion": kind.api_version,
        "metadata": {"resourceVersion": str(found.revision)},
        "items": deleted,
    }
    return object_response(body)
