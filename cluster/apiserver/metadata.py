"""Object metadata semantics on create, update and delete (the registry strategies).

Pure: given the incoming and the stored object, decide what is written. The store then
applies compare-and-swap on `resourceVersion`.
"""

from __future__ import annotations

import random
import uuid

from cluster.apiserver import errors
from cluster.kinds import Kind
from cluster.objects.clone import clone
from cluster.objects.names import generate_name
from cluster.simtime import rfc3339

# Kinds whose status is only written through the status subresource; a main-resource
# write keeps the stored status, and a create starts from an empty one.
_STATUS_RESET_ON_CREATE = {
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "Service",
    "Ingress",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "ResourceQuota",
}
# Kinds with a `spec` whose changes bump metadata.generation.
SCHEDULING_GATED = "Scheduling is blocked due to non-empty scheduling gates"
_GENERATION_KINDS = {
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "Pod",
    "Service",
    "Ingress",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
}
FOREGROUND = "foregroundDeletion"
TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"
ORPHAN = "orphan"
IMMUTABLE_META = (
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)


def uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def prepare_create(obj: dict, kind: Kind, now: float, rng: random.Random) -> None:
    """Fill server-owned metadata of a new object, in place."""
    meta = obj.setdefault("metadata", {})
    if not meta.get("name"):
        base = meta.get("generateName")
        if not base:
            raise errors.invalid(
                kind.kind,
                "",
                [
                    errors.Cause(
                        "metadata.name",
                        "name or generateName is required",
                        "FieldValueRequired",
                    )
                ],
                kind.group,
            )
        meta["name"] = generate_name(base, rng)
    if not kind.namespaced:
        meta.pop("namespace", None)
    for key in (
        "resourceVersion",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    ):
        meta.pop(key, None)
    meta["uid"] = uid(rng)
    meta["creationTimestamp"] = rfc3339(now)
    if kind.kind in _GENERATION_KINDS:
        meta["generation"] = 1
    obj["apiVersion"] = kind.api_version
    obj["kind"] = kind.kind
    if kind.kind == "DaemonSet":
        template_generation(obj, None)
    if kind.kind in _STATUS_RESET_ON_CREATE:
        obj["status"] = {}
    elif kind.kind == "Pod":
        obj["status"] = {"phase": "Pending"}
        if (obj.get("spec") or {}).get("schedulingGates"):
            # applySchedulingGatedCondition: the scheduler will not look at it yet.
            obj["status"]["conditions"] = [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "lastProbeTime": None,
                    "lastTransitionTime": rfc3339(now),
                    "reason": "SchedulingGated",
                    "message": SCHEDULING_GATED,
                }
            ]


def prepare_update(new: dict, old: dict, kind: Kind, subresource: str = "") -> None:
    """Carry server-owned fields over from the stored object, in place.

    A main-resource write keeps the stored status; a status write keeps everything but
    status. Only a spec change bumps `generation`.
    """
    new_meta = new.setdefault("metadata", {})
    old_meta = old["metadata"]
    for key in IMMUTABLE_META:
        if key in old_meta:
            new_meta[key] = old_meta[key]
        else:
            new_meta.pop(key, None)
    if kind.namespaced:
        new_meta["namespace"] = old_meta.get("namespace")
    new["apiVersion"], new["kind"] = kind.api_version, kind.kind
    if subresource == "binding":  # the binding registry writes spec and status together
        return
    if subresource == "status":
        status = new.get("status")
        new.clear()
        new.update(clone(old))
        if status is not None:
            new["status"] = status
        return
    if kind.subresources and "status" in kind.subresources and "status" in old:
        new["status"] = clone(old["status"])
    elif kind.subresources and "status" in kind.subresources:
        new.pop("status", None)
    if kind.kind == "Namespace":
        _namespace_finalizers(new, old, subresource)
    if "generation" in old_meta:
        changed = _spec_of(new) != _spec_of(old)
        new_meta["generation"] = old_meta["generation"] + (1 if changed else 0)


def template_generation(new: dict, old: dict | None) -> None:
    """A DaemonSet's spec.templateGeneration, which apps/v1 shows as an annotation:
    1 on create (or the value given), the stored one plus 1 when the (defaulted)
    template changes."""
    annotations = new["metadata"].setdefault("annotations", {})
    if old is None:
        given = annotations.get(TEMPLATE_GENERATION, "")
        value = int(given) if given.isdigit() and int(given) > 0 else 1
    else:
        stored = (old["metadata"].get("annotations") or {}).get(TEMPLATE_GENERATION)
        value = int(stored) if stored and stored.isdigit() else 1
        if (new.get("spec") or {}).get("template") != old["spec"].get("template"):
            value += 1
    annotations[TEMPLATE_GENERATION] = str(value)


def _namespace_finalizers(new: dict, old: dict, subresource: str) -> None:
    """Only `finalize` changes spec.finalizers; set even when empty, so defaulting
    (which adds `kubernetes` to a new namespace) does not put it back."""
    spec = new.get("spec")
    if not isinstance(spec, dict):
        spec = new["spec"] = {}
    if subresource == "finalize":
        spec["finalizers"] = list(spec.get("finalizers") or [])
    else:
        spec["finalizers"] = list((old.get("spec") or {}).get("finalizers") or [])


def _spec_of(obj: dict):
    # Pods, services and workloads version their spec; a few kinds keep data elsewhere.
    return obj.get("spec")


def finalizers(obj: dict) -> list[str]:
    return list(obj.get("metadata", {}).get("finalizers") or [])


def is_terminating(obj: dict) -> bool:
    return bool(obj.get("metadata", {}).get("deletionTimestamp"))


def should_remove_now(obj: dict) -> bool:
    """A terminating object leaves the store once its finalizers are all gone; a
    namespace also waits for its spec.finalizers (the namespace controller's)."""
    if obj.get("kind") == "Namespace" and (obj.get("spec") or {}).get("finalizers"):
        return False
    return is_terminating(obj) and not finalizers(obj) and obj.get("kind") != "Pod"


def plan_delete(
    obj: dict,
    kind: Kind,
    now: float,
    grace_period: int | None,
    propagation: str | None,
) -> dict | None:
    """The object to write for a delete request, or None to remove the key at once.

    Pods on a node terminate gracefully; objects with finalizers (or a Foreground/Orphan
    propagation) are marked with a deletionTimestamp and wait for their finalizers.
    """
    obj = clone(obj)
    meta = obj["metadata"]
    fins = finalizers(obj)
    if propagation == "Foreground" and FOREGROUND not in fins:
        fins.append(FOREGROUND)
    elif propagation == "Orphan" and ORPHAN not in fins:
        fins.append(ORPHAN)
    graceful = False
    if kind.kind == "Pod":
        if grace_period is None:
            grace_period = obj.get("spec", {}).get("terminationGracePeriodSeconds", 30)
        bound = bool(obj.get("spec", {}).get("nodeName"))
        phase = obj.get("status", {}).get("phase")
        graceful = bound and grace_period > 0 and phase not in ("Succeeded", "Failed")
        if is_terminating(obj) and graceful:
            # A second delete may only shorten the grace period.
            current = meta.get("deletionGracePeriodSeconds", grace_period)
            if grace_period >= current:
                return obj if fins == finalizers(obj) else _with_finalizers(obj, fins)
    if kind.kind == "Namespace":
        graceful = True
        obj.setdefault("status", {})["phase"] = "Terminating"
    if not graceful and not fins:
        return None
    delay = grace_period if kind.kind == "Pod" and graceful else 0
    if not is_terminating(obj) or kind.kind == "Pod":
        meta["deletionTimestamp"] = rfc3339(now + delay)
        meta["deletionGracePeriodSeconds"] = delay
    return _with_finalizers(obj, fins)


def _with_finalizers(obj: dict, fins: list[str]) -> dict:
    if fins:
        obj["metadata"]["finalizers"] = fins
    else:
        obj["metadata"].pop("finalizers", None)
    return obj
