"""The change feed over the real Redis: one subscription per cluster and process, each
message handed to every listener of its cluster, and `LOST` after a dropped
connection."""

from __future__ import annotations

import redis
from django.conf import settings

from cluster import change_feed, layer_sender, watch
from tests.store.feed_listener import FeedListener


def test_every_listener_of_a_cluster_gets_its_messages_and_no_other_clusters():
    first = FeedListener(7)
    second: list = []
    elsewhere: list = []

    def on_second(kind, payload):
        second.append((kind, payload))

    def on_elsewhere(kind, payload):
        elsewhere.append((kind, payload))

    try:
        first.run(first.feed.join(7, on_second))
        first.run(first.feed.join(8, on_elsewhere))
        watch.notify(7, 3, wake=False)
        layer_sender.flush()
        first.received()
    finally:
        first.run(first.feed.leave(7, on_second))
        first.run(first.feed.leave(8, on_elsewhere))
        first.close()
    message = (watch.CHANGED, {"revision": 3, "resync": False, "carried": None})
    assert first.got == [message]
    assert second == [message]
    assert elsewhere == []


def test_the_last_listener_to_leave_closes_the_connection():
    listener = FeedListener(7)
    feed = listener.feed
    listener.close()
    assert feed not in change_feed._feeds.values()
    assert feed._pubsub is None


def test_a_dropped_connection_is_reported_as_lost_once_subscribed_again():
    listener = FeedListener(7)
    try:
        redis.Redis.from_url(settings.REDIS_URL).client_kill_filter(_type="pubsub")
        lost = listener.received(quiet_for=1.5, kind=change_feed.LOST)
        watch.notify(7, 4, wake=False)
        layer_sender.flush()
        after = listener.received(kind=watch.CHANGED)
    finally:
        listener.close()
    assert lost == [None]
    assert after == [{"revision": 4, "resync": False, "carried": None}]
