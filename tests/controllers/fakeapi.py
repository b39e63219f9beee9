"""A tiny in-memory stand-in for the API server: applies controller actions to a view.

Create sets uid/creationTimestamp/resourceVersion/generation, Update and
UpdateStatus replace, Patch merges (RFC 7386), Delete removes. Events are
collected as `(reason, message)` pairs. The real API server does much more.
"""

from __future__ import annotations

import copy
import itertools

from cluster.actions import Create, Delete, Patch, RecordEvent, Update, UpdateStatus
from cluster.simtime import rfc3339

_uids = itertools.count(1)


def merge(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge(out.get(key), value)
    return out


def _find(view, kind, namespace, name):
    for i, obj in enumerate(view.get(kind, [])):
        m = obj["metadata"]
        if m["name"] == name and m.get("namespace") == namespace:
            return i
    return None


def apply(view: dict, actions: list, now: float, events: list | None = None) -> dict:
    """Apply actions in order to `view` (mutated and returned)."""
    for action in actions:
        if isinstance(action, Create):
            obj = copy.deepcopy(action.obj)
            m = obj["metadata"]
            m.setdefault("uid", f"uid-{next(_uids):05d}")
            m["creationTimestamp"] = rfc3339(now)
            m["resourceVersion"] = "1"
            m["generation"] = 1
            view.setdefault(obj["kind"], []).append(obj)
        elif isinstance(action, (Update, UpdateStatus)):
            obj = copy.deepcopy(action.obj)
            m = obj["metadata"]
            i = _find(view, obj["kind"], m.get("namespace"), m["name"])
            old = view[obj["kind"]][i]
            if isinstance(action, UpdateStatus):
                obj = {**old, "status": obj.get("status", {})}
            elif obj.get("spec") != old.get("spec"):
                obj["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
            view[obj["kind"]][i] = obj
        elif isinstance(action, Patch):
            r = action.ref
            i = _find(view, r.kind, r.namespace, r.name)
            view[r.kind][i] = merge(view[r.kind][i], action.patch)
        elif isinstance(action, Delete):
            r = action.ref
            i = _find(view, r.kind, r.namespace, r.name)
            if i is not None:
                view[r.kind].pop(i)
        elif isinstance(action, RecordEvent) and events is not None:
            events.append((action.reason, action.message))
    return view
