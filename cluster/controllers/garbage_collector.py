"""Garbage collector (`garbage-collector-controller`): ownerReferences cascade deletion.

Background: a dependent whose owners are all gone (no live object with that uid)
is deleted. Foreground: an owner being deleted with the `foregroundDeletion`
finalizer has its dependents deleted first, and loses the finalizer once no
dependent with `blockOwnerDeletion` is left. Orphan: an owner with the `orphan`
finalizer has its ownerReference removed from every dependent, then the finalizer.
Deletions carry the dependent's uid as a precondition, so a recreated object of
the same name is never hit.
"""

from __future__ import annotations

import random

from cluster import kinds
from cluster.actions import Action, Delete, Patch
from cluster.controllers.meta import objects, ref_of
from cluster.objects import pods as podutil

COMPONENT = "garbage-collector-controller"
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


def sync(view: dict, now: float, rng: random.Random) -> list[Action]:
    """Delete orphaned dependents and finish foreground and orphan deletions."""
    everything = all_objects(view)
    by_uid = {podutil.uid(o): o for o in everything if podutil.uid(o)}
    dependents: dict[str, list[dict]] = {}
    for obj in everything:
        for r in _owner_refs(obj):
            dependents.setdefault(r.get("uid", ""), []).append(obj)
    actions: list[Action] = []
    for obj in everything:
        actions += reconcile_dependent(obj, by_uid, dependents)
    for obj in everything:
        actions += reconcile_owner(obj, dependents.get(podutil.uid(obj), []))
    return actions


def next_wake(view: dict, now: float) -> float | None:
    """The collector follows the view only; nothing is timed."""
    return None


def all_objects(view: dict) -> list[dict]:
    """Every object of a served, stored kind in the view (pseudo-kinds are skipped)."""
    out = []
    for kind in sorted(view):
        try:
            if not kinds.by_kind(kind).stored:
                continue
        except kinds.UnknownKind:
            continue
        out += objects(view, kind)
    return out


def owner_exists(obj: dict, ref: dict, by_uid: dict[str, dict]) -> dict | None:
    """The live owner a reference names (same uid and kind, and same namespace if namespaced)."""
    owner = by_uid.get(ref.get("uid", ""))
    if owner is None or owner.get("kind") != ref.get("kind"):
        return None
    if podutil.namespace(owner) and podutil.namespace(owner) != podutil.namespace(obj):
        return None
    return owner


def reconcile_dependent(
    obj: dict, by_uid: dict[str, dict], dependents: dict[str, list[dict]]
) -> list[Action]:
    """attemptToDeleteItem: delete a dependent whose owners are gone or deleting."""
    refs = _owner_refs(obj)
    if not refs or podutil.is_terminating(obj):
        return []
    solid, dangling, waiting = [], [], []
    for r in refs:
        owner = owner_exists(obj, r, by_uid)
        if owner is None:
            dangling.append(r)
        elif podutil.is_terminating(owner) and FOREGROUND in _finalizers(owner):
            waiting.append(r)
        else:
            solid.append(r)
    if solid:
        if not dangling and not waiting:
            return []
        # Live owners keep the object; only the references to gone owners go.
        gone = {r["uid"] for r in dangling + waiting}
        remaining = [r for r in refs if r.get("uid") not in gone]
        return [Patch(ref_of(obj), {"metadata": {"ownerReferences": remaining}})]
    if waiting and dependents.get(podutil.uid(obj)):
        policy = "Foreground"
    elif ORPHAN in _finalizers(obj):
        policy = "Orphan"
    elif FOREGROUND in _finalizers(obj):
        policy = "Foreground"
    else:
        policy = "Background"
    return [Delete(ref_of(obj), propagation_policy=policy, uid=podutil.uid(obj))]


def reconcile_owner(owner: dict, dependents: list[dict]) -> list[Action]:
    """Finish an owner's orphan or foreground deletion once its dependents allow it."""
    if not podutil.is_terminating(owner):
        return []
    finalizers = _finalizers(owner)
    uid = podutil.uid(owner)
    if ORPHAN in finalizers:
        actions: list[Action] = []
        for dep in sorted(dependents, key=_sort_key):
            remaining = [r for r in _owner_refs(dep) if r.get("uid") != uid]
            actions.append(
                Patch(ref_of(dep), {"metadata": {"ownerReferences": remaining or None}})
            )
        return actions + [_remove_finalizer(owner, ORPHAN)]
    if FOREGROUND in finalizers:
        blocking = [
            d
            for d in dependents
            if any(
                r.get("uid") == uid and r.get("blockOwnerDeletion")
                for r in _owner_refs(d)
            )
        ]
        if not blocking:
            return [_remove_finalizer(owner, FOREGROUND)]
    return []


def _remove_finalizer(obj: dict, finalizer: str) -> Patch:
    remaining = [f for f in _finalizers(obj) if f != finalizer]
    meta = obj.get("metadata") or {}
    # The resourceVersion makes the patch conditional, so a finalizer added meanwhile survives.
    return Patch(
        ref_of(obj),
        {
            "metadata": {
                "finalizers": remaining or None,
                "resourceVersion": meta.get("resourceVersion"),
            }
        },
    )


def _owner_refs(obj: dict) -> list[dict]:
    return (obj.get("metadata") or {}).get("ownerReferences") or []


def _finalizers(obj: dict) -> list[str]:
    return (obj.get("metadata") or {}).get("finalizers") or []


def _sort_key(obj: dict) -> tuple:
    return (obj.get("kind", ""), podutil.namespace(obj), podutil.name(obj))
