"""Controller history: the ControllerRevisions StatefulSets and DaemonSets keep.

A revision stores its owner's pod template as a strategic merge patch that replaces
`spec.template` (`{"spec":{"template":{...,"$patch":"replace"}}}`), which is exactly what
`kubectl rollout undo` sends back to the owner. Revisions are numbered upward; a
template that comes back reuses its old revision object under a new number.
"""

from __future__ import annotations

import json

from cluster.actions import Action, Delete, Update
from cluster.objects import pods as P
from cluster.objects.clone import clone
from cluster.objects.names import fnv32a, safe_encode_string

HASH_LABEL = "controller-revision-hash"
PATCH_DIRECTIVE = "$patch"
DEFAULT_HISTORY_LIMIT = 10
# ControllerRevisionName keeps the name a valid DNS subdomain.
_MAX_PREFIX = 223


def template_patch(owner: dict) -> dict:
    """getPatch: the owner's template as a patch that replaces spec.template.

    Shaped as Go marshals it (keys sorted, a template's `creationTimestamp: null`),
    so `kubectl rollout undo` sees byte for byte which revision is already current.
    """
    template = clone(owner["spec"]["template"])
    template["metadata"] = {
        "creationTimestamp": None,
        **(template.get("metadata") or {}),
    }
    template[PATCH_DIRECTIVE] = "replace"
    return json.loads(encode({"spec": {"template": template}}))


def encode(data: dict) -> bytes:
    """The bytes Go's json.Marshal writes for a decoded map: compact, keys sorted."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def hash_revision(data: dict, collision_count: int | None = None) -> str:
    """HashControllerRevision: FNV-32a of the data (and collision count), safe-encoded."""
    raw = encode(data)
    if collision_count is not None:
        raw += str(collision_count).encode()
    return safe_encode_string(str(fnv32a(raw)))


def revision_name(prefix: str, hash_: str) -> str:
    """ControllerRevisionName: `<owner>-<hash>`."""
    return f"{prefix[:_MAX_PREFIX]}-{hash_}"


def new_revision(owner: dict, data: dict, number: int, hash_: str) -> dict:
    """A ControllerRevision of `owner`: template labels plus the hash label, the
    owner's annotations (kubectl shows their change-cause), a controller reference."""
    labels = dict((owner["spec"]["template"].get("metadata") or {}).get("labels") or {})
    labels[HASH_LABEL] = hash_
    meta = {
        "name": revision_name(P.name(owner), hash_),
        "namespace": P.namespace(owner),
        "labels": labels,
        "ownerReferences": [P.owner_reference(owner)],
    }
    annotations = P.meta(owner).get("annotations")
    if annotations:
        meta["annotations"] = dict(annotations)
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": meta,
        "data": data,
        "revision": number,
    }


def owned(owner: dict, revisions: list[dict]) -> list[dict]:
    """The owner's revisions, oldest revision number first."""
    mine = [
        r
        for r in revisions
        if P.namespace(r) == P.namespace(owner) and P.is_controlled_by(r, owner)
    ]
    return sorted(mine, key=lambda r: (r.get("revision", 0), P.name(r)))


def next_number(revisions: list[dict]) -> int:
    """One past the highest revision number (1 for an empty history)."""
    return max((r.get("revision", 0) for r in revisions), default=0) + 1


def matches(revision: dict, data: dict) -> bool:
    """Whether a revision holds exactly this template patch."""
    return revision.get("data") == data


def template_of(revision: dict) -> dict:
    """ApplyRevision's result for the template: the stored one without the directive."""
    template = clone(revision["data"]["spec"]["template"])
    template.pop(PATCH_DIRECTIVE, None)
    meta = template.get("metadata") or {}
    if meta.get("creationTimestamp", "") is None:
        meta.pop("creationTimestamp")
    return template


def renumber(revision: dict, number: int) -> Update:
    """Move a revision to a new number (a template rolled back to comes first again)."""
    return Update({**revision, "revision": number})


def prune(
    owner: dict, history: list[dict], live: set[str], count_live: bool = False
) -> list[Action]:
    """Delete the oldest revisions not in `live` past spec.revisionHistoryLimit.

    The StatefulSet controller counts only dead revisions against the limit; the
    DaemonSet controller (`count_live`) counts all its old ones, live or not.
    """
    limit = owner["spec"].get("revisionHistoryLimit")
    limit = DEFAULT_HISTORY_LIMIT if limit is None else limit
    dead = [r for r in history if P.name(r) not in live]
    excess = (len(history) if count_live else len(dead)) - limit
    return [Delete(P.ref(r), uid=P.uid(r)) for r in dead[: max(0, excess)]]
