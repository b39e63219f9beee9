"""Event recording as client-go's recorder does it: one Event per distinct occurrence,
with repeats folded into `count` and `lastTimestamp`, so `kubectl describe` shows
`3x over 2m` instead of three rows.
"""

from __future__ import annotations

from cluster import kinds
from cluster.actions import RecordEvent
from cluster.apiserver import errors
from cluster.simtime import rfc3339

EVENT = kinds.by_kind("Event", "v1")


def event_name(involved_name: str, now: float) -> str:
    """`<object>.<unix nanoseconds in hex>`, the recorder's naming."""
    return f"{involved_name}.{int(now * 1e9):x}"


def _same_occurrence(event: dict, action: RecordEvent) -> bool:
    inv = event.get("involvedObject", {})
    return (
        inv.get("uid", "") == action.involved.uid
        and inv.get("name") == action.involved.name
        and inv.get("kind") == action.involved.kind
        and inv.get("fieldPath", "") == action.field_path
        and event.get("reason") == action.reason
        and event.get("message") == action.message
        and event.get("source", {}).get("component") == action.component
    )


def record(api, action: RecordEvent) -> dict:
    """Create the Event, or bump the count of the one it repeats."""
    namespace = action.involved.namespace or "default"
    # The events this recorder wrote about the object are named `<object>.<hex>`: a
    # key-range read finds them without decoding every event in the namespace.
    existing = api.list(
        EVENT,
        namespace,
        field_selector=f"involvedObject.name={action.involved.name}",
        name_prefix=f"{action.involved.name}.",
    ).items
    for event in existing or []:
        if _same_occurrence(event, action):
            event["count"] = int(event.get("count") or 1) + 1
            event["lastTimestamp"] = rfc3339(api.now)
            try:
                return api.update(event, EVENT)
            except errors.ApiError as exc:
                if exc.reason != "Conflict":
                    raise
                break
    involved = {
        "kind": action.involved.kind,
        "namespace": action.involved.namespace or "",
        "name": action.involved.name,
        "uid": action.involved.uid,
        "apiVersion": action.involved.api_version,
    }
    if not action.involved.namespace:
        involved.pop("namespace")
    if action.field_path:
        involved["fieldPath"] = action.field_path
    source = {"component": action.component}
    if action.host:
        source["host"] = action.host
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": event_name(action.involved.name, api.now),
            "namespace": namespace,
        },
        "involvedObject": {k: v for k, v in involved.items() if v != ""},
        "reason": action.reason,
        "message": action.message,
        "source": source,
        "firstTimestamp": rfc3339(api.now),
        "lastTimestamp": rfc3339(api.now),
        "count": 1,
        "type": action.type,
        "eventTime": None,
        "reportingComponent": action.component,
        "reportingInstance": action.host,
    }
    event.update(action.extra)
    # Several events about one object in one instant: real clocks tell them apart by
    # a few microseconds, in the order they happened (names sort as `describe` lists).
    for attempt in range(1, 21):
        try:
            return api.create(event, namespace, EVENT)
        except errors.ApiError as exc:
            if exc.reason != "AlreadyExists":
                raise
            event["metadata"]["name"] = event_name(
                action.involved.name, api.now + attempt / 1e6
            )
    raise errors.already_exists("events", event["metadata"]["name"])
