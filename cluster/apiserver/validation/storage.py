"""PersistentVolume, PersistentVolumeClaim and StorageClass validation."""

from __future__ import annotations

from cluster.apiserver.errors import Cause
from cluster.apiserver.validation import _field as f
from cluster.apiserver.validation import meta
from cluster.apiserver.validation.pods import _quantity, canonical_quantity, spec_diff

ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
VOLUME_MODES = ("Block", "Filesystem")
RECLAIM_POLICIES = ("Delete", "Recycle", "Retain")
ACCESS_MODE_REQUIRED = "at least 1 access mode is required"
PVC_SPEC_IMMUTABLE = (
    "spec is immutable after creation except resources.requests for bound claims"
)
_PV_NON_SOURCE = {
    "capacity",
    "accessModes",
    "claimRef",
    "persistentVolumeReclaimPolicy",
    "storageClassName",
    "mountOptions",
    "volumeMode",
    "nodeAffinity",
    "volumeAttributesClassName",
}


def _access_modes(modes, path: str) -> list[Cause]:
    if not modes:
        return [f.required(path, ACCESS_MODE_REQUIRED)]
    return [
        f.not_supported(path, m, ACCESS_MODES) for m in modes if m not in ACCESS_MODES
    ]


def _volume_mode(spec: dict, path: str) -> list[Cause]:
    mode = spec.get("volumeMode")
    if mode is not None and mode not in VOLUME_MODES:
        return [f.not_supported(path, mode, VOLUME_MODES)]
    return []


def claim_spec(spec: dict, path: str) -> list[Cause]:
    """ValidatePersistentVolumeClaimSpec."""
    causes = meta.label_selector(spec.get("selector"), f"{path}.selector")
    causes += _access_modes(spec.get("accessModes"), f"{path}.accessModes")
    requests = (spec.get("resources") or {}).get("requests") or {}
    storage_path = f.key(f"{path}.resources", "storage")
    if "storage" not in requests:
        causes.append(f.required(storage_path))
    else:
        n = _quantity(requests["storage"])
        if n is not None and n <= 0:
            causes.append(
                f.invalid(
                    storage_path,
                    canonical_quantity(requests["storage"]),
                    "must be greater than zero",
                )
            )
    name = spec.get("storageClassName")
    if name:
        causes += [
            f.invalid(f"{path}.storageClassName", name, m)
            for m in meta.SUBDOMAIN_NAME(name, False)
        ]
    causes += _volume_mode(spec, f"{path}.volumeMode")
    return causes


def validate_pvc(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidatePersistentVolumeClaim; the spec is immutable after creation."""
    spec = obj.get("spec") or {}
    causes = meta.for_write(obj, old, True)
    causes += claim_spec(spec, "spec")
    if old:
        old_spec = old.get("spec") or {}
        mutable = dict(spec)
        # The binder may fill volumeName once; a bound claim may change its requests.
        if not old_spec.get("volumeName") and spec.get("volumeName"):
            mutable.pop("volumeName")
            old_cmp = {k: v for k, v in old_spec.items() if k != "volumeName"}
        else:
            old_cmp = dict(old_spec)
        if (old.get("status") or {}).get("phase") == "Bound":
            for s in (mutable, old_cmp):
                resources = dict(s.get("resources") or {})
                resources.pop("requests", None)
                s["resources"] = resources
        if mutable != old_cmp:
            diff = "\n".join(
                [
                    "  core.PersistentVolumeClaimSpec{",
                    *spec_diff(old_cmp, mutable),
                    "  }",
                ]
            )
            causes.append(f.forbidden("spec", f"{PVC_SPEC_IMMUTABLE}\n{diff}\n"))
    return causes


def validate_pv(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidatePersistentVolume: capacity, access modes, one source, reclaim policy."""
    spec = obj.get("spec") or {}
    causes = meta.for_write(obj, old, False)
    causes += _access_modes(spec.get("accessModes"), "spec.accessModes")
    capacity = spec.get("capacity") or {}
    if not capacity:
        causes.append(f.required("spec.capacity"))
    elif "storage" not in capacity or len(capacity) > 1:
        causes.append(f.not_supported("spec.capacity", sorted(capacity), ("storage",)))
    policy = spec.get("persistentVolumeReclaimPolicy")
    if policy and policy not in RECLAIM_POLICIES:
        causes.append(
            f.not_supported(
                "spec.persistentVolumeReclaimPolicy", policy, RECLAIM_POLICIES
            )
        )
    sources = [k for k, v in spec.items() if k not in _PV_NON_SOURCE and v is not None]
    if not sources:
        causes.append(f.required("spec", "must specify a volume type"))
    for extra in sources[1:]:
        causes.append(
            f.forbidden(f"spec.{extra}", "may not specify more than 1 volume type")
        )
    causes += _volume_mode(spec, "spec.volumeMode")
    return causes


def validate_storage_class(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidateStorageClass; provisioner, parameters and policies are fixed on update."""
    causes = meta.for_write(obj, old, False)
    if not obj.get("provisioner"):
        causes.append(f.required("provisioner"))
    policy = obj.get("reclaimPolicy")
    if policy is not None and policy not in ("Delete", "Retain"):
        causes.append(f.not_supported("reclaimPolicy", policy, ("Delete", "Retain")))
    mode = obj.get("volumeBindingMode")
    if mode is not None and mode not in ("Immediate", "WaitForFirstConsumer"):
        causes.append(
            f.not_supported(
                "volumeBindingMode", mode, ("Immediate", "WaitForFirstConsumer")
            )
        )
    if old:
        for name in ("parameters", "provisioner"):
            if obj.get(name) != old.get(name):
                causes.append(f.forbidden(name, f"updates to {name} are forbidden."))
        causes += meta.immutable(
            obj.get("reclaimPolicy"), old.get("reclaimPolicy"), "reclaimPolicy"
        )
        causes += meta.immutable(
            obj.get("volumeBindingMode"),
            old.get("volumeBindingMode"),
            "volumeBindingMode",
        )
    return causes
