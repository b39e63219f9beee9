"""Field errors as apimachinery's `field.Error` renders them.

A cause's message is `ErrorBody()`: the error type's words, then the bad value in Go
formatting (`%q` for strings, bare numbers, `%#v` for maps and slices), then the
detail. Required, Forbidden and TooLong omit the value.
"""

from __future__ import annotations

import math

from cluster.apiserver.errors import Cause

REQUIRED = "FieldValueRequired"
INVALID = "FieldValueInvalid"
NOT_SUPPORTED = "FieldValueNotSupported"
DUPLICATE = "FieldValueDuplicate"
FORBIDDEN = "FieldValueForbidden"
TOO_LONG = "FieldValueTooLong"
TOO_MANY = "FieldValueTooMany"
NOT_FOUND = "FieldValueNotFound"

_WORDS = {
    REQUIRED: "Required value",
    INVALID: "Invalid value",
    NOT_SUPPORTED: "Unsupported value",
    DUPLICATE: "Duplicate value",
    FORBIDDEN: "Forbidden",
    TOO_LONG: "Too long",
    TOO_MANY: "Too many",
    NOT_FOUND: "Not found",
}

FIELD_IMMUTABLE = "field is immutable"
IS_NEGATIVE = "must be greater than or equal to 0"


class GoValue(str):
    """A value already rendered the way Go's `%#v` prints it (for structs)."""


def _body(reason: str, value, detail: str, show_value: bool = True) -> str:
    text = _WORDS[reason]
    if show_value:
        text += ": " + go_repr(value)
    if detail:
        text += ": " + detail
    return text


def required(path: str, detail: str = "") -> Cause:
    """`Required value`, with an optional detail."""
    return Cause(path, _body(REQUIRED, None, detail, False), REQUIRED)


def forbidden(path: str, detail: str) -> Cause:
    """`Forbidden: <detail>`."""
    return Cause(path, _body(FORBIDDEN, None, detail, False), FORBIDDEN)


def too_long(path: str, max_length: int) -> Cause:
    """`Too long: may not be more than N bytes`."""
    return Cause(
        path,
        _body(TOO_LONG, None, f"may not be more than {max_length} bytes", False),
        TOO_LONG,
    )


def invalid(path: str, value, detail: str) -> Cause:
    """`Invalid value: <value>: <detail>`."""
    return Cause(path, _body(INVALID, value, detail), INVALID)


def duplicate(path: str, value) -> Cause:
    """`Duplicate value: <value>`."""
    return Cause(path, _body(DUPLICATE, value, ""), DUPLICATE)


def not_found(path: str, value, detail: str = "") -> Cause:
    """`Not found: <value>`."""
    return Cause(path, _body(NOT_FOUND, value, detail), NOT_FOUND)


def not_supported(path: str, value, supported) -> Cause:
    """`Unsupported value: <value>: supported values: "a", "b"`."""
    detail = (
        "supported values: " + ", ".join(go_quote(str(v)) for v in supported)
        if supported
        else ""
    )
    return Cause(path, _body(NOT_SUPPORTED, value, detail), NOT_SUPPORTED)


def nonnegative(path: str, value) -> list[Cause]:
    """`must be greater than or equal to 0` for a negative integer."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return [invalid(path, value, IS_NEGATIVE)]
    return []


def go_quote(s: str) -> str:
    """Go's strconv.Quote: double quotes, with Go escapes for unprintable runes."""
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not ch.isprintable():
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def go_float(value: float) -> str:
    """Go's %v for a float64 (shortest repr, exponent past 1e21)."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exp = text.split("e")
        sign = "-" if exp.startswith("-") else "+"
        return f"{mantissa}e{sign}{abs(int(exp)):02d}"
    return text


def go_repr(value) -> str:
    """Render a JSON value as field.Error does (`%v` for scalars, `%#v` otherwise)."""
    if isinstance(value, GoValue):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, dict):
        return string_map(value)
    if isinstance(value, list):
        return string_slice(value)
    return go_quote(str(value))


def string_map(value: dict | None, type_name: str = "map[string]string") -> str:
    """`map[string]string{"a":"b", "c":"d"}` with sorted keys, or `(nil)`."""
    if value is None:
        return f"{type_name}(nil)"
    items = ", ".join(
        f"{go_quote(str(k))}:{go_quote(str(v))}" for k, v in sorted(value.items())
    )
    return f"{type_name}{{{items}}}"


def string_slice(value: list | None, type_name: str = "[]string") -> str:
    """`[]string{"a", "b"}`, or `[]string(nil)`."""
    if value is None:
        return f"{type_name}(nil)"
    return f"{type_name}{{{', '.join(go_quote(str(v)) for v in value)}}}"


def label_selector(selector: dict | None) -> GoValue:
    """A metav1.LabelSelector as `%#v` prints it after pointer dereference."""
    if selector is None:
        return GoValue("null")
    labels = string_map(selector.get("matchLabels"))
    exprs = selector.get("matchExpressions")
    if exprs is None:
        rendered = "[]v1.LabelSelectorRequirement(nil)"
    else:
        parts = [
            "v1.LabelSelectorRequirement{"
            f"Key:{go_quote(e.get('key', ''))}, "
            f"Operator:{go_quote(e.get('operator', ''))}, "
            f"Values:{string_slice(e.get('values'))}}}"
            for e in exprs
        ]
        rendered = "[]v1.LabelSelectorRequirement{" + ", ".join(parts) + "}"
    return GoValue(
        f"v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{rendered}}}"
    )


def index(path: str, i: int) -> str:
    """`path[i]`."""
    return f"{path}[{i}]"


def key(path: str, k: str) -> str:
    """`path[k]`, as field.Path.Key renders a map key."""
    return f"{path}[{k}]"
