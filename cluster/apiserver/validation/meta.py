"""Names, labels, annotations, owner references and finalizers (apimachinery rules).

Messages follow k8s.io/apimachinery pkg/util/validation and pkg/api/validation.
"""

from __future__ import annotations

import re

from cluster.apiserver.errors import Cause
from cluster.apiserver.validation import _field as f

DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*"
DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?"
CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"

DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
    "'-', and must start and end with an alphanumeric character"
)
DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character"
)
DNS1035_LABEL_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
    "with an alphabetic character, and end with an alphanumeric character"
)
QUALIFIED_NAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', "
    "'_' or '.', and must start and end with an alphanumeric character"
)
CONFIG_KEY_MSG = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
)
NAME_REQUIRED = "name or generateName is required"
NAMESPACE_NOT_ALLOWED = "not allowed on this type"
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024

_DNS1123_LABEL = re.compile(f"^{DNS1123_LABEL_FMT}$")
_DNS1123_SUBDOMAIN = re.compile(f"^{DNS1123_SUBDOMAIN_FMT}$")
_DNS1035_LABEL = re.compile(f"^{DNS1035_LABEL_FMT}$")
_QUALIFIED_NAME = re.compile(f"^{QUALIFIED_NAME_FMT}$")
_LABEL_VALUE = re.compile(f"^{LABEL_VALUE_FMT}$")
_CONFIG_KEY = re.compile(f"^{CONFIG_KEY_FMT}$")
_PORT_NAME_CHARS = re.compile("^[-a-z0-9]+$")


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """apimachinery RegexError: the message, examples and the regex."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    quoted = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {quoted}regex used for validation is '{fmt}')"


def max_len_error(n: int) -> str:
    """`must be no more than N characters`."""
    return f"must be no more than {n} characters"


def dns1123_label(value: str) -> list[str]:
    """Problems with a DNS-1123 label (namespace names, container names)."""
    errs = [max_len_error(63)] if len(value) > 63 else []
    if not _DNS1123_LABEL.match(value):
        if _DNS1123_SUBDOMAIN.match(value):
            errs.append("must not contain dots")
        else:
            errs.append(
                regex_error(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, "my-name", "123-abc")
            )
    return errs


def dns1123_subdomain(value: str) -> list[str]:
    """Problems with a DNS-1123 subdomain (most object names)."""
    errs = [max_len_error(253)] if len(value) > 253 else []
    if not _DNS1123_SUBDOMAIN.match(value):
        errs.append(
            regex_error(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, "example.com")
        )
    return errs


def dns1035_label(value: str) -> list[str]:
    """Problems with a DNS-1035 label (Service names)."""
    errs = [max_len_error(63)] if len(value) > 63 else []
    if not _DNS1035_LABEL.match(value):
        errs.append(
            regex_error(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, "my-name", "abc-123")
        )
    return errs


def qualified_name(value: str) -> list[str]:
    """Problems with a label key or other qualified name (`prefix/name`)."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs += ["prefix part " + m for m in dns1123_subdomain(prefix)]
    else:
        return [
            "a qualified name "
            + regex_error(
                QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"
            )
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + max_len_error(63))
    if not _QUALIFIED_NAME.match(name):
        errs.append(
            "name part "
            + regex_error(
                QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"
            )
        )
    return errs


def label_value(value: str) -> list[str]:
    """Problems with a label value."""
    errs = [max_len_error(63)] if len(value) > 63 else []
    if not _LABEL_VALUE.match(value):
        errs.append(
            regex_error(
                LABEL_VALUE_MSG, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"
            )
        )
    return errs


def config_key(value: str) -> list[str]:
    """Problems with a ConfigMap or Secret data key."""
    errs = [max_len_error(253)] if len(value) > 253 else []
    if not _CONFIG_KEY.match(value):
        errs.append(
            regex_error(
                CONFIG_KEY_MSG, CONFIG_KEY_FMT, "key.name", "KEY_NAME", "key-name"
            )
        )
    if value == ".":
        errs.append("must not be '.'")
    elif value == "..":
        errs.append("must not be '..'")
    elif value.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def port_name(value: str) -> list[str]:
    """Problems with an IANA_SVC_NAME (container port names)."""
    errs = [max_len_error(15)] if len(value) > 15 else []
    if not _PORT_NAME_CHARS.match(value):
        errs.append(
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"
        )
    if not re.search("[a-z]", value):
        errs.append("must contain at least one letter (a-z)")
    if "--" in value:
        errs.append("must not contain consecutive hyphens")
    if value and (value[0] == "-" or value[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def port_number(value) -> list[str]:
    """`must be between 1 and 65535, inclusive` outside the port range."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535:
        return []
    return ["must be between 1 and 65535, inclusive"]


def path_segment(value: str, prefix: bool = False) -> list[str]:
    """ValidatePathSegmentName (RBAC names such as `system:node-proxier`): anything
    that can sit in a URL path segment."""
    if not prefix and value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


def _mask_trailing_dash(name: str) -> str:
    # apimachinery drops the last two characters and appends "a" (sic).
    if len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


def name_checker(fn):
    """A ValidateNameFunc: `fn` on the name, after masking a generateName's trailing dash."""

    def check(name: str, prefix: bool) -> list[str]:
        return fn(_mask_trailing_dash(name) if prefix else name)

    return check


SUBDOMAIN_NAME = name_checker(dns1123_subdomain)
LABEL_NAME = name_checker(dns1123_label)
DNS1035_NAME = name_checker(dns1035_label)
PATH_SEGMENT_NAME = path_segment


def labels(values, path: str) -> list[Cause]:
    """ValidateLabels: every key a qualified name, every value a label value."""
    causes: list[Cause] = []
    for k, v in sorted((values or {}).items()):
        causes += [f.invalid(path, k, m) for m in qualified_name(k)]
        causes += [f.invalid(path, v, m) for m in label_value(str(v))]
    return causes


def annotations(values, path: str) -> list[Cause]:
    """ValidateAnnotations: qualified keys and a 256 KiB total size."""
    causes: list[Cause] = []
    values = values or {}
    for k in sorted(values):
        causes += [f.invalid(path, k, m) for m in qualified_name(k.lower())]
    total = sum(len(k.encode()) + len(str(v).encode()) for k, v in values.items())
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        causes.append(f.too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return causes


def label_selector(selector, path: str) -> list[Cause]:
    """ValidateLabelSelector: matchLabels and each matchExpressions requirement."""
    if not selector:
        return []
    causes = labels(selector.get("matchLabels"), f"{path}.matchLabels")
    for i, expr in enumerate(selector.get("matchExpressions") or []):
        p = f.index(f"{path}.matchExpressions", i)
        op, values = expr.get("operator", ""), expr.get("values") or []
        if op in ("In", "NotIn"):
            if not values:
                causes.append(
                    f.required(
                        f"{p}.values",
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    )
                )
        elif op in ("Exists", "DoesNotExist"):
            if values:
                causes.append(
                    f.forbidden(
                        f"{p}.values",
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    )
                )
        else:
            causes.append(
                f.invalid(f"{p}.operator", op, "not a valid selector operator")
            )
        causes += [
            f.invalid(f"{p}.key", expr.get("key", ""), m)
            for m in qualified_name(expr.get("key", ""))
        ]
        for j, v in enumerate(values):
            causes += [
                f.invalid(f.index(f"{p}.values", j), v, m) for m in label_value(str(v))
            ]
    return causes


def _owner_references(refs, path: str) -> list[Cause]:
    causes: list[Cause] = []
    controller = ""
    for ref in refs or []:
        api_version = ref.get("apiVersion", "")
        if not api_version.rpartition("/")[2]:
            causes.append(
                f.invalid(
                    f"{path}.apiVersion", api_version, "version must not be empty"
                )
            )
        if not ref.get("kind"):
            causes.append(
                f.invalid(f"{path}.kind", ref.get("kind", ""), "kind must not be empty")
            )
        if not ref.get("name"):
            causes.append(
                f.invalid(f"{path}.name", ref.get("name", ""), "name must not be empty")
            )
        if not ref.get("uid"):
            causes.append(
                f.invalid(f"{path}.uid", ref.get("uid", ""), "uid must not be empty")
            )
        if ref.get("controller"):
            current = f"{ref.get('kind', '')}/{ref.get('name', '')}"
            if controller:
                causes.append(
                    f.invalid(
                        path,
                        f.GoValue("[]v1.OwnerReference{...}"),
                        'Only one reference can have Controller set to true. Found "true" in '
                        f"references for {controller} and {current}",
                    )
                )
            else:
                controller = current
    return causes


def _finalizers(values, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for fin in values or []:
        causes += [f.invalid(path, fin, m) for m in qualified_name(fin)]
    if "orphan" in (values or []) and "foregroundDeletion" in (values or []):
        causes.append(
            f.invalid(
                path,
                values,
                "finalizer orphan and foregroundDeletion cannot be both set",
            )
        )
    return causes


def object_meta(
    obj: dict, namespaced: bool, name_fn=SUBDOMAIN_NAME, path: str = "metadata"
) -> list[Cause]:
    """ValidateObjectMeta for a create."""
    meta = obj.get("metadata") or {}
    causes: list[Cause] = []
    generate = meta.get("generateName") or ""
    if generate:
        causes += [
            f.invalid(f"{path}.generateName", generate, m)
            for m in name_fn(generate, True)
        ]
    name = meta.get("name") or ""
    if not name:
        causes.append(f.required(f"{path}.name", NAME_REQUIRED))
    else:
        causes += [f.invalid(f"{path}.name", name, m) for m in name_fn(name, False)]
    namespace = meta.get("namespace") or ""
    if namespaced:
        if not namespace:
            causes.append(f.required(f"{path}.namespace"))
        else:
            causes += [
                f.invalid(f"{path}.namespace", namespace, m)
                for m in LABEL_NAME(namespace, False)
            ]
    elif namespace:
        causes.append(f.forbidden(f"{path}.namespace", NAMESPACE_NOT_ALLOWED))
    causes += f.nonnegative(f"{path}.generation", meta.get("generation", 0))
    causes += labels(meta.get("labels"), f"{path}.labels")
    causes += annotations(meta.get("annotations"), f"{path}.annotations")
    causes += _owner_references(meta.get("ownerReferences"), f"{path}.ownerReferences")
    causes += _finalizers(meta.get("finalizers"), f"{path}.finalizers")
    return causes


def object_meta_update(obj: dict, old: dict, path: str = "metadata") -> list[Cause]:
    """ValidateObjectMetaUpdate: immutable identity, generation never decremented."""
    meta, old_meta = obj.get("metadata") or {}, old.get("metadata") or {}
    causes: list[Cause] = []
    if old_meta.get("deletionTimestamp"):
        extra = sorted(
            set(meta.get("finalizers") or []) - set(old_meta.get("finalizers") or [])
        )
        if extra:
            causes.append(
                f.forbidden(
                    f"{path}.finalizers",
                    "no new finalizers can be added if the object is being deleted, found new "
                    f"finalizers {f.string_slice(extra)}",
                )
            )
    if meta.get("generation", 0) < old_meta.get("generation", 0):
        causes.append(
            f.invalid(
                f"{path}.generation",
                meta.get("generation", 0),
                "must not be decremented",
            )
        )
    for field_name in ("name", "namespace", "uid", "creationTimestamp"):
        if (meta.get(field_name) or "") != (old_meta.get(field_name) or ""):
            causes.append(
                f.invalid(
                    f"{path}.{field_name}",
                    meta.get(field_name) or "",
                    f.FIELD_IMMUTABLE,
                )
            )
    causes += labels(meta.get("labels"), f"{path}.labels")
    causes += annotations(meta.get("annotations"), f"{path}.annotations")
    causes += _owner_references(meta.get("ownerReferences"), f"{path}.ownerReferences")
    return causes


def for_write(
    obj: dict, old: dict | None, namespaced: bool, name_fn=SUBDOMAIN_NAME
) -> list[Cause]:
    """Metadata checks of a create, or of an update when `old` is given."""
    return (
        object_meta_update(obj, old) if old else object_meta(obj, namespaced, name_fn)
    )


def immutable(new, old, path: str, render=None) -> list[Cause]:
    """ValidateImmutableField: `field is immutable` when the value changed."""
    if new == old:
        return []
    return [f.invalid(path, render(new) if render else new, f.FIELD_IMMUTABLE)]
