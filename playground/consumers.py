"""The live stream of one cluster to one browser (see `playground.live` for the frames).

The consumer checks the owner, listens to the cluster's change feed and forwards.
Notifications are coalesced: however many arrive, the browser gets at most one frame
per `MIN_FRAME_INTERVAL`. When the changes a notification carries continue from the
revision the browser has, they go out as they came, without a read or a thread; when
anything is in doubt (a revision from elsewhere, a notification that carried nothing,
a lost connection), the frame is read from the watch log, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import connection

from cluster import change_feed, idle, limits
from cluster.access import can_read
from cluster.models import Cluster
from cluster.watch import CALLS, CHANGED
from playground.live import LiveStream, carried_frame, continue_from, frame_texts

MIN_FRAME_INTERVAL = 0.05  # at most 20 frames per second
# Close codes the page understands (4000-4999 are for applications).
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_MANY = 4429


def readable_cluster(user, slug: str) -> Cluster | None:
    cluster = Cluster.objects.filter(slug=slug).first()
    if cluster is None or not can_read(user, cluster):
        return None
    idle.touch(cluster)  # opening the diagram wakes a paused cluster
    return cluster


def too_many_sockets() -> str:
    return (
        f"too many open connections: at most {limits.max_sockets()} per user; "
        "close another tab of the lab and reload this one"
    )


def _since(query_string: bytes) -> int | None:
    values = parse_qs(query_string.decode("latin-1")).get("since")
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


class ClusterConsumer(AsyncJsonWebsocketConsumer):
    """A snapshot at revision R, then every change after R, batched."""

    # Nothing comes over the channel layer: the change feed brings this stream's
    # messages, decoded once per process for every socket of the cluster.
    channel_layer_alias = None
    closed = False

    async def connect(self):
        slug = self.scope["url_route"]["kwargs"]["slug"]
        cluster = await database_sync_to_async(readable_cluster)(
            self.scope.get("user"), slug
        )
        if cluster is None:
            await self.close(code=CLOSE_FORBIDDEN)  # before accept: the handshake fails
            return
        user_id = self.scope["user"].pk
        slot = uuid.uuid4().hex
        if not await sync_to_async(limits.claim_socket)(user_id, slot):
            # Accepted, then closed: a refused handshake would carry no code or reason.
            await self.accept()
            reason = too_many_sockets()
            await self.send_json(
                {"t": "refused", "code": CLOSE_TOO_MANY, "reason": reason}
            )
            await self.close(code=CLOSE_TOO_MANY, reason=reason)
            return
        self.socket_slot = (user_id, slot)
        self.cluster_id = cluster.pk
        self.stream = LiveStream(cluster.pk)
        self.rev: int | None = None  # what the browser has; None: it needs a snapshot
        self.since = _since(self.scope.get("query_string", b""))
        self.anchors: tuple | None = None  # the clock's, as of the last read
        self.pending: list[list] = []  # carried segments not sent yet
        self.calls: list[str] = []  # pulse frames not sent yet
        self.must_read = True  # the first frame is read: a snapshot or a resume
        self.resync_due = False
        self.last_frame = 0.0
        self.flusher: asyncio.Task | None = None
        self.feed = change_feed.current()
        # Joined before the first read, so nothing committed after that read is missed.
        await self.feed.join(cluster.pk, self.on_feed)
        await self.accept()
        self._flush_soon()

    async def disconnect(self, code):
        self.closed = True
        if getattr(self, "flusher", None):
            self.flusher.cancel()
        if getattr(self, "feed", None):
            await self.feed.leave(self.cluster_id, self.on_feed)
        if getattr(self, "socket_slot", None) is not None:
            await sync_to_async(limits.release_socket)(*self.socket_slot)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("action") == "resync":
            self.resync_due = True
            self._flush_soon()

    def on_feed(self, kind: str, payload) -> None:
        """A message of the change feed (on the event loop): note it, flush soon."""
        if self.closed:
            return
        if kind == CALLS:
            self.calls.append(payload)  # the frame's text, as published
        elif kind == CHANGED and payload["resync"]:
            self.resync_due = True  # etcd was restored: list again
        elif kind == CHANGED and payload["carried"] is not None:
            self.pending.extend(payload["carried"])
        else:  # carried nothing, or messages were lost: read the log
            self.must_read = True
        self._flush_soon()

    def _flush_soon(self) -> None:
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.ensure_future(self._flush())

    async def _flush(self):
        loop = asyncio.get_running_loop()
        while self.calls or self.pending or self.must_read or self.resync_due:
            while self.calls:
                await self.send(text_data=self.calls.pop(0))
            if self.resync_due:
                self.resync_due, self.rev, self.since = False, None, None
                self.must_read = True
            if not (self.pending or self.must_read):
                continue
            wait = self.last_frame + MIN_FRAME_INTERVAL - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            text = None if self.must_read else self._carried()
            if text is None:
                await self._read_and_send()
            elif text:
                self.last_frame = loop.time()
                await self.send(text_data=text)

    def _carried(self) -> str | None:
        """The frame for the pending segments when they continue from the browser's
        revision ("" when they bring nothing new); None when only a read can tell."""
        if self.rev is None or self.anchors is None:
            return None
        reached = continue_from(self.rev, self.pending)
        if reached is None:
            return None
        self.pending.clear()
        rev, changes = reached
        if rev == self.rev:
            return ""
        start, self.rev = self.rev, rev
        return carried_frame(start, rev, changes, self.anchors)

    async def _read_and_send(self) -> None:
        self.must_read = False
        # Each was published after its commit, so the read below sees all of them.
        self.pending.clear()
        since, self.since = self.since, None
        # Not database_sync_to_async: it closes the thread's database connection
        # around every call, and reopening it cost more than reading the frame.
        read = sync_to_async(self._read)
        frame, self.rev, self.anchors = await read(self.rev, since)
        if frame is not None:
            self.must_read = self.must_read or bool(frame.get("more"))
            await self._send(frame)

    def _read(self, rev: int | None, since: int | None):
        """The next frame from the database (in a thread): a snapshot, a resume or the
        changes after `rev`; with the revision and clock anchors it leaves off at."""
        stream = self.stream
        try:
            if rev is not None:
                stream.revision = rev
                frame = stream.next_frame()
            elif since is not None:
                frame = stream.resume(since)
            else:
                frame = stream.snapshot()
        except Exception:
            connection.close()  # kept between reads otherwise, broken or not
            raise
        return frame, stream.revision, stream.clock_anchors

    async def _send(self, frame: dict) -> None:
        self.last_frame = asyncio.get_running_loop().time()
        for text in frame_texts(frame):
            await self.send(text_data=text)
