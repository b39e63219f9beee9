"""A listener on a cluster's change feed for synchronous tests: the feed runs on an
event loop of its own, in a thread, as it runs in a web process."""

from __future__ import annotations

import asyncio
import threading
import time

from cluster import change_feed


class FeedListener:
    """Everything the change feed hands over for `cluster_id`, as (kind, payload)."""

    def __init__(self, cluster_id: int):
        self.cluster_id = cluster_id
        self.got: list[tuple[str, object]] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.feed = self.run(self._join())

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    async def _join(self) -> change_feed.ChangeFeed:
        feed = change_feed.current()
        await feed.join(self.cluster_id, self.on_feed)
        return feed

    def on_feed(self, kind: str, payload) -> None:
        self.got.append((kind, payload))

    def received(self, quiet_for: float = 0.5, kind: str | None = None) -> list:
        """What arrived until nothing more came for `quiet_for` seconds (payloads of
        one kind when `kind` is given)."""
        seen = -1
        while seen != len(self.got):
            seen = len(self.got)
            time.sleep(quiet_for)
        return [p for k, p in self.got if kind is None or k == kind]

    def close(self) -> None:
        self.run(self.feed.leave(self.cluster_id, self.on_feed))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()
