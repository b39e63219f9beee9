"""Deployment arithmetic and bookkeeping: hashes, fenceposts, revisions, conditions.

Mirrors k/k pkg/controller/deployment/util. The pod-template-hash keeps the format
of the real one (fnv32a → decimal → safe-encoded, collisionCount appended as 8
little-endian bytes), but hashes a canonical JSON of the template instead of Go's
deep-hash dump of the struct, so the characters differ from a real cluster's.
"""

from __future__ import annotations

import json
import math
import struct

from cluster.objects import pods as P
from cluster.objects.names import fnv32a, safe_encode_string
from cluster.simtime import parse_rfc3339, rfc3339

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000
_SKIP_COPY = {
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
}
MAX_INT32 = 2**31 - 1


def canonical(value):
    """The value with nulls and empty strings, maps and lists dropped (template equality)."""
    if isinstance(value, dict):
        out = {k: canonical(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", {}, [])}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def without_hash(template: dict) -> dict:
    """The template without the pod-template-hash label."""
    tmpl = canonical(template or {})
    labels = dict((tmpl.get("metadata") or {}).get("labels") or {})
    labels.pop(HASH_LABEL, None)
    meta = {**(tmpl.get("metadata") or {}), "labels": labels}
    return canonical({**tmpl, "metadata": meta})


def templates_equal(a: dict, b: dict) -> bool:
    """EqualIgnoreHash: templates equal ignoring the hash label and empty values."""
    return without_hash(a) == without_hash(b)


def pod_template_hash(template: dict, collision_count: int | None = None) -> str:
    """ComputeHash: the `pod-template-hash` of a template (≤10 chars of 4-9,b,c,d,f)."""
    data = json.dumps(
        without_hash(template), sort_keys=True, separators=(",", ":")
    ).encode()
    if collision_count is not None:
        data += struct.pack("<I", collision_count & 0xFFFFFFFF) + b"\0\0\0\0"
    return safe_encode_string(str(fnv32a(data)))


def replicas(obj: dict) -> int:
    """spec.replicas, defaulting to 1."""
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def status_int(obj: dict, key: str) -> int:
    """An integer status field, 0 when absent."""
    return int((obj.get("status") or {}).get(key) or 0)


def scaled_value(value, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if isinstance(value, int):
        return value
    text = str(value)
    if not text.endswith("%"):
        return int(text)
    exact = int(text[:-1]) * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def is_rolling(d: dict) -> bool:
    """Whether the strategy is RollingUpdate (the default)."""
    return (
        (d["spec"].get("strategy") or {}).get("type") or "RollingUpdate"
    ) == "RollingUpdate"


def resolve_fenceposts(d: dict) -> tuple[int, int]:
    """ResolveFenceposts: (maxSurge, maxUnavailable); surge rounds up, unavailable down."""
    ru = (d["spec"].get("strategy") or {}).get("rollingUpdate") or {}
    desired = replicas(d)
    surge = scaled_value(ru.get("maxSurge", "25%"), desired, True)
    unavailable = scaled_value(ru.get("maxUnavailable", "25%"), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: dict) -> int:
    """MaxSurge: 0 unless RollingUpdate."""
    return resolve_fenceposts(d)[0] if is_rolling(d) else 0


def max_unavailable(d: dict) -> int:
    """MaxUnavailable: 0 unless RollingUpdate with replicas, capped at replicas."""
    if not is_rolling(d) or replicas(d) == 0:
        return 0
    return min(resolve_fenceposts(d)[1], replicas(d))


def revision(obj: dict) -> int:
    """The revision annotation as an int (0 when absent or invalid)."""
    try:
        return int(P.annotations(obj).get(REVISION, "0"))
    except ValueError:
        return 0


def by_creation(rss: list[dict]) -> list[dict]:
    """ReplicaSetsByCreationTimestamp: oldest first, then by name."""
    return sorted(rss, key=lambda r: (P.created_at(r) or 0.0, P.name(r)))


def is_active_rs(rs: dict) -> bool:
    """FilterActiveReplicaSets: spec.replicas > 0."""
    return replicas(rs) > 0


def set_replicas_annotations(rs: dict, desired: int, max_replicas: int) -> bool:
    """SetReplicasAnnotations on a working copy; True when something changed."""
    ann = rs["metadata"].setdefault("annotations", {})
    changed = False
    for key, value in (
        (DESIRED_REPLICAS, str(desired)),
        (MAX_REPLICAS, str(max_replicas)),
    ):
        if ann.get(key) != value:
            ann[key] = value
            changed = True
    return changed


def set_new_rs_annotations(d: dict, rs: dict, new_revision: int, exists: bool) -> bool:
    """SetNewReplicaSetAnnotations on a working copy; True when something changed."""
    ann = rs["metadata"].setdefault("annotations", {})
    changed = False
    for key, value in P.annotations(d).items():
        if key not in _SKIP_COPY and ann.get(key) != value:
            ann[key] = value
            changed = True
    had_revision = REVISION in ann
    old = revision(rs)
    if old < new_revision:
        ann[REVISION] = str(new_revision)
        changed = True
        if had_revision:
            _append_revision_history(ann, str(old))
    if not exists and set_replicas_annotations(
        rs, replicas(d), replicas(d) + max_surge(d)
    ):
        changed = True
    return changed


def _append_revision_history(ann: dict, old: str) -> None:
    history = ann.get(REVISION_HISTORY, "")
    if not history:
        ann[REVISION_HISTORY] = old
        return
    parts = history.split(",")
    total = len(history) + len(old) + 1
    start = 0
    while total > MAX_REV_HISTORY_LENGTH_IN_CHARS and start < len(parts):
        total -= len(parts[start]) + 1
        start += 1
    if total <= MAX_REV_HISTORY_LENGTH_IN_CHARS:
        ann[REVISION_HISTORY] = ",".join(parts[start:] + [old])


def has_progress_deadline(d: dict) -> bool:
    """HasProgressDeadline: progressDeadlineSeconds set and not MaxInt32."""
    value = d["spec"].get("progressDeadlineSeconds", 600)
    return value is not None and value != MAX_INT32


def condition(type_: str, status: str, reason: str, message: str, now: float) -> dict:
    """NewDeploymentCondition with both times set to now."""
    t = rfc3339(now)
    return {
        "type": type_,
        "status": status,
        "lastUpdateTime": t,
        "lastTransitionTime": t,
        "reason": reason,
        "message": message,
    }


def get_condition(status: dict, type_: str) -> dict | None:
    """The condition of a type in a status dict."""
    return next(
        (c for c in status.get("conditions") or [] if c.get("type") == type_), None
    )


def timed_out(d: dict, status: dict, now: float) -> bool:
    """DeploymentTimedOut: the Progressing condition has not been updated for the deadline."""
    if not has_progress_deadline(d):
        return False
    cond = get_condition(status, "Progressing")
    if cond is None or cond.get("reason") == "NewReplicaSetAvailable":
        return False
    if cond.get("reason") == "ProgressDeadlineExceeded":
        return True
    since = parse_rfc3339(cond.get("lastUpdateTime")) or 0.0
    return since + d["spec"].get("progressDeadlineSeconds", 600) < now


def new_rs_new_replicas(d: dict, all_rss: list[dict], new_rs: dict) -> int:
    """NewRSNewReplicas: how far the new ReplicaSet may be scaled up now."""
    if not is_rolling(d):
        return replicas(d)
    current = sum(replicas(r) for r in all_rss)
    max_total = replicas(d) + max_surge(d)
    if current >= max_total:
        return replicas(new_rs)
    up = min(max_total - current, replicas(d) - replicas(new_rs))
    return replicas(new_rs) + up


def complete(d: dict, status: dict) -> bool:
    """DeploymentComplete: every replica updated and available, generation observed."""
    want = replicas(d)
    return (
        status.get("updatedReplicas", 0) == want
        and status.get("replicas", 0) == want
        and status.get("availableReplicas", 0) == want
        and status.get("observedGeneration", 0) >= P.meta(d).get("generation", 0)
    )
