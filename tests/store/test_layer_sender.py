"""Notifications and pulses go out on one lasting loop, folded per cluster, over real
Redis (pub/sub for the clusters' change feed, the channel layer for other groups)."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from cluster import layer_sender, watch
from tests.store.feed_listener import FeedListener


async def _drain(layer, channel: str, quiet_for: float = 0.5) -> list[dict]:
    """Every message on a channel until none comes for `quiet_for` seconds."""
    received = []
    while True:
        try:
            received.append(await asyncio.wait_for(layer.receive(channel), quiet_for))
        except TimeoutError:
            return received


@pytest.fixture
def listener():
    """Cluster 7's change feed; `.received(kind=...)` is what reached it."""
    feed = FeedListener(7)
    yield feed
    feed.close()


@pytest.fixture
def group_listener():
    """A channel in a channel-layer group, and a function returning what reached it."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("class-7", channel)
    yield lambda: async_to_sync(_drain)(layer, channel)
    async_to_sync(layer.group_discard)("class-7", channel)


def test_a_burst_of_nudges_folds_into_few_messages_ending_at_the_newest(listener):
    for revision in range(1, 51):
        watch.notify(7, revision, wake=False)
    layer_sender.flush()
    messages = listener.received(kind=watch.CHANGED)
    assert 1 <= len(messages) < 50
    assert messages[-1] == {"revision": 50, "resync": False, "carried": None}


def test_a_folded_nudge_keeps_a_resync_asked_for_by_any_write(listener):
    watch.notify(7, 1, wake=False)
    watch.notify(7, 2, resync=True, wake=False)
    watch.notify(7, 3, wake=False)
    layer_sender.flush()
    assert listener.received(kind=watch.CHANGED)[-1] == {
        "revision": 3,
        "resync": True,
        "carried": None,
    }


def test_pulses_of_ticks_close_together_arrive_in_order_and_none_is_lost(listener):
    for batch in range(3):
        watch.publish_calls(
            7, [{"verb": "update", "name": f"n{batch}-{i}"} for i in range(2)]
        )
    layer_sender.flush()
    frames = [json.loads(text) for text in listener.received(kind=watch.CALLS)]
    assert {f["t"] for f in frames} == {"calls"}
    calls = [c["name"] for f in frames for c in f["calls"]]
    assert calls == ["n0-0", "n0-1", "n1-0", "n1-1", "n2-0", "n2-1"]


def test_nudges_from_many_threads_all_reach_the_newest_revision(listener):
    def write(start: int) -> None:
        for revision in range(start, start + 20):
            watch.notify(7, revision, wake=False)

    threads = [threading.Thread(target=write, args=(i * 20 + 1,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    layer_sender.flush()
    assert max(m["revision"] for m in listener.received(kind=watch.CHANGED)) == 80


def test_calls_queued_under_one_key_run_once():
    ran = []
    gate = threading.Event()
    layer_sender.call("gate", gate.wait)  # holds the loop while the calls queue up
    for i in range(5):
        layer_sender.call("wake:7", lambda i=i: ran.append(i))
    layer_sender.call("wake:8", lambda: ran.append("other"))
    gate.set()
    layer_sender.flush()
    assert ran == [0, "other"]


def test_posts_to_a_group_fold_and_send_waits_for_delivery(group_listener):
    def keep_last(queued: dict, new: dict) -> dict:
        return new

    for i in range(20):
        layer_sender.post("class-7", {"type": "wall.changed", "i": i}, keep_last)
    layer_sender.send("class-7", {"type": "wall.changed", "i": "sent"})
    layer_sender.flush()
    received = group_listener()
    assert 2 <= len(received) < 21
    assert {"type": "wall.changed", "i": 19} in received
    assert {"type": "wall.changed", "i": "sent"} in received


def test_a_write_carries_its_revision_even_when_the_diagram_draws_nothing_of_it(
    listener,
):
    watch.logged(7, 5, "ADDED", ("configmaps", "default", "c"), '{"kind":"ConfigMap"}')
    layer_sender.flush()
    assert listener.received(kind=watch.CHANGED) == [
        {"revision": 5, "resync": False, "carried": [[4, 5, ""]]}
    ]


def test_writes_of_a_tick_notify_once_carrying_nothing(listener):
    """A tick also moves components, which only a read of the cluster picks up."""
    with watch.batched():
        for revision in (5, 6):
            watch.logged(7, revision, "ADDED", ("pods", "default", "p"), "{}")
    layer_sender.flush()
    assert listener.received(kind=watch.CHANGED) == [
        {"revision": 6, "resync": False, "carried": None}
    ]
