"""Turning a component's actions into API calls, as that component."""

from __future__ import annotations

import logging

from cluster import kinds
from cluster.actions import (
    Bind,
    Create,
    Delete,
    Evict,
    Patch,
    RecordEvent,
    Update,
    UpdateStatus,
)
from cluster.apiserver import errors, recorder, subresources
from cluster.apiserver.patch import json_merge

log = logging.getLogger(__name__)

# Outcomes a level-based reconciler simply retries on its next pass.
RETRIABLE = {"Conflict", "AlreadyExists", "NotFound", "TooManyRequests"}


def _kind_of(obj: dict):
    return kinds.by_kind(obj["kind"], obj.get("apiVersion"))


def apply_one(api, action) -> None:
    match action:
        case Create(obj=obj):
            api.create(obj)
        case UpdateStatus(obj=obj):
            api.update(obj, _kind_of(obj), subresource="status")
        case Update(obj=obj):
            api.update(obj, _kind_of(obj))
        case Patch(ref=ref, patch=patch, subresource=sub):
            kind = kinds.by_kind(ref.kind, ref.api_version or None)
            expected = (patch.get("metadata") or {}).get("resourceVersion")

            def merge(live, patch=patch, expected=expected):
                # A resourceVersion in the patch is a precondition, as on a real server.
                if expected and live["metadata"].get("resourceVersion") != expected:
                    raise errors.conflict(kind.qualified, ref.name, group=kind.group)
                return json_merge(live, patch)

            api.patch(kind, ref.namespace, ref.name, merge, sub)
        case Delete(ref=ref):
            kind = kinds.by_kind(ref.kind, ref.api_version or None)
            api.delete(
                kind,
                ref.namespace,
                ref.name,
                grace_period=action.grace_period_seconds,
                propagation=action.propagation_policy,
                uid=action.uid,
            )
        case Bind(pod=pod, node=node):
            subresources.bind(api, pod.namespace, pod.name, node)
        case Evict(pod=pod):
            subresources.evict(api, pod.namespace, pod.name)
        case RecordEvent():
            recorder.record(api, action)
        case _:
            raise TypeError(f"unknown action {action!r}")


def apply_all(api, actions) -> tuple[int, int]:
    """Apply in order; returns (writes that landed, writes refused for a retriable reason)."""
    landed = refused = 0
    for action in actions:
        try:
            apply_one(api, action)
            landed += 1
        except errors.ApiError as exc:
            if exc.reason not in RETRIABLE:
                # The component's own request was bad: log it, as a real one would.
                log.warning(
                    "%s: %s refused: %s", api.caller.name, type(action).__name__, exc
                )
            refused += 1
    return landed, refused
