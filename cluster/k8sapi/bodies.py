"""Request bodies and query options: JSON, YAML or protobuf objects, delete options.

Decoding failures are 400s and oversized bodies 413s, with the apiserver's wording.
"""

from __future__ import annotations

import json

from django.conf import settings

from cluster.apiserver import decode, errors, protobuf
from cluster.k8sapi import negotiation
from cluster.kinds import Kind

FIELD_VALIDATION = ("Strict", "Warn", "Ignore")


def raw_body(request) -> bytes:
    limit = settings.K8S_MAX_BODY_BYTES
    length = request.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > limit:
        raise errors.request_entity_too_large(limit)
    body = request.body
    if len(body) > limit:
        raise errors.request_entity_too_large(limit)
    return body


def object_body(request, kind: Kind, check_fields: bool = True) -> tuple[dict, list]:
    """The object a create/update body holds, and any field-validation warnings."""
    media = negotiation.body_media(request.content_type)
    negotiation.check_body_media(media)
    body = raw_body(request)
    if media == negotiation.PROTOBUF:
        decoded = decode.Decoded(protobuf.decode(body))
    else:
        decoded = decode.decode(body, media, settings.K8S_MAX_BODY_BYTES)
    obj = decoded.obj
    if not isinstance(obj, dict):
        raise errors.bad_request("the body of the request must be an object")
    _check_type(obj, kind)
    warnings: list[str] = []
    if check_fields and media != negotiation.PROTOBUF:
        warnings = decode.check_strict(
            decoded,
            kind.kind,
            kind.api_version,
            field_validation(request),
            whole_object=True,
        )
    return obj, warnings


def _check_type(obj: dict, kind: Kind) -> None:
    """Fill a missing kind/apiVersion from the URL; refuse a different one."""
    body_kind, body_version = obj.get("kind"), obj.get("apiVersion")
    if body_version and body_version != kind.api_version:
        raise errors.bad_request(
            f"the API version in the data ({body_version}) does not match the expected "
            f"API version ({kind.api_version})"
        )
    if body_kind and body_kind != kind.kind:
        raise errors.bad_request(
            f"the kind in the data ({body_kind}) does not match the expected kind "
            f"({kind.kind})"
        )
    obj["kind"], obj["apiVersion"] = kind.kind, kind.api_version


def field_validation(request) -> str:
    value = request.GET.get("fieldValidation", "") or "Warn"
    if value not in FIELD_VALIDATION:
        raise errors.bad_request(
            f'fieldValidation: Unsupported value: "{value}": supported values: '
            '"Ignore", "Strict", "Warn"'
        )
    return value


def dry_run(request) -> bool:
    values = request.GET.getlist("dryRun")
    for value in values:
        if value != "All":
            raise errors.bad_request(
                f'dryRun: Unsupported value: "{value}": supported values: "All"'
            )
    return bool(values)


def int_param(request, name: str, default=None, minimum: int = 0):
    value = request.GET.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise errors.bad_request(
            f'invalid value "{value}" for {name}: must be an integer'
        ) from None
    if number < minimum:
        raise errors.bad_request(
            f"{name}: Invalid value: {number}: must be >= {minimum}"
        )
    return number


def delete_options(request) -> dict:
    """DeleteOptions from the body (kubectl sends JSON) merged over query parameters."""
    options: dict = {}
    body = raw_body(request)
    if body.strip():
        media = negotiation.body_media(request.content_type)
        if media == negotiation.PROTOBUF:
            options = protobuf.decode(body)
        else:
            try:
                options = json.loads(body)
            except (ValueError, UnicodeDecodeError) as exc:
                raise errors.bad_request(f"invalid DeleteOptions: {exc}") from None
        if not isinstance(options, dict):
            raise errors.bad_request("invalid DeleteOptions: must be an object")
    grace = int_param(request, "gracePeriodSeconds")
    if grace is not None:
        options["gracePeriodSeconds"] = grace
    if request.GET.get("propagationPolicy"):
        options["propagationPolicy"] = request.GET["propagationPolicy"]
    if request.GET.get("dryRun"):
        options["dryRun"] = request.GET.getlist("dryRun")
    if options.get("orphanDependents") is True and not options.get("propagationPolicy"):
        options["propagationPolicy"] = "Orphan"
    policy = options.get("propagationPolicy")
    if policy not in (None, "Background", "Foreground", "Orphan"):
        raise errors.bad_request(
            f'propagationPolicy: Unsupported value: "{policy}": supported values: '
            '"Foreground", "Background", "Orphan"'
        )
    grace = options.get("gracePeriodSeconds")
    if grace is not None and (not isinstance(grace, int) or isinstance(grace, bool)):
        raise errors.bad_request("gracePeriodSeconds must be an integer")
    for value in options.get("dryRun") or []:
        if value != "All":
            raise errors.bad_request(
                f'dryRun: Unsupported value: "{value}": supported values: "All"'
            )
    return options
