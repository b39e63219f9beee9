"""Events live an hour after their last write (kube-apiserver --event-ttl), then etcd
drops them, as `kubectl get events` on a real cluster shows."""

from __future__ import annotations

import pytest

from cluster import operations
from cluster.apiserver.core import EVENT_TTL
from tests.engine.kit import EVENT, api, deployment, now, paused_cluster, settle

pytestmark = pytest.mark.django_db


def test_events_expire_an_hour_after_their_last_write():
    cluster = paused_cluster()
    api(cluster).create(deployment("web", 2))
    cluster = settle(cluster, 30)
    first = {e["metadata"]["name"] for e in api(cluster).list(EVENT, "default").items}
    assert first, "a new Deployment records events"
    started = now(cluster)

    cluster = operations.fast_forward(cluster, EVENT_TTL - 60)
    kept = {e["metadata"]["name"] for e in api(cluster).list(EVENT, "default").items}
    assert first <= kept  # not yet an hour since they were written

    cluster = operations.fast_forward(cluster, 120)
    left = {e["metadata"]["name"] for e in api(cluster).list(EVENT, "default").items}
    assert not first & left
    assert now(cluster) - started >= EVENT_TTL


def test_a_repeated_event_lives_an_hour_after_its_last_count():
    cluster = paused_cluster()
    api(cluster).create(deployment("web", 1, image="nginx:no-such-tag"))
    cluster = operations.fast_forward(cluster, 600)  # ImagePullBackOff keeps recording
    backing_off = [
        e for e in api(cluster).list(EVENT, "default").items if e["reason"] == "BackOff"
    ]
    assert backing_off and backing_off[0]["count"] > 1
    cluster = operations.fast_forward(cluster, EVENT_TTL)
    reasons = {e["reason"] for e in api(cluster).list(EVENT, "default").items}
    assert "BackOff" in reasons  # still counting, so still renewed
    assert "Scheduled" not in reasons  # written once, an hour ago
