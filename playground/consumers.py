"""The live stream of one cluster to one browser (see `playground.live` for the frames).

The consumer only checks the owner, joins the cluster's group and forwards. Nudges
from `cluster.watch` are coalesced: however many arrive, the browser gets at most one
frame per `MIN_FRAME_INTERVAL`, and each frame is read from the watch log, so nothing
is lost when nudges are dropped or merged.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from cluster import idle, limits
from cluster.access import can_read
from cluster.models import Cluster
from cluster.watch import group_name
from playground.live import LiveStream, frame_parts

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

    async def connect(self):
        slug = self.scope["url_route"]["kwargs"]["slug"]
        cluster = await database_sync_to_async(readable_cluster)(
            self.scope.get("user"), slug
        )
        if cluster is None:
            await self.close(code=CLOSE_FORBIDDEN)  # before accept: the handshake fails
            return
        user_id = self.scope["user"].pk
        if not await sync_to_async(limits.claim_socket)(user_id, self.channel_name):
            # Accepted, then closed: a refused handshake would carry no code or reason.
            await self.accept()
            reason = too_many_sockets()
            await self.send_json(
                {"t": "refused", "code": CLOSE_TOO_MANY, "reason": reason}
            )
            await self.close(code=CLOSE_TOO_MANY, reason=reason)
            return
        self.socket_slot = user_id
        self.group = group_name(cluster.pk)
        self.stream = LiveStream(cluster.pk)
        self.dirty = False
        self.flusher: asyncio.Task | None = None
        self.sending = asyncio.Lock()
        self.last_frame = 0.0
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        since = _since(self.scope.get("query_string", b""))
        if since is None:
            frame = await database_sync_to_async(self.stream.snapshot)()
        else:
            frame = await database_sync_to_async(self.stream.resume)(since)
        await self._send(frame)

    async def disconnect(self, code):
        if getattr(self, "socket_slot", None) is not None:
            await sync_to_async(limits.release_socket)(
                self.socket_slot, self.channel_name
            )
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if getattr(self, "flusher", None):
            self.flusher.cancel()

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("action") == "resync":
            await self._send(await database_sync_to_async(self.stream.snapshot)())

    async def cluster_changed(self, event):
        """A nudge from `cluster.watch.notify`: read the log soon, once."""
        self.dirty = True
        if event.get("resync"):
            self.stream.revision = None  # etcd was restored: re-list
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.ensure_future(self._flush())

    async def cluster_calls(self, event):
        """API calls made by a tick, for the pulse animation."""
        await self.send_json({"t": "calls", "calls": event.get("calls", [])})

    async def _flush(self):
        loop = asyncio.get_running_loop()
        while self.dirty:
            wait = self.last_frame + MIN_FRAME_INTERVAL - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self.dirty = False
            # Not database_sync_to_async: it closes the thread's database connection
            # around every call, and reopening it cost more than reading the frame.
            # A broken connection still gets closed by the next connect's checks.
            frame = await sync_to_async(self.stream.next_frame)()
            if frame is not None:
                self.dirty = self.dirty or bool(frame.get("more"))
                await self._send(frame)

    async def _send(self, frame: dict) -> None:
        self.last_frame = asyncio.get_running_loop().time()
        # A snapshot in parts goes out whole before any other frame.
        async with self.sending:
            for part in frame_parts(frame):
                await self.send_json(part)
