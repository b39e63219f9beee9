"""Content negotiation: what kubectl accepts back, and what it sent.

kubectl asks for a `meta.k8s.io` Table for `get`, protobuf-then-JSON from typed clients
and JSON elsewhere. Only JSON (and YAML) is written back; protobuf is read, never sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from cluster.apiserver import errors, protobuf, tables
from cluster.k8sapi.responses import JSON, YAML, not_acceptable

OBJECT, TABLE, PARTIAL = "object", "table", "partial"
PROTOBUF = protobuf.CONTENT_TYPE


@dataclass(frozen=True)
class Wanted:
    """The answer's shape (object, Table or PartialObjectMetadata) and media type."""

    shape: str = OBJECT
    media: str = JSON


def _ranges(accept: str):
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        values = {}
        for p in params:
            key, _, value = p.partition("=")
            values[key.strip().lower()] = value.strip()
        if media:
            yield media.lower(), values


def wanted(accept: str | None) -> Wanted:
    """The first acceptable answer in the client's order; 406 when none is."""
    if not accept or not accept.strip():
        return Wanted()
    for media, params in _ranges(accept):
        as_ = params.get("as")
        if media in (JSON, "application/*", "*/*") and as_:
            if params.get("g") != "meta.k8s.io":
                continue
            if as_ == "Table" and params.get("v") in ("v1", "v1beta1"):
                return Wanted(TABLE)
            if as_ in ("PartialObjectMetadata", "PartialObjectMetadataList"):
                return Wanted(PARTIAL)
            continue
        if media in (JSON, "application/*", "*/*", "application/json-patch+json"):
            return Wanted()
        if media == YAML:
            return Wanted(media=YAML)
    raise not_acceptable(accept)


def body_media(content_type: str | None) -> str:
    """The request body's media type without parameters (JSON when absent)."""
    return (content_type or JSON).split(";")[0].strip().lower() or JSON


def check_body_media(media: str) -> None:
    """Bodies of create/update: JSON, YAML or the typed clients' protobuf; else 415."""
    if media not in (JSON, YAML, PROTOBUF):
        raise errors.unsupported_media_type(media)


_INCLUDE_OBJECT = (tables.INCLUDE_NONE, tables.INCLUDE_METADATA, tables.INCLUDE_OBJECT)


def include_object(request) -> str:
    """`?includeObject=` of a Table: what each row carries (PartialObjectMetadata by default)."""
    value = request.GET.get("includeObject") or tables.INCLUDE_METADATA
    if value not in _INCLUDE_OBJECT:
        raise errors.bad_request(
            f'includeObject: Unsupported value: "{value}": supported values: '
            '"None", "Metadata", "Object"'
        )
    return value
