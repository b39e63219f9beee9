"""Namespace controller (`namespace-controller`): empty a Terminating namespace, then finalize it.

When a namespace has a deletionTimestamp (the API server has already set its phase
to Terminating), every object inside it is deleted. Status conditions report what
is left; once nothing is, the `kubernetes` finalizer is removed from spec.finalizers
through the `finalize` subresource and the API server removes the namespace.
"""

from __future__ import annotations

import random

from cluster import kinds
from cluster.actions import Action, Delete, Patch
from cluster.controllers.meta import objects, ref_of
from cluster.objects import pods as podutil
from cluster.simtime import rfc3339

COMPONENT = "namespace-controller"
FINALIZER = "kubernetes"

# (type, status, reason, message) of the conditions that never fail in the simulation.
_STEADY = (
    (
        "NamespaceDeletionDiscoveryFailure",
        "False",
        "ResourcesDiscovered",
        "All resources successfully discovered",
    ),
    (
        "NamespaceDeletionGroupVersionParsingFailure",
        "False",
        "ParsedGroupVersions",
        "All legacy kube types successfully parsed",
    ),
    (
        "NamespaceDeletionContentFailure",
        "False",
        "ContentDeleted",
        "All content successfully deleted, may be waiting on finalization",
    ),
)
REASON_CONTENT_REMAINING = "SomeResourcesRemain"
REASON_CONTENT_REMOVED = "ContentRemoved"
MESSAGE_CONTENT_REMOVED = "All content successfully removed"
REASON_FINALIZERS_REMAINING = "SomeFinalizersRemain"
REASON_NO_FINALIZERS = "ContentHasNoFinalizers"
MESSAGE_NO_FINALIZERS = "All content-preserving finalizers finished"


def sync(view: dict, now: float, rng: random.Random) -> list[Action]:
    """Empty and finalize every namespace that is being deleted."""
    contents: dict[str, list[dict]] = {}
    for kind in sorted(view):
        try:
            k = kinds.by_kind(kind)
        except kinds.UnknownKind:
            continue
        if not k.namespaced or not k.stored:
            continue
        for obj in objects(view, kind):
            contents.setdefault(podutil.namespace(obj), []).append(obj)
    actions: list[Action] = []
    for ns in sorted(objects(view, "Namespace"), key=podutil.name):
        actions += reconcile(ns, contents.get(podutil.name(ns), []), now)
    return actions


def next_wake(view: dict, now: float) -> float | None:
    """The namespace controller follows the view only; nothing is timed."""
    return None


def remaining_message(content: list[dict]) -> str:
    """`Some resources are remaining: pods. has 2 resource instances, ...`."""
    counts: dict[str, int] = {}
    for obj in content:
        k = kinds.by_kind(obj["kind"], obj.get("apiVersion"))
        resource = f"{k.plural}.{k.group}"
        counts[resource] = counts.get(resource, 0) + 1
    parts = [f"{r} has {n} resource instances" for r, n in sorted(counts.items())]
    return "Some resources are remaining: " + ", ".join(parts)


def finalizers_message(content: list[dict]) -> str | None:
    """`Some content in the namespace has finalizers remaining: f in N resource instances`."""
    counts: dict[str, int] = {}
    for obj in content:
        for f in (obj.get("metadata") or {}).get("finalizers") or []:
            counts[f] = counts.get(f, 0) + 1
    if not counts:
        return None
    parts = [f"{f} in {n} resource instances" for f, n in sorted(counts.items())]
    return "Some content in the namespace has finalizers remaining: " + ", ".join(parts)


def conditions(ns: dict, content: list[dict], now: float) -> list[dict]:
    """The deletion conditions for what is still in the namespace."""
    rows = list(_STEADY)
    if content:
        rows.append(
            (
                "NamespaceContentRemaining",
                "True",
                REASON_CONTENT_REMAINING,
                remaining_message(content),
            )
        )
    else:
        rows.append(
            (
                "NamespaceContentRemaining",
                "False",
                REASON_CONTENT_REMOVED,
                MESSAGE_CONTENT_REMOVED,
            )
        )
    held = finalizers_message(content)
    if held:
        rows.append(
            ("NamespaceFinalizersRemaining", "True", REASON_FINALIZERS_REMAINING, held)
        )
    else:
        rows.append(
            (
                "NamespaceFinalizersRemaining",
                "False",
                REASON_NO_FINALIZERS,
                MESSAGE_NO_FINALIZERS,
            )
        )
    old = {c["type"]: c for c in (ns.get("status") or {}).get("conditions") or []}
    out = []
    for type_, status, reason, message in rows:
        prev = old.get(type_)
        since = rfc3339(now)
        if prev and prev.get("status") == status and prev.get("lastTransitionTime"):
            since = prev["lastTransitionTime"]
        out.append(
            {
                "type": type_,
                "status": status,
                "lastTransitionTime": since,
                "reason": reason,
                "message": message,
            }
        )
    return out


def reconcile(ns: dict, content: list[dict], now: float) -> list[Action]:
    """Delete the namespace's content, report what remains, finalize when empty."""
    if not podutil.is_terminating(ns):
        return []
    actions: list[Action] = [
        Delete(ref_of(obj), propagation_policy="Background")
        for obj in sorted(content, key=lambda o: (o["kind"], podutil.name(o)))
        if not podutil.is_terminating(obj)
    ]
    status = ns.get("status") or {}
    want = conditions(ns, content, now)
    if status.get("phase") != "Terminating" or status.get("conditions") != want:
        actions.append(
            Patch(
                ref_of(ns, "Namespace"),
                {"status": {"phase": "Terminating", "conditions": want}},
                "status",
            )
        )
    finalizers = (ns.get("spec") or {}).get("finalizers") or []
    if not content and FINALIZER in finalizers:
        rest = [f for f in finalizers if f != FINALIZER]
        actions.append(
            Patch(
                ref_of(ns, "Namespace"),
                {"spec": {"finalizers": rest or None}},
                "finalize",
            )
        )
    return actions
