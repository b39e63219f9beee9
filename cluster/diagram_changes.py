"""What the live diagram draws, and one logged change in the form its frames carry it.

The browser's stream (`playground.live`) reads changes from the watch log in this form,
and a writer puts the same text in its change notification (`cluster.watch`), so a
stream that has every revision before a change can forward it without a read.
"""

from __future__ import annotations

import json

from cluster import kinds

# Leases and endpoint slices change every few seconds and draw nothing, so they are
# not streamed.
DIAGRAM_KINDS = tuple(
    kinds.by_kind(name)
    for name in (
        "Node",
        "Pod",
        "Service",
        "Endpoints",
        "Ingress",
        "Deployment",
        "ReplicaSet",
        "DaemonSet",
        "StatefulSet",
        "PersistentVolumeClaim",
        "PersistentVolume",
        "Event",
    )
)
DIAGRAM_BUCKETS = tuple(sorted({k.bucket for k in DIAGRAM_KINDS}))
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def object_key(bucket: str, namespace: str, name: str) -> str:
    """The diagram's key of an object: "<bucket>/<namespace>/<name>"."""
    return f"{bucket}/{namespace or ''}/{name}"


def slim(obj: dict) -> dict:
    """The object without the bookkeeping the diagram never shows (managed fields)."""
    meta = obj.get("metadata") or {}
    meta.pop("managedFields", None)
    annotations = meta.get("annotations")
    if annotations and LAST_APPLIED in annotations:
        annotations.pop(LAST_APPLIED)
    return obj


def change_text(type_: str, bucket: str, namespace: str, name: str, body: str) -> str:
    """One change as the JSON text of a frame's `changes` entry: {type, key, obj}.

    The stored body is used as it is unless it holds what `slim` drops, so most
    changes cost no decoding at all."""
    if '"managedFields"' in body or LAST_APPLIED in body:
        body = _dumps(slim(json.loads(body)))
    key = _dumps(object_key(bucket, namespace, name))
    return f'{{"type":"{type_}","key":{key},"obj":{body}}}'
