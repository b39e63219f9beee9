"""Nudges and pulses go out on one lasting loop, folded per cluster, over the real
Redis channel layer."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from cluster import layer_sender, watch


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
    """A channel in cluster 7's group, and a function returning what reached it."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(watch.group_name(7), channel)
    yield lambda: async_to_sync(_drain)(layer, channel)
    async_to_sync(layer.group_discard)(watch.group_name(7), channel)


def test_a_burst_of_nudges_folds_into_few_messages_ending_at_the_newest(listener):
    for revision in range(1, 51):
        watch.notify(7, revision, wake=False)
    layer_sender.flush()
    messages = listener()
    assert 1 <= len(messages) < 50
    assert messages[-1] == {"type": "cluster.changed", "revision": 50, "resync": False}


def test_a_folded_nudge_keeps_a_resync_asked_for_by_any_write(listener):
    watch.notify(7, 1, wake=False)
    watch.notify(7, 2, resync=True, wake=False)
    watch.notify(7, 3, wake=False)
    layer_sender.flush()
    assert listener()[-1] == {"type": "cluster.changed", "revision": 3, "resync": True}


def test_pulses_of_ticks_close_together_arrive_in_order_and_none_is_lost(listener):
    for batch in range(3):
        watch.publish_calls(
            7, [{"verb": "update", "name": f"n{batch}-{i}"} for i in range(2)]
        )
    layer_sender.flush()
    calls = [
        c["name"]
        for m in listener()
        if m["type"] == "cluster.calls"
        for c in m["calls"]
    ]
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
    assert max(m["revision"] for m in listener()) == 80


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


def test_send_waits_until_the_message_is_delivered(listener):
    layer_sender.send(watch.group_name(7), {"type": "cluster.calls", "calls": []})
    assert listener() == [{"type": "cluster.calls", "calls": []}]
