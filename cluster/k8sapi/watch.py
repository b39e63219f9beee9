"""`?watch=true`: newline-delimited watch events streamed from the cluster's watch log.

The view checks everything it can up front, then returns an async iterator, so an open
watch holds no thread. The iterator reads the log from its last revision whenever the
cluster's change feed says it changed (`cluster.change_feed`), and every second
anyway, so a lost notification only delays an event, never loses it. A resume older
than the log gets an ERROR event with 410 Expired, as kube-apiserver sends it.

With label or field selectors, an object that stops matching is sent as DELETED and one
that starts matching as ADDED. Which objects match is judged from the moment the watch
opened (the log keeps no previous object), which is what kubectl's list-then-watch
needs. A namespace alone needs no such bookkeeping: no object changes namespace.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django.http import StreamingHttpResponse

from cluster import access, change_feed
from cluster.apiserver import errors, tables
from cluster.k8sapi import bodies, negotiation
from cluster.k8sapi.context import RequestContext
from cluster.k8sapi.paths import Target
from cluster.k8sapi.responses import JSON, dumps
from cluster.objects import selectors

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 1800  # seconds; kube-apiserver picks 30-60 minutes
MAX_TIMEOUT = 3600
POLL_SECONDS = 1.0  # safety net between notifications
BOOKMARK_SECONDS = 60.0


@dataclass
class WatchState:
    """What one open watch needs between reads of the log."""

    cluster: object
    api: object
    target: Target
    table: bool
    include_object: str
    labels: tuple
    fields: tuple
    revision: int
    bookmarks: bool
    timeout: float
    first: bool = True
    sent: set = field(default_factory=set)  # keys currently inside the selectors

    def encode(self, event_type: str, obj: dict, now: float) -> str:
        if self.table and event_type in ("ADDED", "MODIFIED", "DELETED"):
            event = tables.table_watch_event(
                self.target.kind, event_type, obj, now, self.first, self.include_object
            )
            self.first = False
        else:
            event = {"type": event_type, "object": obj}
        return dumps(event) + "\n"

    def wanted(self, obj: dict) -> bool:
        meta = obj.get("metadata") or {}
        if self.target.namespace and meta.get("namespace") != self.target.namespace:
            return False
        if self.labels and not selectors.matches(self.labels, meta.get("labels")):
            return False
        return not self.fields or selectors.fields_match(self.fields, obj)

    @property
    def selective(self) -> bool:
        """Whether objects can move in and out of what this watch sees."""
        return bool(self.labels or self.fields)

    def translate(self, event_type: str, obj: dict) -> str | None:
        """The event to send for one log entry, given the selectors; None to skip."""
        inside = self.wanted(obj)
        if not self.selective:
            return event_type if inside else None
        meta = obj.get("metadata") or {}
        key = (meta.get("namespace", ""), meta.get("name", ""))
        known = key in self.sent
        if event_type == "DELETED":
            self.sent.discard(key)
            return "DELETED" if (inside or known) else None
        if inside:
            self.sent.add(key)
            # An object that enters the selection is ADDED for this watcher.
            return "MODIFIED" if (known and event_type == "MODIFIED") else "ADDED"
        if known:  # it left the selection
            self.sent.discard(key)
            return "DELETED"
        return None


def _parse_selectors(request) -> tuple[tuple, tuple]:
    try:
        labels = selectors.parse_label_selector(request.GET.get("labelSelector", ""))
        fields = selectors.parse_field_selector(request.GET.get("fieldSelector", ""))
    except selectors.InvalidSelector as exc:
        raise errors.bad_request(str(exc)) from None
    return tuple(labels), tuple(fields)


def start(request, ctx: RequestContext, target: Target) -> StreamingHttpResponse:
    """Validate the watch request and return the streaming response."""
    wanted = negotiation.wanted(request.headers.get("Accept"))
    labels, fields = _parse_selectors(request)
    timeout = bodies.int_param(request, "timeoutSeconds", DEFAULT_TIMEOUT)
    requested = request.GET.get("resourceVersion", "")
    include = tables.INCLUDE_METADATA
    if wanted.shape == negotiation.TABLE:
        include = negotiation.include_object(request)
    state = WatchState(
        cluster=ctx.cluster,
        api=ctx.api,
        target=target,
        table=wanted.shape == negotiation.TABLE,
        include_object=include,
        labels=labels,
        fields=fields,
        revision=0,
        bookmarks=request.GET.get("allowWatchBookmarks", "").lower() in ("true", "1"),
        timeout=min(timeout, MAX_TIMEOUT) if timeout else DEFAULT_TIMEOUT,
    )
    initial: list[str] = []
    if requested in ("", "0"):
        # No resume point: the current state first, as synthetic ADDED events.
        listed = ctx.api.list(target.kind, target.namespace, labels, fields)
        state.revision = listed.revision
        for obj in listed.items or []:
            line = state.translate("ADDED", obj)
            initial.append(state.encode(line, obj, ctx.api.now))
    else:
        try:
            state.revision = int(requested)
        except ValueError:
            raise errors.bad_request(
                f'invalid resourceVersion "{requested}" for a watch'
            ) from None
        if state.revision < 0:
            raise errors.bad_request(f'invalid resourceVersion "{requested}"')
        if state.selective:
            _seed_selection(ctx, state)
    response = StreamingHttpResponse(_stream(state, initial), content_type=JSON)
    response.headers["Cache-Control"] = "no-cache, private"
    response.headers["X-Accel-Buffering"] = "no"  # tell proxies not to buffer
    return response


def _seed_selection(ctx: RequestContext, state: WatchState) -> None:
    """Remember what is inside the selectors now, so leaving it reads as DELETED."""
    listed = ctx.api.list(state.target.kind, state.target.namespace)
    for obj in listed.items or []:
        if state.wanted(obj):
            meta = obj["metadata"]
            state.sent.add((meta.get("namespace", ""), meta["name"]))


def read_new(state: WatchState) -> tuple[list[str], bool]:
    """Lines for every log entry after `state.revision`; (lines, finished)."""
    kind = state.target.kind
    try:
        events = state.api.events_since(state.revision, [kind.bucket])
    except errors.ApiError as exc:
        return [dumps({"type": "ERROR", "object": exc.status()}) + "\n"], True
    now = access.sim_now(state.cluster)
    lines = []
    for event in events:
        state.revision = event.revision
        obj = json.loads(event.body)
        if obj.get("kind") != kind.kind:  # a shared bucket (core and events.k8s.io)
            continue
        event_type = state.translate(event.type, obj)
        if event_type:
            lines.append(state.encode(event_type, obj, now))
    return lines, False


def _bookmark(state: WatchState) -> str:
    kind = state.target.kind
    obj = {
        "kind": kind.kind,
        "apiVersion": kind.api_version,
        "metadata": {"resourceVersion": str(state.revision)},
    }
    return dumps({"type": "BOOKMARK", "object": obj}) + "\n"


async def _stream(state: WatchState, initial: list[str]):
    # Reads run in the shared thread pool: an idle watch holds no thread of its own.
    read = sync_to_async(read_new, thread_sensitive=False)
    changed = asyncio.Event()

    def on_feed(kind: str, payload) -> None:
        if kind != change_feed.CALLS:  # a change, or notifications were lost
            changed.set()

    feed = change_feed.current()
    await feed.join(state.cluster.pk, on_feed)
    try:
        # An empty first chunk sends the headers now, as kube-apiserver does, so a
        # client waiting for them (most HTTP libraries) starts reading at once.
        yield ""
        for line in initial:
            yield line
        deadline = time.monotonic() + state.timeout
        next_bookmark = time.monotonic() + BOOKMARK_SECONDS
        while True:
            changed.clear()  # a change from now on wakes the wait below
            lines, finished = await read(state)
            for line in lines:
                yield line
            if finished:
                return
            now = time.monotonic()
            if now >= deadline:
                return
            if state.bookmarks and now >= next_bookmark:
                next_bookmark = now + BOOKMARK_SECONDS
                yield _bookmark(state)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    changed.wait(), min(POLL_SECONDS, deadline - now)
                )
    finally:
        await feed.leave(state.cluster.pk, on_feed)
