"""Small readers over object metadata shared by the node, network and lifecycle controllers.

Objects are plain API dicts; these helpers build references and events (the pod and
owner readers live in `cluster.objects.pods`), so each controller keeps to its subject.
"""

from __future__ import annotations

from cluster import kinds
from cluster.actions import RecordEvent, Ref


def api_version_of(obj: dict) -> str:
    """The object's apiVersion, or the served one for its kind when it is absent."""
    if obj.get("apiVersion"):
        return obj["apiVersion"]
    try:
        return kinds.by_kind(obj.get("kind", "")).api_version
    except kinds.UnknownKind:
        return ""


def ref_of(obj: dict, kind: str | None = None) -> Ref:
    """A Ref naming one live object (kind, namespace, name, apiVersion, uid)."""
    meta = obj.get("metadata") or {}
    kind = kind or obj.get("kind", "")
    return Ref(
        kind=kind,
        namespace=meta.get("namespace"),
        name=meta.get("name", ""),
        api_version=api_version_of({**obj, "kind": kind}),
        uid=meta.get("uid", ""),
    )


def event(
    obj: dict, type_: str, reason: str, message: str, component: str, kind: str = ""
) -> RecordEvent:
    """An Event about `obj` from `component`."""
    return RecordEvent(
        involved=ref_of(obj, kind or None),
        type=type_,
        reason=reason,
        message=message,
        component=component,
    )


def objects(view: dict, kind: str) -> list[dict]:
    """The live objects of one kind in the view, each carrying its kind and apiVersion."""
    out = []
    for o in view.get(kind) or []:
        if not o.get("kind") or not o.get("apiVersion"):
            o = {**o, "kind": o.get("kind") or kind}
            o["apiVersion"] = api_version_of(o)
        out.append(o)
    return out
