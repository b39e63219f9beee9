"""The `/openapi/v3` documents: an index of group/versions and one document each.

kubectl reads them to learn that the server validates fields (`fieldValidation`) and,
for `kubectl explain`, the component schemas. Schemas are generated from the protobuf
field table, with embedded structs inlined as in JSON, and carry the descriptions,
`required` lists, enums and defaults of `openapi_docs`. PATCH operations do not offer
strategic merge patch in `requestBody`, so kubectl computes those patches from the
types compiled into it.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from cluster.apiserver import discovery, openapi_docs
from cluster.apiserver.decode import is_inline
from cluster.apiserver.protobuf import (
    DURATION,
    INT_OR_STRING,
    MICRO_TIME,
    QUANTITY,
    RAW_MESSAGES,
    TIME,
    field_table,
)
from cluster.kinds import Kind

OPENAPI_VERSION = "3.0.0"
PATCH_CONTENT_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
)
_SCALARS = {
    "string": {"type": "string"},
    "bytes": {"type": "string", "format": "byte"},
    "bool": {"type": "boolean"},
    "int32": {"type": "integer", "format": "int32"},
    "int64": {"type": "integer", "format": "int64"},
    "uint32": {"type": "integer", "format": "int32"},
    "uint64": {"type": "integer", "format": "int64"},
    "double": {"type": "number", "format": "double"},
    "float": {"type": "number", "format": "float"},
}
_SPECIAL = {
    TIME: {"type": "string", "format": "date-time"},
    MICRO_TIME: {"type": "string", "format": "date-time"},
    QUANTITY: {"oneOf": [{"type": "string"}, {"type": "number"}]},
    INT_OR_STRING: {
        "format": "int-or-string",
        "oneOf": [{"type": "integer"}, {"type": "string"}],
    },
    DURATION: {"type": "string"},
    **{name: {"type": "object"} for name in RAW_MESSAGES},
}


def schema_name(message: str) -> str:
    """`k8s.io.api.core.v1.Pod` → `io.k8s.api.core.v1.Pod`, as kube-apiserver names it."""
    return "io.k8s." + message.removeprefix("k8s.io.")


def _ref(message: str) -> dict:
    return {"$ref": f"#/components/schemas/{schema_name(message)}"}


def _type_schema(type_: str) -> dict:
    if type_ in _SCALARS:
        return dict(_SCALARS[type_])
    if type_.endswith(".ExtraValue"):
        return {"type": "array", "items": {"type": "string"}}
    return _ref(type_)


def _field_schema(field: dict, message: str, facts: dict) -> dict:
    if "map" in field:
        schema = {
            "type": "object",
            "additionalProperties": _type_schema(field["map"][1]),
        }
    else:
        item = _type_schema(field["t"])
        if field.get("r"):
            schema = {"type": "array", "items": item}
        elif "$ref" in item:
            schema = {"allOf": [item], "default": {}}
        else:
            schema = item
    name = field["n"]
    if doc := openapi_docs.field_doc(message, name):
        schema["description"] = doc
    if name in facts.get("enum", {}):
        schema["enum"] = facts["enum"][name]
    if name in facts.get("default", {}):
        schema["default"] = facts["default"][name]
    return schema


def _fields(message: str) -> list[dict]:
    fields = field_table()["messages"][message]
    return [f for _, f in sorted(fields.items(), key=lambda i: int(i[0]))]


def _properties(message: str) -> tuple[dict, list[str]]:
    """A message's JSON properties and required names; embedded structs are inlined."""
    facts = openapi_docs.facts(message)
    properties, required = {}, list(facts.get("required", []))
    for field in _fields(message):
        if is_inline(message, field["n"]):
            inner, inner_required = _properties(field["t"])
            properties.update(inner)
            required += inner_required
        else:
            properties[field["n"]] = _field_schema(field, message, facts)
    return properties, required


def _message_schema(message: str) -> dict:
    if message in _SPECIAL:
        schema = dict(_SPECIAL[message])
    else:
        properties, required = _properties(message)
        schema = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
    if about := openapi_docs.type_doc(message):
        schema["description"] = about
    return schema


def _references(message: str) -> list[str]:
    if message in _SPECIAL:
        return []
    names = []
    for f in _fields(message):
        t = f["map"][1] if "map" in f else f["t"]
        if "map" not in f and is_inline(message, f["n"]):
            names += _references(t)
        elif t not in _SCALARS and not t.endswith(".ExtraValue"):
            names.append(t)
    return names


def _message_of(kind: Kind) -> str | None:
    from cluster.apiserver.protobuf import message_for

    return message_for(kind.api_version, kind.kind)


def _kind_schema(kind: Kind, message: str) -> dict:
    schema = _message_schema(message)
    properties = {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        **schema["properties"],
    }
    for name, prop in properties.items():
        doc = openapi_docs.kind_field_doc(kind.kind, name)
        if doc and "description" not in prop:
            properties[name] = {**prop, "description": doc}
    schema["properties"] = properties
    schema["x-kubernetes-group-version-kind"] = [
        {"group": kind.group, "kind": kind.kind, "version": kind.version}
    ]
    return schema


def _schemas(kinds: list[tuple[Kind, str]]) -> dict:
    schemas: dict = {}
    pending = [m for _, m in kinds]
    while pending:
        message = pending.pop()
        name = schema_name(message)
        if name in schemas:
            continue
        schemas[name] = _message_schema(message)
        pending += _references(message)
    for kind, message in kinds:
        schemas[schema_name(message)] = _kind_schema(kind, message)
    return {k: schemas[k] for k in sorted(schemas)}


def _operation(kind: Kind, action: str, message: str) -> dict:
    op = {
        "operationId": f"{action}{kind.kind}",
        "parameters": [],
        "responses": {
            "200": {
                "description": "OK",
                "content": {"application/json": {"schema": _ref(message)}},
            }
        },
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {
            "group": kind.group,
            "version": kind.version,
            "kind": kind.kind,
        },
    }
    if action == "patch":
        op["parameters"] = [
            {"name": "fieldManager", "in": "query", "schema": {"type": "string"}},
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
            {"name": "force", "in": "query", "schema": {"type": "boolean"}},
        ]
        op["requestBody"] = {
            "content": {t: {"schema": {"type": "object"}} for t in PATCH_CONTENT_TYPES}
        }
    return op


def _paths(kind: Kind, message: str) -> dict:
    root = f"/apis/{kind.group}/{kind.version}" if kind.group else "/api/v1"
    scope = "/namespaces/{namespace}" if kind.namespaced else ""
    collection = f"{root}{scope}/{kind.plural}"
    params = [
        {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    if kind.namespaced:
        params.append(
            {
                "name": "namespace",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            }
        )
    item = {"parameters": params}
    for verb, action in (
        ("get", "get"),
        ("put", "put"),
        ("patch", "patch"),
        ("delete", "delete"),
    ):
        item[verb] = _operation(kind, action, message)
    listing = {"post": _operation(kind, "post", message)}
    if kind.namespaced:
        listing["parameters"] = params[1:]
    return {collection: listing, f"{collection}/{{name}}": item}


@cache
def document(group: str, version: str) -> dict | None:
    """The OpenAPI v3 document of one group/version, or None when it is not served."""
    kinds = [
        (k, m)
        for k in discovery.kinds_in(group, version)
        if k.stored and (m := _message_of(k))
    ]
    if not kinds:
        return None
    paths: dict = {}
    for kind, message in kinds:
        paths.update(_paths(kind, message))
    title = "Kubernetes"
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": "v1.32.4"},
        "paths": paths,
        "components": {"schemas": _schemas(kinds)},
    }


def document_key(group: str, version: str) -> str:
    """The index key of a group/version: `api/v1` or `apis/apps/v1`."""
    return f"apis/{group}/{version}" if group else f"api/{version}"


@cache
def document_hash(group: str, version: str) -> str:
    """A stable hash of a document, as its `?hash=` parameter."""
    text = json.dumps(document(group, version), sort_keys=True, separators=(",", ":"))
    return hashlib.sha512(text.encode()).hexdigest().upper()


def index() -> dict:
    """The `/openapi/v3` index: one `serverRelativeURL` per served group/version."""
    paths = {}
    for group, versions in discovery.group_versions().items():
        for version in versions:
            if document(group, version) is None:
                continue
            key = document_key(group, version)
            paths[key] = {
                "serverRelativeURL": f"/openapi/v3/{key}?hash={document_hash(group, version)}"
            }
    return {"paths": paths}
