"""Safe request-body decoding: JSON and YAML with limits checked before expansion.

kube-apiserver caps a body at 3 MiB (MaxRequestBodyBytes) and its JSON/YAML decoders
stop at a nesting depth; YAML aliases are bounded so a few hundred bytes cannot
expand into gigabytes ("billion laughs"). Every failure is an `ApiError` with the
message kube-apiserver gives, never a Python exception. Strict field validation
(`?fieldValidation=Strict`) checks a decoded object against the field table of the
Kubernetes API types vendored in `data/`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from cluster.apiserver import errors

MAX_BODY_BYTES = 3 * 1024 * 1024
# Go's decoders stop at 10000 levels; real manifests stay under 30, and a tighter
# bound keeps every recursive walk over a decoded object far from Python's stack.
MAX_DEPTH = 100
# Nodes a YAML stream may hold once every alias is expanded.
MAX_YAML_EXPANDED_NODES = 1_000_000
MAX_YAML_ALIASES = 10_000

JSON_PARSE_ERROR = "couldn't get version/kind; json parse error: "
YAML_PARSE_ERROR = "error converting YAML to JSON: "
NOT_AN_OBJECT = (
    "json: cannot unmarshal {what} into Go value of type struct "
    '{{ APIVersion string "json:\\"apiVersion,omitempty\\""; '
    'Kind string "json:\\"kind,omitempty\\"" }}'
)
MAX_DEPTH_ERROR = f"exceeded max depth of {MAX_DEPTH}"
EXCESSIVE_ALIASING = "yaml: document contains excessive aliasing"


@dataclass
class Decoded:
    """One decoded object plus the strict-mode findings made while parsing it."""

    obj: dict
    duplicates: list[str] = field(default_factory=list)  # `duplicate field "a.b"`


class _Limit(Exception):
    pass


def decode(
    body: bytes | str,
    content_type: str = "application/json",
    max_bytes: int = MAX_BODY_BYTES,
) -> Decoded:
    """Decode a single-object request body (JSON, or YAML when the media type says so)."""
    docs = _decode(body, content_type, max_bytes, multi=False)
    if len(docs) != 1:
        raise errors.bad_request(JSON_PARSE_ERROR + NOT_AN_OBJECT.format(what="null"))
    return docs[0]


def decode_documents(
    body: bytes | str,
    content_type: str = "application/yaml",
    max_bytes: int = MAX_BODY_BYTES,
) -> list[Decoded]:
    """Decode every non-empty document of a (multi-document) YAML or JSON body."""
    return _decode(body, content_type, max_bytes, multi=True)


def is_yaml(content_type: str) -> bool:
    """Whether a media type names YAML (`application/yaml`, `application/apply-patch+yaml`)."""
    media = (content_type or "").split(";")[0].strip().lower()
    return media.endswith("yaml")


def _decode(body, content_type: str, max_bytes: int, multi: bool) -> list[Decoded]:
    size = len(body.encode() if isinstance(body, str) else body)
    if size > max_bytes:
        raise errors.request_entity_too_large(max_bytes)
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise errors.bad_request(
                f"{JSON_PARSE_ERROR}invalid UTF-8 at byte {exc.start}"
            ) from None
    else:
        text = body
    if is_yaml(content_type):
        return _decode_yaml(text, multi)
    return [_decode_json(text)]


# --- JSON -------------------------------------------------------------------------

_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _json_depth_ok(text: str) -> bool:
    depth = 0
    for m in _JSON_TOKENS.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return False
        elif c in "]}":
            depth -= 1
    return True


def _reject_constant(name: str):
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


def _decode_json(text: str) -> Decoded:
    if not _json_depth_ok(text):
        raise errors.bad_request(JSON_PARSE_ERROR + MAX_DEPTH_ERROR)
    keys_of: dict[int, list[str]] = {}
    keep: list[dict] = []

    def pairs(items):
        d = dict(items)
        if len(d) != len(items):
            keys_of[id(d)] = [k for k, _ in items]
            keep.append(d)
        return d

    try:
        obj = json.loads(text, object_pairs_hook=pairs, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise errors.bad_request(JSON_PARSE_ERROR + str(exc)) from None
    if not isinstance(obj, dict):
        raise errors.bad_request(
            JSON_PARSE_ERROR + NOT_AN_OBJECT.format(what=_json_kind(obj))
        )
    duplicates: list[str] = []
    if keys_of:
        _find_duplicates(obj, "", keys_of, duplicates)
    return Decoded(obj, duplicates)


def _json_kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array"


def _find_duplicates(value, path: str, keys_of: dict, out: list[str]) -> None:
    if isinstance(value, dict):
        raw = keys_of.get(id(value))
        if raw:
            seen: set[str] = set()
            for k in raw:
                if k in seen:
                    msg = f'duplicate field "{_join(path, k)}"'
                    if msg not in out:
                        out.append(msg)
                seen.add(k)
        for k, v in value.items():
            _find_duplicates(v, _join(path, k), keys_of, out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _find_duplicates(v, f"{path}[{i}]", keys_of, out)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --- YAML -------------------------------------------------------------------------


class _BoundedComposer(Composer):
    """A composer that counts aliases, nesting and duplicate keys as it builds nodes."""

    def __init__(self):
        super().__init__()
        self.aliases = 0
        self.depth = 0
        self.duplicate_lines: list[str] = []

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_YAML_ALIASES:
                raise _Limit(EXCESSIVE_ALIASING)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Limit(MAX_DEPTH_ERROR)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def compose_mapping_node(self, anchor):
        node = super().compose_mapping_node(anchor)
        seen: set = set()
        for key, _ in node.value:
            if isinstance(key, ScalarNode):
                if key.value in seen:
                    self.duplicate_lines.append(
                        f'line {key.start_mark.line + 1}: key "{key.value}" already set in map'
                    )
                seen.add(key.value)
        return node


class _JSONCompatibleConstructor(SafeConstructor):
    """Constructs plain JSON values: timestamps stay strings, keys become strings."""

    def construct_mapping(self, node, deep=False):
        # Keys become strings while building, so `1` and `true` stay two keys.
        if isinstance(node, MappingNode):
            self.flatten_mapping(node)
        mapping = {}
        for key_node, value_node in node.value:
            key = _key(self.construct_object(key_node, deep=deep))
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_yaml_timestamp(self, node):
        return self.construct_scalar(node)

    def construct_yaml_binary(self, node):
        return self.construct_scalar(node)


_JSONCompatibleConstructor.add_constructor(
    "tag:yaml.org,2002:timestamp", _JSONCompatibleConstructor.construct_yaml_timestamp
)
_JSONCompatibleConstructor.add_constructor(
    "tag:yaml.org,2002:binary", _JSONCompatibleConstructor.construct_yaml_binary
)


class _BoundedLoader(
    Reader, Scanner, Parser, _BoundedComposer, _JSONCompatibleConstructor, Resolver
):
    def __init__(self, stream):
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _BoundedComposer.__init__(self)
        _JSONCompatibleConstructor.__init__(self)
        Resolver.__init__(self)


def _expanded_size(root: Node) -> int:
    """Nodes in the tree once aliases are expanded, counted over the shared graph."""
    memo: dict[int, int] = {}
    # Post-order over the node graph without recursion; aliases make it a DAG.
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in memo:
            continue
        children = _children(node)
        if not done:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in memo)
            continue
        total = 1 + sum(memo.get(id(c), 0) for c in children)
        if total > MAX_YAML_EXPANDED_NODES:
            raise _Limit(EXCESSIVE_ALIASING)
        memo[id(node)] = total
    return memo[id(root)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _yaml_error(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return f"yaml: line {mark.line + 1}: {problem}"
    return f"yaml: {problem}"


def _decode_yaml(text: str, multi: bool) -> list[Decoded]:
    loader = _BoundedLoader(text)
    docs: list[Decoded] = []
    expanded = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            expanded += _expanded_size(node)
            if expanded > MAX_YAML_EXPANDED_NODES:
                raise _Limit(EXCESSIVE_ALIASING)
            value = loader.construct_document(node)
            duplicates = (
                ["yaml: unmarshal errors:\n  " + "\n  ".join(loader.duplicate_lines)]
                if loader.duplicate_lines
                else []
            )
            loader.duplicate_lines = []
            if value is None:
                continue
            if not multi and docs:
                break
            docs.append(Decoded(_to_json(value, 0), duplicates))
    except _Limit as exc:
        raise errors.bad_request(YAML_PARSE_ERROR + str(exc)) from None
    except yaml.YAMLError as exc:
        raise errors.bad_request(YAML_PARSE_ERROR + _yaml_error(exc)) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise errors.bad_request(YAML_PARSE_ERROR + f"yaml: {exc}") from None
    finally:
        loader.dispose()
    for doc in docs:
        if not isinstance(doc.obj, dict):
            what = _json_kind(doc.obj)
            raise errors.bad_request(JSON_PARSE_ERROR + NOT_AN_OBJECT.format(what=what))
    return docs


def _to_json(value, depth: int):
    """A JSON-compatible copy: string keys, no shared references, finite numbers."""
    if depth > MAX_DEPTH:
        raise _Limit(MAX_DEPTH_ERROR)
    if isinstance(value, dict):
        return {_key(k): _to_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_json(v, depth + 1) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"json: unsupported value: {value}")
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _key(k) -> str:
    if isinstance(k, str):
        return k
    if k is None:
        return "null"
    if isinstance(k, bool):
        return "true" if k else "false"
    return str(k)


# --- Strict field validation ----------------------------------------------------

STRICT_ERROR_PREFIX = "strict decoding error: "
CANNOT_HANDLE = '{kind} in version "{version}" cannot be handled as a {kind}: {error}'
MAX_STRICT_ERRORS = 100
TABLE_PATH = Path(__file__).parent / "data" / "k8s-protobuf-fields.json"

_META = "k8s.io.apimachinery.pkg.apis.meta.v1."
# Types whose JSON form is a scalar or free-form value: nothing inside is checked.
_OPAQUE = {
    _META + "Time",
    _META + "MicroTime",
    _META + "Duration",
    _META + "FieldsV1",
    "k8s.io.apimachinery.pkg.api.resource.Quantity",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString",
    "k8s.io.apimachinery.pkg.runtime.RawExtension",
    "k8s.io.api.authentication.v1.ExtraValue",
}
# Embedded Go structs (`json:",inline"`): their fields sit in the parent's JSON object.
_INLINE = {
    ("k8s.io.api.core.v1.Volume", "volumeSource"),
    ("k8s.io.api.core.v1.PersistentVolumeSpec", "persistentVolumeSource"),
    ("k8s.io.api.core.v1.Probe", "handler"),
    ("k8s.io.api.core.v1.EphemeralContainer", "ephemeralContainerCommon"),
    (
        "k8s.io.api.admissionregistration.v1.NamedRuleWithOperations",
        "ruleWithOperations",
    ),
    ("k8s.io.api.admissionregistration.v1.RuleWithOperations", "rule"),
}
# Embedded structs that appear under one field name wherever they are used.
_INLINE_NAMES = {"localObjectReference", "ingressRuleValue", "deviceConfiguration"}
_QUANTITY = "k8s.io.apimachinery.pkg.api.resource.Quantity"
_SCALARS = {
    "string",
    "bool",
    "int32",
    "int64",
    "uint32",
    "uint64",
    "double",
    "float",
    "bytes",
}


@dataclass(frozen=True)
class _Field:
    type: str  # message name or scalar type
    repeated: bool = False
    map_value: str | None = None


_table_cache: dict = {}


def _table() -> dict:
    if not _table_cache:
        with TABLE_PATH.open(encoding="utf-8") as f:
            data = json.load(f)
        _table_cache["messages"] = data["messages"]
        by_gvk = {}
        for package, gv in data["packages"].items():
            by_gvk[gv] = package
        _table_cache["packages"] = by_gvk
        _table_cache["fields"] = {}
    return _table_cache


def is_inline(message: str, name: str) -> bool:
    """Whether a table field is an embedded struct whose fields sit in the parent."""
    return (message, name) in _INLINE or name in _INLINE_NAMES


def _fields(message: str) -> dict[str, _Field]:
    table = _table()
    cached = table["fields"].get(message)
    if cached is not None:
        return cached
    out: dict[str, _Field] = {}
    for spec in table["messages"].get(message, {}).values():
        name = spec["n"]
        if "map" in spec:
            out[name] = _Field("map", map_value=spec["map"][1])
        elif is_inline(message, name):
            out.update(_fields(spec["t"]))
        else:
            out[name] = _Field(spec["t"], bool(spec.get("r")))
    table["fields"][message] = out
    return out


def message_for(kind: str, api_version: str) -> str | None:
    """The proto message name of a served kind, e.g. `k8s.io.api.apps.v1.Deployment`."""
    package = _table()["packages"].get(api_version)
    if package is None:
        return None
    name = f"{package}.{kind}"
    return name if name in _table()["messages"] else None


@dataclass
class FieldReport:
    """What a walk of an object against its schema found."""

    unknown: list[str] = field(default_factory=list)  # `unknown field "spec.foo"`
    type_error: str | None = None


def check_fields(obj: dict, kind: str, api_version: str) -> FieldReport:
    """Unknown fields and the first JSON type mismatch of `obj` against its kind's schema."""
    report = FieldReport()
    message = message_for(kind, api_version)
    if message is None:
        return report
    fields = dict(_fields(message))
    fields["apiVersion"] = fields["kind"] = _Field("string")
    _walk_message(obj, fields, "", kind, report)
    return report


def _go_type(f: _Field, element: bool = False) -> str:
    if f.map_value is not None:
        return f"map[string]{_go_name(f.map_value)}"
    base = _go_name(f.type)
    return f"[]{base}" if f.repeated and not element else base


def _go_name(proto: str) -> str:
    if proto in _SCALARS:
        return {"double": "float64", "float": "float32", "bytes": "[]uint8"}.get(
            proto, proto
        )
    package, _, name = proto.rpartition(".")
    short = package.rpartition(".")[2]
    return f"{short}.{name}"


def _walk_message(
    value: dict, fields: dict, path: str, struct: str, report: FieldReport
):
    for key, item in value.items():
        here = _join(path, key)
        f = fields.get(key)
        if f is None:
            if len(report.unknown) < MAX_STRICT_ERRORS:
                report.unknown.append(f'unknown field "{here}"')
            continue
        _walk_value(item, f, here, struct, report)


def _walk_value(item, f: _Field, path: str, struct: str, report: FieldReport):
    if item is None:
        return
    if f.map_value is not None:
        if not isinstance(item, dict):
            _type_error(report, item, struct, path, _go_type(f))
            return
        element = _Field(f.map_value)
        for k, v in item.items():
            _walk_element(v, element, f"{path}.{k}", path, struct, report)
        return
    if f.repeated:
        if f.type == "bytes" and isinstance(item, str):
            return
        if not isinstance(item, list):
            _type_error(report, item, struct, path, _go_type(f))
            return
        for i, v in enumerate(item):
            _walk_element(v, f, f"{path}[{i}]", path, struct, report)
        return
    _walk_element(item, f, path, path, struct, report)


def _walk_element(
    item, f: _Field, path: str, go_path: str, struct: str, report: FieldReport
):
    if item is None or f.type in _OPAQUE:
        return
    if f.type in _SCALARS:
        problem = _scalar_mismatch(item, f.type)
        if problem:
            _type_error(
                report, item, struct, go_path, _go_type(f, element=True), problem
            )
        return
    if not isinstance(item, dict):
        _type_error(report, item, struct, go_path, _go_type(f, element=True))
        return
    _walk_message(item, _fields(f.type), path, f.type.rpartition(".")[2], report)


def _scalar_mismatch(item, type_: str) -> str | None:
    if type_ in ("string", "bytes"):
        return None if isinstance(item, str) else _json_kind(item)
    if type_ == "bool":
        return None if isinstance(item, bool) else _json_kind(item)
    if isinstance(item, bool) or not isinstance(item, (int, float)):
        return (
            _json_kind(item) if not isinstance(item, (dict, list)) else _json_kind(item)
        )
    if type_ in ("double", "float"):
        return None
    if isinstance(item, float) and not item.is_integer():
        return f"number {item:g}"
    return None


def _type_error(report, item, struct, path, go_type, what=None) -> None:
    if report.type_error is None:
        what = what or ("object" if isinstance(item, dict) else _json_kind(item))
        report.type_error = f"json: cannot unmarshal {what} into Go struct field {struct}.{path} of type {go_type}"


def strict_errors(decoded: Decoded, kind: str, api_version: str) -> list[str]:
    """Every strictness violation of a decoded body: duplicate then unknown fields."""
    report = check_fields(decoded.obj, kind, api_version)
    found = list(decoded.duplicates) + report.unknown
    return found[:MAX_STRICT_ERRORS]


def check_strict(
    decoded: Decoded,
    kind: str,
    api_version: str,
    field_validation: str = "Strict",
    whole_object: bool = False,
) -> list[str]:
    """Apply `?fieldValidation=`: raise 400 when Strict, return warnings when Warn.

    The body of a create or update (`whole_object`) is decoded as the kind, so its
    strict errors read as decoding errors do (`Pod in version "v1" cannot be handled
    as a Pod: strict decoding error: ...`); a patch's are bare."""
    report = check_fields(decoded.obj, kind, api_version)
    version = api_version.rpartition("/")[2]
    if report.type_error:
        raise errors.bad_request(
            CANNOT_HANDLE.format(kind=kind, version=version, error=report.type_error)
        )
    found = (list(decoded.duplicates) + report.unknown)[:MAX_STRICT_ERRORS]
    mode = (field_validation or "Strict").capitalize()
    if not found or mode == "Ignore":
        return []
    if mode == "Strict":
        error = STRICT_ERROR_PREFIX + ", ".join(found)
        if whole_object:
            error = CANNOT_HANDLE.format(kind=kind, version=version, error=error)
        raise errors.bad_request(error)
    return found
