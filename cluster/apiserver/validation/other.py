"""Validation of the smaller kinds: Namespace, ConfigMap, Secret, Node, HPA, Lease, ..."""

from __future__ import annotations

from cluster.apiserver.errors import Cause
from cluster.apiserver.validation import _field as f
from cluster.apiserver.validation import meta
from cluster.apiserver.validation.pods import TAINT_EFFECTS

MAX_SECRET_SIZE = 1024 * 1024
STANDARD_FINALIZERS = ("kubernetes", "orphan", "foregroundDeletion")
NOT_QUALIFIED_FINALIZER = (
    "name is neither a standard finalizer name nor is it fully qualified"
)
IMMUTABLE_WHEN_SET = "field is immutable when `immutable` is set"
TAINTS_UNIQUE = "taints must be unique by key and effect pair"
HIGHEST_USER_PRIORITY = 1_000_000_000
_SECRET_REQUIRED_KEYS = {
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
}


def validate_namespace(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidateNamespace: a DNS-1123 label name and known finalizers."""
    if old:
        return meta.object_meta_update(obj, old)
    causes = meta.object_meta(obj, False, meta.LABEL_NAME)
    for fin in (obj.get("spec") or {}).get("finalizers") or []:
        causes += [
            f.invalid("spec.finalizers", fin, m) for m in meta.qualified_name(fin)
        ]
        if "/" not in fin and fin not in STANDARD_FINALIZERS:
            causes.append(f.invalid("spec.finalizers", fin, NOT_QUALIFIED_FINALIZER))
    return causes


def _data_keys(data: dict, path: str) -> tuple[list[Cause], int]:
    causes: list[Cause] = []
    size = 0
    for k in sorted(data or {}):
        causes += [f.invalid(f.key(path, k), k, m) for m in meta.config_key(k)]
        size += len(str(data[k]))
    return causes, size


def _immutable_data(
    obj: dict, old: dict | None, fields: tuple[str, ...]
) -> list[Cause]:
    if not old or not old.get("immutable"):
        return []
    causes: list[Cause] = []
    if not obj.get("immutable"):
        causes.append(f.forbidden("immutable", IMMUTABLE_WHEN_SET))
    for name in fields:
        if (obj.get(name) or None) != (old.get(name) or None):
            causes.append(f.forbidden(name, IMMUTABLE_WHEN_SET))
    return causes


def validate_configmap(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidateConfigMap: key names, no key in both maps, 1 MiB in total."""
    causes = meta.object_meta_update(obj, old) if old else []
    causes += _immutable_data(obj, old, ("data", "binaryData"))
    causes += meta.object_meta(obj, True)
    data, binary = obj.get("data") or {}, obj.get("binaryData") or {}
    key_causes, size = _data_keys(data, "data")
    causes += key_causes
    for k in sorted(data):
        if k in binary:
            causes.append(
                f.invalid(f.key("data", k), k, "duplicate of key present in binaryData")
            )
    key_causes, binary_size = _data_keys(binary, "binaryData")
    causes += key_causes
    if size + binary_size > MAX_SECRET_SIZE:
        causes.append(f.too_long("", MAX_SECRET_SIZE))
    return causes


def validate_secret(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidateSecret: keys, size and the keys each secret type requires."""
    causes = meta.object_meta_update(obj, old) if old else []
    if old:
        causes += meta.immutable(obj.get("type"), old.get("type"), "type")
        causes += _immutable_data(obj, old, ("data",))
    causes += meta.object_meta(obj, True)
    data = obj.get("data") or {}
    key_causes, size = _data_keys(data, "data")
    causes += key_causes
    if size * 3 // 4 > MAX_SECRET_SIZE:
        causes.append(f.too_long("data", MAX_SECRET_SIZE))
    kind = obj.get("type") or "Opaque"
    if kind == "kubernetes.io/service-account-token":
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        if not annotations.get("kubernetes.io/service-account.name"):
            causes.append(
                f.required("metadata.annotations[kubernetes.io/service-account.name]")
            )
    elif (
        kind == "kubernetes.io/basic-auth"
        and "username" not in data
        and "password" not in data
    ):
        causes += [f.required("data[username]"), f.required("data[password]")]
    for required_key in _SECRET_REQUIRED_KEYS.get(kind, ()):
        if required_key not in data:
            causes.append(f.required(f.key("data", required_key)))
    return causes


def _taint_value(taint: dict) -> f.GoValue:
    return f.GoValue(
        f"core.Taint{{Key:{f.go_quote(taint.get('key', ''))}, Value:{f.go_quote(taint.get('value', ''))}, "
        f"Effect:{f.go_quote(taint.get('effect', ''))}, TimeAdded:<nil>}}"
    )


def node_taints(taints, path: str) -> list[Cause]:
    """validateNodeTaints: key, value, effect, and unique (key, effect) pairs."""
    causes: list[Cause] = []
    seen: set[tuple[str, str]] = set()
    for i, taint in enumerate(taints or []):
        p = f.index(path, i)
        key, value, effect = (
            taint.get("key", ""),
            taint.get("value", ""),
            taint.get("effect", ""),
        )
        causes += [f.invalid(f"{p}.key", key, m) for m in meta.qualified_name(key)]
        msgs = meta.label_value(value)
        if msgs:
            causes.append(f.invalid(f"{p}.value", value, ";".join(msgs)))
        if not effect:
            causes.append(f.required(f"{p}.effect"))
        elif effect not in TAINT_EFFECTS:
            causes.append(f.not_supported(f"{p}.effect", effect, TAINT_EFFECTS))
        if (key, effect) in seen:
            dup = f.duplicate(p, _taint_value(taint))
            dup.message += f": {TAINTS_UNIQUE}"
            causes.append(dup)
            continue
        seen.add((key, effect))
    return causes


def validate_node(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidateNode: name and taints (reported under metadata.taints, as Kubernetes does)."""
    spec = obj.get("spec") or {}
    causes = meta.for_write(obj, old, False)
    causes += node_taints(spec.get("taints"), "metadata.taints")
    if old:
        old_spec = old.get("spec") or {}
        if old_spec.get("podCIDRs") and old_spec.get("podCIDRs") != spec.get(
            "podCIDRs"
        ):
            causes.append(
                f.forbidden(
                    "spec.podCIDRs",
                    'node updates may not change podCIDR except from "" to valid',
                )
            )
        if old_spec.get("providerID") and old_spec.get("providerID") != spec.get(
            "providerID"
        ):
            causes.append(
                f.forbidden(
                    "spec.providerID",
                    'node updates may not change providerID except from "" to valid',
                )
            )
    return causes


def validate_hpa(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidateHorizontalPodAutoscaler: target reference and replica bounds."""
    spec = obj.get("spec") or {}
    causes = meta.for_write(obj, old, True)
    ref = spec.get("scaleTargetRef") or {}
    for name in ("kind", "name"):
        if not ref.get(name):
            causes.append(f.required(f"spec.scaleTargetRef.{name}"))
    low = spec.get("minReplicas")
    if low is not None and low < 1:
        causes.append(
            f.invalid("spec.minReplicas", low, "must be greater than or equal to 1")
        )
    high = spec.get("maxReplicas", 0)
    if high < 1:
        causes.append(f.invalid("spec.maxReplicas", high, "must be greater than 0"))
    if low is not None and high < low:
        causes.append(
            f.invalid(
                "spec.maxReplicas",
                high,
                "must be greater than or equal to `minReplicas`",
            )
        )
    return causes


def validate_lease(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidateLease: positive durations and transitions."""
    spec = obj.get("spec") or {}
    causes = meta.for_write(obj, old, True)
    duration = spec.get("leaseDurationSeconds")
    if duration is not None and duration <= 0:
        causes.append(
            f.invalid("spec.leaseDurationSeconds", duration, "must be greater than 0")
        )
    transitions = spec.get("leaseTransitions")
    if transitions is not None and transitions < 0:
        causes.append(
            f.invalid(
                "spec.leaseTransitions",
                transitions,
                "must be greater than or equal to 0",
            )
        )
    return causes


def validate_priority_class(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidatePriorityClass: user classes stay at or below one billion."""
    causes = meta.for_write(obj, old, False)
    name = (obj.get("metadata") or {}).get("name") or ""
    value = obj.get("value", 0)
    if not name.startswith("system-") and value > HIGHEST_USER_PRIORITY:
        causes.append(
            f.forbidden(
                "value",
                f"maximum allowed value of a user defined priority is {HIGHEST_USER_PRIORITY}",
            )
        )
    if old:
        if value != old.get("value", 0):
            causes.append(f.forbidden("value", "may not be changed in an update."))
        causes += meta.immutable(
            obj.get("preemptionPolicy"), old.get("preemptionPolicy"), "preemptionPolicy"
        )
    return causes


def validate_generic(
    obj: dict, old: dict | None, namespaced: bool, name_fn=meta.SUBDOMAIN_NAME
) -> list[Cause]:
    """Metadata rules only, for kinds whose own rules are not simulated."""
    return meta.for_write(obj, old, namespaced, name_fn)
