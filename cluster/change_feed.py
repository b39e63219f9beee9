"""Clusters' change notifications (`cluster.watch`), received once per process.

Each event loop that listens (a daphne process) keeps one Redis pub/sub connection. A
cluster's channel is subscribed while something on the loop listens to it (a
diagram's WebSocket, a kubectl watch), and each message is decoded once and handed to
every listener of that cluster. This replaced the channel layer for these messages:
its receive took four Redis round trips a message, and the consumer's dispatch a hop
to a thread, which at a few hundred messages a second was most of a web process's
time.

Pub/sub delivers only to a connected subscriber. When the connection drops, the feed
connects again, subscribes again and then tells each listener `LOST`: what was
published in between is gone, and the listener reads the watch log for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable

import redis.asyncio as aioredis
from django.conf import settings
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from cluster.watch import CALLS, CHANGED, feed_channel

log = logging.getLogger(__name__)
LOST = "lost"  # the kind a listener gets when messages may have been missed
SUBSCRIBE_TIMEOUT = 2.0  # seconds `join` waits for Redis to confirm a subscription
RECONNECT_SECONDS = 0.5

# listener(kind, payload): CHANGED with the decoded `ClusterChanged`, CALLS with the
# browser frame's JSON text as published, LOST with None. Called on the event loop;
# it must not block.
Listener = Callable[[str, object], None]


class ChangeFeed:
    """The subscriptions of one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._listeners: dict[str, set[Listener]] = {}  # channel -> listeners
        self._confirmed: dict[str, asyncio.Future] = {}  # channel -> subscribed
        self._lost_until_confirmed: set[str] = set()
        self._client: aioredis.Redis | None = None
        self._pubsub = None  # None while reconnecting
        self._reader: asyncio.Task | None = None
        self._lock = asyncio.Lock()  # one subscription command at a time
        self._to_subscribe: set[str] = set()

    async def join(self, cluster_id: int, listener: Listener) -> None:
        """Hand the cluster's messages to `listener` from now on; returns once Redis
        has the subscription, so a change committed after this call reaches it."""
        channel = feed_channel(cluster_id)
        listeners = self._listeners.setdefault(channel, set())
        listeners.add(listener)
        if len(listeners) == 1:
            self._confirmed[channel] = self.loop.create_future()
            await self._subscribe(channel)
        confirmed = self._confirmed.get(channel)
        if confirmed is not None:
            try:
                await asyncio.wait_for(asyncio.shield(confirmed), SUBSCRIBE_TIMEOUT)
            except TimeoutError:
                log.warning("Redis did not confirm the subscription to %s", channel)

    async def leave(self, cluster_id: int, listener: Listener) -> None:
        """Stop handing the cluster's messages to `listener`."""
        channel = feed_channel(cluster_id)
        listeners = self._listeners.get(channel)
        if listeners is None or listener not in listeners:
            return
        listeners.discard(listener)
        if listeners:
            return
        del self._listeners[channel]
        self._confirmed.pop(channel, None)
        if not self._listeners:
            await self.close()
            return
        async with self._lock:
            if channel in self._listeners or self._pubsub is None:
                return  # joined again meanwhile, or a reconnect subscribes afresh
            try:
                await self._pubsub.unsubscribe(channel)
            except Exception as exc:  # the reader finds the connection broken
                log.warning("could not unsubscribe from %s: %s", channel, exc)

    async def _subscribe(self, channel: str) -> None:
        # One SUBSCRIBE for every channel joined meanwhile: a class opening its labs
        # at once costs a few commands, not one each.
        self._to_subscribe.add(channel)
        async with self._lock:
            if self._reader is not None and self._pubsub is None:
                return  # reconnecting: it subscribes every channel, then says LOST
            channels = self._to_subscribe & set(self._listeners)
            self._to_subscribe = set()
            if channels:
                try:
                    await self._connection().subscribe(*channels)
                except Exception as exc:
                    log.warning("could not subscribe to %s: %s", channels, exc)
            # Started once a subscription went out: the reader needs the connection,
            # and finds a broken one broken and reconnects.
            if self._reader is None:
                self._reader = asyncio.ensure_future(self._read())

    async def close(self) -> None:
        """Drop the connection; the next `join` on this loop starts another feed."""
        if _feeds.get(id(self.loop)) is self:
            del _feeds[id(self.loop)]
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
        client, self._client, self._pubsub = self._client, None, None
        if client is not None:
            try:
                await client.aclose(close_connection_pool=True)
            except Exception:
                log.debug("closing the change feed's connection failed", exc_info=True)

    def _connection(self):
        if self._client is None:
            # No retries inside redis-py: a dropped connection must surface here, where
            # the listeners are told, instead of being mended silently.
            self._client = aioredis.Redis.from_url(
                settings.REDIS_URL, retry=Retry(NoBackoff(), 0)
            )
        if self._pubsub is None:
            self._pubsub = self._client.pubsub()
        return self._pubsub

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("change feed connection lost: %s", exc)
                await self._reconnect()
                continue
            try:
                self._handle(message)
            except Exception:  # a message it cannot read must not stop the feed
                log.exception("change feed message not understood: %r", message)

    async def _reconnect(self) -> None:
        old, self._pubsub = self._pubsub, None
        try:
            await old.aclose()
        except Exception:
            log.debug("closing the lost pub/sub connection failed", exc_info=True)
        while True:
            await asyncio.sleep(RECONNECT_SECONDS)
            pubsub = self._client.pubsub()
            subscribed: set[str] = set()
            try:
                # Channels joined while this runs are taken in on the next round.
                while missing := set(self._listeners) - subscribed:
                    await pubsub.subscribe(*missing)
                    subscribed |= missing
            except Exception as exc:
                log.warning("change feed cannot reconnect yet: %s", exc)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                continue
            # Listeners are told once their subscription is back, so that the reads
            # they make then see everything that was missed.
            self._lost_until_confirmed = subscribed
            self._pubsub = pubsub
            return

    def _handle(self, message: dict | None) -> None:
        if message is None:
            return
        channel = message["channel"].decode()
        if message["type"] == "subscribe":
            confirmed = self._confirmed.pop(channel, None)
            if confirmed is not None and not confirmed.done():
                confirmed.set_result(True)
            if channel in self._lost_until_confirmed:
                self._lost_until_confirmed.discard(channel)
                self._tell(channel, LOST, None)
            return
        if message["type"] != "message":
            return
        kind, _, body = message["data"].decode().partition(" ")
        if kind == CHANGED:
            self._tell(channel, kind, json.loads(body))
        elif kind == CALLS:
            self._tell(channel, kind, body)

    def _tell(self, channel: str, kind: str, payload) -> None:
        for listener in list(self._listeners.get(channel, ())):
            try:
                listener(kind, payload)
            except Exception:  # one broken listener must not starve the others
                log.exception("a change feed listener failed")


_feeds: dict[int, ChangeFeed] = {}  # id(event loop) -> its feed


def current() -> ChangeFeed:
    """The change feed of the running event loop."""
    loop = asyncio.get_running_loop()
    feed = _feeds.get(id(loop))
    if feed is None or feed.loop is not loop:  # an id can outlive a closed loop
        feed = _feeds[id(loop)] = ChangeFeed(loop)
    return feed
