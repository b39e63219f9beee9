"""Decode the protobuf bodies of kubectl's typed clients into the JSON they stand for.

A body is the magic `k8s\\0` followed by a `runtime.Unknown` whose `raw` holds the
object's own message. Decoding is driven by the vendored field table; the result is
normalised to what Go's JSON encoding would have produced (zero values of `omitempty`
fields dropped), so a decoded body equals the JSON kubectl sends for the same command.
"""

from __future__ import annotations

import base64
import json
import struct
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from cluster.apiserver.decode import is_inline
from cluster.apiserver.errors import ApiError, bad_request

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"
TABLE_PATH = Path(__file__).parent / "data" / "k8s-protobuf-fields.json"
UNKNOWN_MESSAGE = "k8s.io.apimachinery.pkg.runtime.Unknown"
MALFORMED = "the body of the request was in an unknown format"
META = "k8s.io.apimachinery.pkg.apis.meta.v1."
TIME, MICRO_TIME = META + "Time", META + "MicroTime"
QUANTITY = "k8s.io.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = "k8s.io.apimachinery.pkg.util.intstr.IntOrString"
RAW_MESSAGES = ("k8s.io.apimachinery.pkg.runtime.RawExtension", META + "FieldsV1")
DURATION = META + "Duration"
_VARINT_TYPES = {"int32", "int64", "uint32", "uint64", "bool", "sint32", "sint64"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _Malformed(ValueError):
    """The bytes are not a valid message of the expected type."""


@cache
def field_table() -> dict:
    """The vendored field table: messages, packages and keepZero."""
    return json.loads(TABLE_PATH.read_text())


def message_for(api_version: str, kind: str) -> str | None:
    """The fully qualified message name of a kind, or None when it is unknown."""
    table = field_table()
    for package, gv in table["packages"].items():
        name = f"{package}.{kind}"
        if gv == api_version and name in table["messages"]:
            return name
    return None


def decode(body: bytes) -> dict:
    """The JSON object a typed-client protobuf body stands for (400 when malformed)."""
    try:
        if not body.startswith(MAGIC):
            raise _Malformed("missing the k8s protobuf prefix")
        unknown = _decode_fields(body[len(MAGIC) :], UNKNOWN_MESSAGE, normalise=False)
        type_meta = unknown.get("typeMeta") or {}
        api_version, kind = type_meta.get("apiVersion", ""), type_meta.get("kind", "")
        message = message_for(api_version, kind)
        if message is None:
            raise _Malformed(
                f'no kind "{kind}" is registered for version "{api_version}"'
            )
        raw = base64.b64decode(unknown.get("raw", ""))
        obj = {"apiVersion": api_version, "kind": kind}
        obj.update(_decode_fields(raw, message))
        return obj
    except ApiError:
        raise
    except (
        _Malformed,
        ValueError,
        KeyError,
        IndexError,
        TypeError,
        OverflowError,
        RecursionError,
        struct.error,
    ) as exc:
        raise bad_request(f"{MALFORMED}: {exc}") from None


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise _Malformed("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise _Malformed("varint too long")


def _fields(data: bytes):
    """Yield (field number, wire type, value) for each field of a message."""
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise _Malformed("field number 0")
        if wire == 0:
            value, pos = _read_varint(data, pos)
        elif wire == 1:
            if pos + 8 > len(data):
                raise _Malformed("truncated fixed64")
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _read_varint(data, pos)
            if pos + length > len(data):
                raise _Malformed("truncated length-delimited field")
            value, pos = data[pos : pos + length], pos + length
        elif wire == 5:
            if pos + 4 > len(data):
                raise _Malformed("truncated fixed32")
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise _Malformed(f"unsupported wire type {wire}")
        yield number, wire, value


def _signed(value: int, bits: int) -> int:
    value &= (1 << 64) - 1
    if value >= 1 << 63:
        value -= 1 << 64
    if bits == 32:
        value = ((value + (1 << 31)) % (1 << 32)) - (1 << 31)
    return value


def _scalar(type_: str, wire: int, value):
    """One scalar value of a proto type."""
    if type_ in _VARINT_TYPES:
        if wire != 0:
            raise _Malformed(f"expected a varint for {type_}")
        if type_ == "bool":
            return value != 0
        if type_ in ("sint32", "sint64"):
            return (value >> 1) ^ -(value & 1)
        return (
            _signed(value, 32 if type_ == "int32" else 64)
            if type_.startswith("int")
            else value
        )
    if type_ == "double":
        if wire != 1:
            raise _Malformed("expected a fixed64 double")
        return struct.unpack("<d", value)[0]
    if type_ == "float":
        if wire != 5:
            raise _Malformed("expected a fixed32 float")
        return struct.unpack("<f", value)[0]
    if wire != 2:
        raise _Malformed(f"expected length-delimited {type_}")
    if type_ == "string":
        return value.decode("utf-8")
    if type_ == "bytes":
        return base64.b64encode(value).decode("ascii")
    return _message(type_, value)


def _packed(type_: str, value: bytes) -> list:
    """A packed repeated varint field."""
    items, pos = [], 0
    while pos < len(value):
        item, pos = _read_varint(value, pos)
        items.append(_scalar(type_, 0, item))
    return items


def _time(data: bytes, micro: bool):
    t = _decode_fields(data, TIME, normalise=False)
    if not t:
        return None
    seconds, nanos = t.get("seconds", 0), t.get("nanos", 0)
    when = datetime.fromtimestamp(seconds, UTC).replace(microsecond=nanos // 1000)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ")


def _duration(nanoseconds: int) -> str:
    """A Go `time.Duration` string such as `1m30s`."""
    if nanoseconds == 0:
        return "0s"
    sign = "-" if nanoseconds < 0 else ""
    total = abs(nanoseconds)
    hours, rest = divmod(total, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    seconds = f"{rest / 10**9:.9f}".rstrip("0").rstrip(".")
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if hours or minutes else "")
    return f"{sign}{text}{seconds}s"


def _message(name: str, data: bytes):
    """A nested message, with the special apimachinery types in their JSON form."""
    if name in (TIME, MICRO_TIME):
        return _time(data, name == MICRO_TIME)
    if name == QUANTITY:
        return _decode_fields(data, name, normalise=False).get("string", "")
    if name == INT_OR_STRING:
        v = _decode_fields(data, name, normalise=False)
        return v.get("strVal", "") if v.get("type") == 1 else v.get("intVal", 0)
    if name in RAW_MESSAGES:
        for number, wire, value in _fields(data):
            if number == 1 and wire == 2:
                return json.loads(value) if value else None
        return None
    if name == DURATION:
        return _duration(_decode_fields(data, name, normalise=False).get("duration", 0))
    if name.endswith(".ExtraValue"):
        return _decode_fields(data, name, normalise=False).get("items", [])
    return _decode_fields(data, name)


def _map_entry(types: list, data: bytes) -> tuple:
    key = value = None
    for number, wire, raw in _fields(data):
        if number == 1:
            key = _scalar(types[0], wire, raw)
        elif number == 2:
            value = _scalar(types[1], wire, raw)
    if key is None:
        key = "" if types[0] == "string" else 0
    if value is None:
        value = _zero(types[1])
    return key, value


def _zero(type_: str):
    if type_ in ("string", "bytes", QUANTITY):
        return ""
    if type_ == "bool":
        return False
    if type_ in _VARINT_TYPES or type_ in ("double", "float"):
        return 0
    return {}


def _decode_fields(data: bytes, message: str, normalise: bool = True) -> dict:
    """Decode one message into a dict keyed by JSON field names."""
    spec = field_table()["messages"].get(message)
    if spec is None:
        raise _Malformed(f"unknown message {message}")
    out: dict = {}
    inlined: dict = {}
    for number, wire, value in _fields(data):
        field = spec.get(str(number))
        if field is None:
            continue  # unknown fields are skipped, as proto decoders do
        name = field["n"]
        if "map" in field:
            if wire != 2:
                raise _Malformed(f"bad map entry for {name}")
            key, item = _map_entry(field["map"], value)
            out.setdefault(name, {})[str(key) if not isinstance(key, str) else key] = (
                item
            )
        elif field.get("r"):
            items = out.setdefault(name, [])
            if wire == 2 and field["t"] in _VARINT_TYPES:
                items.extend(_packed(field["t"], value))
            else:
                items.append(_scalar(field["t"], wire, value))
        elif is_inline(message, name):
            # An embedded Go struct (`json:",inline"`): its fields sit in the parent,
            # already normalised as the embedded message's own.
            inlined.update(_scalar(field["t"], wire, value) or {})
        else:
            out[name] = _scalar(field["t"], wire, value)
    return {**(_normalise(out, message) if normalise else out), **inlined}


def _normalise(obj: dict, message: str) -> dict:
    """Drop zero values of omitempty fields, as Go's JSON encoding would."""
    keep = set(field_table()["keepZero"].get(message, ()))
    spec = field_table()["messages"][message]
    structs = {
        f["n"]
        for f in spec.values()
        if "map" not in f and not f.get("r") and f["t"] not in _SCALAR_LIKE
    }
    result = {}
    for name, value in obj.items():
        if value is None:
            continue  # a zero Time or empty RawExtension is omitted
        if name in structs:
            result[name] = value  # Go never omits a struct, even an empty one
        elif name in keep or value not in ("", 0, False, [], {}):
            result[name] = value
    return result


_SCALAR_LIKE = _VARINT_TYPES | {"string", "bytes", "double", "float"}
