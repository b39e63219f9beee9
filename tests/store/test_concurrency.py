"""Concurrent writers on real connections: one winner per key, no lost update, no 500."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from cluster import kinds, store
from cluster.apiserver import errors
from cluster.apiserver.core import ApiServer
from tests.store.conftest import DEPLOYMENT, POD, deployment, pod

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 6


def _race(fn, writers: int = WRITERS) -> Counter:
    """Run `fn(i)` in `writers` threads at once; count results by outcome."""
    start = threading.Barrier(writers)
    outcomes: list[str] = []

    def run(i: int) -> None:
        try:
            start.wait()
            fn(i)
            outcomes.append("ok")
        except errors.ApiError as exc:
            outcomes.append(exc.reason)
        except Exception as exc:  # anything else is a bug the test must show
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return Counter(outcomes)


def test_concurrent_creates_of_one_name_have_one_winner(cluster):
    outcomes = _race(lambda i: store.create(cluster, POD, pod("same")))
    assert outcomes == {"ok": 1, "AlreadyExists": WRITERS - 1}
    assert store.current_revision(cluster) == 1


def test_concurrent_updates_from_one_version_have_one_winner(cluster):
    store.create(cluster, DEPLOYMENT, deployment("web"))
    outcomes = _race(
        lambda i: store.update(cluster, DEPLOYMENT, deployment("web", i + 2), 1)
    )
    assert outcomes == {"ok": 1, "Conflict": WRITERS - 1}
    assert store.current_revision(cluster) == 2


def test_concurrent_writes_to_different_keys_all_land_with_distinct_revisions(
    cluster,
):
    store.create(cluster, DEPLOYMENT, deployment("web"))
    outcomes = _race(
        lambda i: (
            store.create(cluster, POD, pod(f"p{i}"))
            if i % 2
            else store.update(cluster, DEPLOYMENT, deployment("web", i), None)
        )
    )
    assert outcomes == {"ok": WRITERS}
    events = store.events_since(cluster, 0)
    assert [e.revision for e in events] == list(range(1, WRITERS + 2))


def test_concurrent_read_modify_write_patches_lose_no_update(cluster):
    """Each writer loses at most once to every other one, so five retries suffice."""
    configmap = kinds.by_kind("ConfigMap")
    store.create(
        cluster,
        configmap,
        {"kind": "ConfigMap", "metadata": {"name": "n", "namespace": "default"}},
    )

    def increment(live: dict) -> dict:
        data = live.setdefault("data", {})
        data["count"] = str(int(data.get("count", "0")) + 1)
        return live

    writers = 5
    outcomes = _race(
        lambda i: ApiServer(cluster).patch(configmap, "default", "n", increment),
        writers,
    )
    assert outcomes == {"ok": writers}
    live = store.get(cluster, configmap, "default", "n")
    assert live["data"]["count"] == str(writers)
