"""Turning a component's actions into API calls, as that component."""

from __future__ import annotations

import contextlib
import dataclasses
import logging

from django.db import transaction

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
BIND_BATCH = 100  # bindings per transaction: short enough not to hold writers back


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
    """Apply in order; returns (writes that landed, writes refused or skipped).

    Bindings come in bursts (a scheduler pass binds every pod it placed) and go in
    batches of BIND_BATCH per database transaction: each is still its own write with
    its own revision and watch event, but they share one commit."""
    outcome = _Outcome(api)
    i = 0
    while i < len(actions):
        batch = 1
        if isinstance(actions[i], Bind):
            while (
                batch < BIND_BATCH
                and i + batch < len(actions)
                and isinstance(actions[i + batch], Bind)
            ):
                batch += 1
        with transaction.atomic() if batch > 1 else contextlib.nullcontext():
            for action in actions[i : i + batch]:
                outcome.apply(action)
        i += batch
    return outcome.landed, outcome.refused


class _Outcome:
    """What landed so far, for the actions that depend on the ones before them: a
    SuccessfulCreate only after its create landed, and a controller's slow start
    stopping after a batch with a failed create (FailedCreate on the owner)."""

    def __init__(self, api) -> None:
        self.api = api
        self.landed = self.refused = 0
        self.previous_landed = True
        self.failed_batch: dict = {}  # owner's event key -> its first failed batch

    def apply(self, action) -> None:
        if isinstance(action, RecordEvent) and action.reports_previous:
            if self.previous_landed:
                self._send(action)
            return
        if isinstance(action, Create) and action.on_failure is not None:
            owner = action.on_failure.involved
            if self.failed_batch.get(owner, action.batch) < action.batch:
                self.previous_landed = False  # slow start stopped before this batch
                self.refused += 1
                return
        error = self._send(action)
        self.previous_landed = error is None
        if error is None:
            self.landed += 1
            return
        self.refused += 1
        if isinstance(action, Create) and action.on_failure is not None:
            owner = action.on_failure.involved
            first = owner not in self.failed_batch
            self.failed_batch.setdefault(owner, action.batch)
            failure = action.on_failure
            self._send(
                dataclasses.replace(
                    failure, message=_fill_error(failure.message, error.message)
                )
            )
            if first and action.failure_status is not None:
                status = action.failure_status
                self._send(
                    dataclasses.replace(
                        status, patch=_fill_error(status.patch, error.message)
                    )
                )

    def _send(self, action) -> errors.ApiError | None:
        """The refusal, if any; one for a reason other than a retriable one is the
        component's own bad request, logged as a real one would log it."""
        try:
            apply_one(self.api, action)
            return None
        except errors.ApiError as exc:
            if exc.reason not in RETRIABLE:
                log.warning(
                    "%s: %s refused: %s",
                    self.api.caller.name,
                    type(action).__name__,
                    exc,
                )
            return exc


def _fill_error(value, error: str):
    """A failure report with "{error}" replaced by the refusal's message."""
    if isinstance(value, str):
        return value.replace("{error}", error)
    if isinstance(value, dict):
        return {key: _fill_error(item, error) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill_error(item, error) for item in value]
    return value
