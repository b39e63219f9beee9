"""Sends to Redis from sync code, on one lasting event loop per process.

`async_to_sync(layer.group_send)` starts an event loop per call, and the Redis channel
layer keeps its connections per loop, so every call also connected afresh (about 16 ms
a nudge). Here one loop runs in a daemon thread for the life of the process and keeps
its connections. It is rebuilt after a fork (Celery's pool processes, WSGI workers): a
forked child inherits the loop but not the thread that runs it.

`post` queues a channel-layer message without waiting and folds it into one of the
same type still queued for the same group (`merge`), so a burst of writes costs one
send; `publish` does the same for a Redis pub/sub channel (the clusters' change
notifications, see `cluster.watch`); `send` waits for delivery; `call` runs a short
blocking call (a Redis command) off the caller's path, once for all queued under one
key. Blocking calls run in a thread of their own, one at a time: on the loop, a slow
one (the first Celery publish of a process connects to the broker) held up every
message queued behind it.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import redis.asyncio as aioredis
from channels.layers import get_channel_layer
from django.conf import settings

log = logging.getLogger(__name__)
SEND_TIMEOUT = 5.0  # seconds a caller of `send` waits for Redis
FLUSH_TIMEOUT = 2.0  # seconds an exiting process waits for queued posts
# A queued post or call waits this long before it goes, so that a burst of writes (the
# commits of one transaction come microseconds apart) folds into one send. Short: it
# is the writer's whole share of a watcher's latency (10 ms made half of a kubectl
# watch's), and a PUBLISH costs Redis and the receivers little.
GATHER_SECONDS = 0.002
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class _Publisher:
    """Redis PUBLISH of "<kind> <JSON>" (what `cluster.change_feed` reads), on one
    connection of the sender's loop."""

    def __init__(self) -> None:
        self._client: aioredis.Redis | None = None

    async def publish(self, channel: str, kind: str, message: dict) -> None:
        if self._client is None:
            self._client = aioredis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=SEND_TIMEOUT
            )
        await self._client.publish(channel, f"{kind} {_dumps(message)}")


class _Sender:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._calls_thread: ThreadPoolExecutor | None = None
        self._publisher = _Publisher()
        self._pid = 0
        # (group, message type) -> the message waiting to go there
        self._queued: dict[tuple[str, str], dict] = {}
        self._calls: dict[str, Callable[[], object]] = {}  # key -> call waiting
        self._in_flight: set = set()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        # Called with the lock held.
        if self._loop is None or self._pid != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(
                target=loop.run_forever, name="kubelab-layer-sender", daemon=True
            ).start()
            self._loop, self._pid = loop, os.getpid()
            self._calls_thread = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="kubelab-layer-calls"
            )
            self._queued, self._calls, self._in_flight = {}, {}, set()
            self._publisher = _Publisher()
        return self._loop

    def send(self, group: str, message: dict, timeout: float = SEND_TIMEOUT) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        with self._lock:
            loop = self._running_loop()
        future = asyncio.run_coroutine_threadsafe(
            layer.group_send(group, message), loop
        )
        try:
            future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def post(self, group: str, message: dict, merge: Callable[[dict, dict], dict]):
        layer = get_channel_layer()
        if layer is None:
            return
        self._queue(layer, (group, message.get("type")), message, merge)

    def publish(
        self,
        channel: str,
        kind: str,
        message: dict,
        merge: Callable[[dict, dict], dict],
    ):
        self._queue(None, (channel, kind), message, merge)

    def _queue(self, layer, key: tuple[str, str], message: dict, merge) -> None:
        with self._lock:
            loop = self._running_loop()
            waiting = self._queued.get(key)
            self._queued[key] = message if waiting is None else merge(waiting, message)
            if waiting is not None:
                return  # the delivery already scheduled takes the merged message
            future = asyncio.run_coroutine_threadsafe(self._deliver(layer, key), loop)
            self._in_flight.add(future)
        future.add_done_callback(self._done)

    def call(self, key: str, fn: Callable[[], object]) -> None:
        with self._lock:
            loop = self._running_loop()
            if key in self._calls:
                return  # the same call is already waiting to run
            self._calls[key] = fn
            future = asyncio.run_coroutine_threadsafe(self._run_call(key), loop)
            self._in_flight.add(future)
        future.add_done_callback(self._done)

    async def _run_call(self, key: str) -> None:
        await asyncio.sleep(GATHER_SECONDS)
        with self._lock:
            fn = self._calls.pop(key)
            calls_thread = self._calls_thread
        try:
            await asyncio.get_running_loop().run_in_executor(calls_thread, fn)
        except Exception:
            log.exception("background call %s failed", key)

    def _done(self, future) -> None:
        with self._lock:
            self._in_flight.discard(future)

    async def _deliver(self, layer, key: tuple[str, str]) -> None:
        await asyncio.sleep(GATHER_SECONDS)
        with self._lock:
            message = self._queued.pop(key)
        try:
            if layer is None:  # a pub/sub channel
                await self._publisher.publish(key[0], key[1], message)
            else:
                await layer.group_send(key[0], message)
        except Exception as exc:  # a down Redis must not fail the committed write
            log.warning("could not send to %s: %s", key[0], exc)

    def flush(self, timeout: float = SEND_TIMEOUT) -> None:
        with self._lock:
            if self._pid != os.getpid():
                return
            pending = list(self._in_flight)
        for future in pending:
            # A failed send was logged where it failed; a slow one is given up on.
            with contextlib.suppress(Exception):
                future.result(timeout)


_sender = _Sender()
send = _sender.send
post = _sender.post
publish = _sender.publish
call = _sender.call
flush = _sender.flush
atexit.register(flush, FLUSH_TIMEOUT)
