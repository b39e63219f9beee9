"""Pod and owner helpers shared by the controllers: readiness, ownership, templates.

Objects are plain API dicts. Functions here never mutate their arguments.
"""

from __future__ import annotations

import math

from cluster import kinds
from cluster.actions import Ref
from cluster.objects import selectors
from cluster.objects.clone import clone
from cluster.simtime import parse_rfc3339, rfc3339

PENDING, RUNNING, SUCCEEDED, FAILED, UNKNOWN = (
    "Pending",
    "Running",
    "Succeeded",
    "Failed",
    "Unknown",
)
DELETION_COST_ANNOTATION = "controller.kubernetes.io/pod-deletion-cost"
# ActivePods ordering: a pod earlier in this order is deleted first.
_PHASE_ORDINAL = {PENDING: 0, UNKNOWN: 1, RUNNING: 2}


def meta(obj: dict) -> dict:
    """The object's metadata ({} when absent)."""
    return obj.get("metadata") or {}


def name(obj: dict) -> str:
    """The object's name."""
    return meta(obj).get("name", "")


def namespace(obj: dict) -> str:
    """The object's namespace ("" for cluster-scoped objects)."""
    return meta(obj).get("namespace", "") or ""


def uid(obj: dict) -> str:
    """The object's uid."""
    return meta(obj).get("uid", "")


def labels(obj: dict) -> dict:
    """The object's labels ({} when absent)."""
    return meta(obj).get("labels") or {}


def annotations(obj: dict) -> dict:
    """The object's annotations ({} when absent)."""
    return meta(obj).get("annotations") or {}


def created_at(obj: dict) -> float | None:
    """The creationTimestamp in seconds, None when unset."""
    return parse_rfc3339(meta(obj).get("creationTimestamp"))


def ref(obj: dict) -> Ref:
    """A Ref to any object, carrying kind, apiVersion and uid."""
    m = meta(obj)
    return Ref(
        kind=obj.get("kind", ""),
        namespace=m.get("namespace"),
        name=m.get("name", ""),
        api_version=obj.get("apiVersion") or _served_api_version(obj.get("kind", "")),
        uid=m.get("uid", ""),
    )


def _served_api_version(kind: str) -> str:
    try:
        return kinds.by_kind(kind).api_version
    except kinds.UnknownKind:
        return ""


def phase(pod: dict) -> str:
    """status.phase, Pending when unset (a pod the kubelet has not seen)."""
    return (pod.get("status") or {}).get("phase") or PENDING


def node_name(pod: dict) -> str:
    """spec.nodeName, "" when the pod is not scheduled."""
    return (pod.get("spec") or {}).get("nodeName") or ""


def is_terminating(obj: dict) -> bool:
    """Whether the object has a deletionTimestamp."""
    return bool(meta(obj).get("deletionTimestamp"))


def is_active(pod: dict) -> bool:
    """controller.IsPodActive: not Succeeded/Failed and not being deleted."""
    return phase(pod) not in (SUCCEEDED, FAILED) and not is_terminating(pod)


def condition(obj: dict, type_: str) -> dict | None:
    """The status condition of a type, None when absent."""
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return c
    return None


def is_ready(pod: dict, now: float | None = None) -> bool:
    """podutil.IsPodReady: the Ready condition is True (`now` is accepted for symmetry)."""
    c = condition(pod, "Ready")
    return bool(c) and c.get("status") == "True"


def ready_since(pod: dict) -> float | None:
    """When the pod last became Ready, None when it is not Ready."""
    c = condition(pod, "Ready")
    if not c or c.get("status") != "True":
        return None
    return parse_rfc3339(c.get("lastTransitionTime"))


def is_available(pod: dict, min_ready_seconds: int, now: float) -> bool:
    """podutil.IsPodAvailable: Ready for strictly more than minReadySeconds."""
    if not is_ready(pod):
        return False
    if not min_ready_seconds:
        return True
    since = ready_since(pod)
    return since is not None and since + min_ready_seconds < now


def available_at(pod: dict, min_ready_seconds: int) -> float | None:
    """The first instant the pod counts as available, None when it is not Ready."""
    since = ready_since(pod)
    if since is None:
        return None
    # Available means strictly after the boundary, so wake a hair later.
    return since + min_ready_seconds + 0.001 if min_ready_seconds else since


def max_restarts(pod: dict) -> int:
    """The highest restartCount among the pod's containers."""
    status = pod.get("status") or {}
    counts = [
        s.get("restartCount", 0)
        for key in ("containerStatuses", "initContainerStatuses")
        for s in status.get(key) or []
    ]
    return max(counts, default=0)


def deletion_cost(pod: dict) -> int:
    """The pod-deletion-cost annotation (0 when absent or invalid)."""
    try:
        return int(annotations(pod).get(DELETION_COST_ANNOTATION, "0"))
    except ValueError:
        return 0


def controller_ref(obj: dict) -> dict | None:
    """The ownerReference with controller=true, None when the object is an orphan."""
    for r in meta(obj).get("ownerReferences") or []:
        if r.get("controller"):
            return r
    return None


def is_controlled_by(obj: dict, owner: dict) -> bool:
    """Whether `owner` is the controller of `obj` (by uid)."""
    r = controller_ref(obj)
    return bool(r) and r.get("uid") == uid(owner)


def owner_reference(owner: dict, controller: bool = True, block: bool = True) -> dict:
    """An ownerReference pointing at `owner` (metav1.NewControllerRef by default)."""
    ref_ = {
        "apiVersion": owner.get("apiVersion", ""),
        "kind": owner.get("kind", ""),
        "name": name(owner),
        "uid": uid(owner),
    }
    if controller:
        ref_["controller"] = True
    if block:
        ref_["blockOwnerDeletion"] = True
    return ref_


def pod_from_template(
    template: dict, owner: dict, name: str, namespace: str | None = None
) -> dict:
    """controller.GetPodFromTemplate: a Pod built from a PodTemplateSpec, owned by `owner`.

    The name is chosen by the caller; `generateName` is still set to `<owner>-`
    as the real controllers do, so the stored object looks the same.
    """
    tmeta = template.get("metadata") or {}
    metadata: dict = {"name": name, "generateName": f"{meta(owner)['name']}-"}
    metadata["namespace"] = namespace or meta(owner).get("namespace") or "default"
    if tmeta.get("labels"):
        metadata["labels"] = dict(tmeta["labels"])
    if tmeta.get("annotations"):
        metadata["annotations"] = dict(tmeta["annotations"])
    if tmeta.get("finalizers"):
        metadata["finalizers"] = list(tmeta["finalizers"])
    metadata["ownerReferences"] = [owner_reference(owner)]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": clone(template.get("spec") or {}),
    }


def in_namespace(objs: list[dict], ns: str) -> list[dict]:
    """The objects of one namespace."""
    return [o for o in objs if namespace(o) == ns]


def claim(owner: dict, selector: dict | None, candidates: list[dict]):
    """ControllerRefManager.Claim: split objects into (owned, to_adopt, to_release).

    `owned` are the objects the owner controls and that still match (including the
    ones about to be adopted). Orphans are only adopted while the owner is not
    being deleted; objects being deleted are never adopted.
    """
    compiled = selectors.from_label_selector(selector)
    # An empty selector selects nothing for a controller (it would grab every pod).
    if not compiled:
        return [], [], [o for o in candidates if is_controlled_by(o, owner)]
    owned, adopt, release = [], [], []
    for obj in candidates:
        matches = selectors.matches(compiled, labels(obj))
        r = controller_ref(obj)
        if r is not None:
            if r.get("uid") != uid(owner):
                continue
            (owned if matches else release).append(obj)
        elif matches and not is_terminating(obj) and not is_terminating(owner):
            owned.append(obj)
            adopt.append(obj)
    return owned, adopt, release


def adopt_patch(obj: dict, owner: dict) -> dict:
    """A merge patch that adds `owner` as the controller of `obj`."""
    refs = list(meta(obj).get("ownerReferences") or [])
    refs.append(owner_reference(owner))
    return {"metadata": {"ownerReferences": refs}}


def release_patch(obj: dict, owner: dict) -> dict:
    """A merge patch that removes `owner` from the ownerReferences of `obj`."""
    refs = [
        r for r in meta(obj).get("ownerReferences") or [] if r.get("uid") != uid(owner)
    ]
    return {"metadata": {"ownerReferences": refs or None}}


def _log_rank(t: float, now: float) -> int:
    """⌊log2(age in nanoseconds)⌋ as LogarithmicScaleDown buckets ages (-1 for age ≤ 0)."""
    age_ns = (now - t) * 1e9
    return int(math.log2(age_ns)) if age_ns > 0 else -1


def deletion_order(pods: list[dict], ranks: dict[str, int], now: float) -> list[dict]:
    """Sort pods by ActivePodsWithRanks: the pod to delete first comes first.

    `ranks` maps a pod uid to the number of related active pods on its node.
    """
    import functools

    def cmp(a: dict, b: dict) -> int:
        na, nb = node_name(a), node_name(b)
        if na != nb and (not na or not nb):
            return -1 if not na else 1
        pa, pb = _PHASE_ORDINAL.get(phase(a), 1), _PHASE_ORDINAL.get(phase(b), 1)
        if pa != pb:
            return -1 if pa < pb else 1
        ra, rb = is_ready(a), is_ready(b)
        if ra != rb:
            return -1 if not ra else 1
        ca, cb = deletion_cost(a), deletion_cost(b)
        if ca != cb:
            return -1 if ca < cb else 1
        ka, kb = ranks.get(uid(a), 0), ranks.get(uid(b), 0)
        if ka != kb:
            return -1 if ka > kb else 1
        if ra and rb:
            result = _compare_times(ready_since(a), ready_since(b), a, b, now)
            if result:
                return result
        xa, xb = max_restarts(a), max_restarts(b)
        if xa != xb:
            return -1 if xa > xb else 1
        return _compare_times(created_at(a), created_at(b), a, b, now)

    return sorted(pods, key=functools.cmp_to_key(cmp))


def _compare_times(ta, tb, a: dict, b: dict, now: float) -> int:
    """Newer (or unset) first, bucketed by log2 of age, ties broken by lower uid."""
    if ta == tb:
        return 0
    if ta is None or tb is None:
        return -1 if ta is None else 1
    diff = _log_rank(ta, now) - _log_rank(tb, now)
    if diff == 0:
        ua, ub = uid(a), uid(b)
        return 0 if ua == ub else (-1 if ua < ub else 1)
    return -1 if diff < 0 else 1


def ranks_by_node(pods: list[dict], related: list[dict]) -> dict[str, int]:
    """getPodsRankedByRelatedPodsOnSameNode: active related pods sharing each pod's node."""
    per_node: dict[str, int] = {}
    for p in related:
        if is_active(p):
            per_node[node_name(p)] = per_node.get(node_name(p), 0) + 1
    return {uid(p): per_node.get(node_name(p), 0) for p in pods}


def set_condition(conditions: list[dict], new: dict) -> list[dict]:
    """A copy of `conditions` with `new` replacing the condition of its type, at the end.

    The lastTransitionTime is kept when the status does not change; when status
    and reason are unchanged the list is returned as is (the apps/batch helpers).
    """
    current = next((c for c in conditions if c.get("type") == new["type"]), None)
    if current and current.get("status") == new["status"]:
        if current.get("reason") == new.get("reason"):
            return list(conditions)
        if "lastTransitionTime" in current:
            new = {**new, "lastTransitionTime": current["lastTransitionTime"]}
    return [c for c in conditions if c.get("type") != new["type"]] + [new]


def remove_condition(conditions: list[dict], type_: str) -> list[dict]:
    """A copy of `conditions` without the condition of `type_`."""
    return [c for c in conditions if c.get("type") != type_]


def with_disruption_target(pod: dict, reason: str, message: str, now: float) -> list:
    """The pod's conditions with DisruptionTarget=True set to why it is being removed."""
    conditions = [
        c
        for c in (pod.get("status") or {}).get("conditions") or []
        if c.get("type") != "DisruptionTarget"
    ]
    conditions.append(
        {
            "type": "DisruptionTarget",
            "status": "True",
            "lastTransitionTime": rfc3339(now),
            "reason": reason,
            "message": message,
        }
    )
    return conditions
