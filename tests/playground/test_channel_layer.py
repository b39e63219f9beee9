"""The channel layer as configured, against the real Redis: past channels_redis's traps."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from channels_redis.core import RedisChannelLayer

pytestmark = pytest.mark.integration


def configured_layer() -> RedisChannelLayer:
    """A layer of its own built from the settings (the shared one keeps connections
    of other tests' event loops)."""
    return channel_layers.make_backend("default")


def test_a_quiet_channel_outlives_the_layers_blocking_pop():
    """A stream with nothing to say keeps waiting; it must not die of a read timeout."""
    layer = configured_layer()
    quiet = RedisChannelLayer.brpop_timeout + 1.5

    async def wait_on_a_quiet_channel():
        channel = await layer.new_channel()
        try:
            await asyncio.wait_for(layer.receive(channel), quiet)
        except TimeoutError:  # wait_for gave up: nothing came, and nothing broke
            return "still waiting"
        finally:
            await layer.flush()
        return "got a message"

    assert async_to_sync(wait_on_a_quiet_channel)() == "still waiting"


def test_a_class_connecting_at_once_gets_connections_and_no_message_is_dropped():
    """Three hundred sockets joining and a burst of 1,000 messages to one of them."""
    layer = configured_layer()

    async def burst():
        channels = [await layer.new_channel() for _ in range(300)]
        await asyncio.gather(*(layer.group_add("class", c) for c in channels))
        for i in range(1000):
            await layer.send(channels[0], {"type": "n", "i": i})
        got = [(await layer.receive(channels[0]))["i"] for _ in range(1000)]
        await asyncio.gather(*(layer.group_discard("class", c) for c in channels))
        await layer.flush()
        return got

    assert async_to_sync(burst)() == list(range(1000))
