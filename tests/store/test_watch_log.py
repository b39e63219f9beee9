"""The watch log: ordered events, resume, compaction with 410 Gone, on-commit publish."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from cluster import layer_sender, store, watch
from cluster.apiserver import errors
from tests.store.conftest import DEPLOYMENT, POD, deployment, pod
from tests.store.feed_listener import FeedListener

pytestmark = pytest.mark.django_db


def _summary(events: list[store.WatchEvent]) -> list[tuple]:
    return [
        (e.revision, e.type, e.name, e.object()["metadata"].get("labels"))
        for e in events
    ]


def _write_history(cluster: int) -> None:
    store.create(cluster, POD, pod("a"))  # 1
    store.create(cluster, POD, pod("b"))  # 2
    store.update(cluster, POD, pod("a", labels={"v": "2"}), 1)  # 3
    store.delete(cluster, POD, "default", "b")  # 4
    store.create(cluster, DEPLOYMENT, deployment("web"))  # 5


def test_events_since_returns_every_later_write_in_order_with_its_object(cluster):
    _write_history(cluster)
    assert _summary(store.events_since(cluster, 0)) == [
        (1, "ADDED", "a", None),
        (2, "ADDED", "b", None),
        (3, "MODIFIED", "a", {"v": "2"}),
        (4, "DELETED", "b", None),
        (5, "ADDED", "web", None),
    ]


@pytest.mark.parametrize(
    ("since", "revisions"),
    [(0, [1, 2, 3, 4, 5]), (2, [3, 4, 5]), (4, [5]), (5, []), (99, [])],
)
def test_a_watch_resumes_after_the_revision_it_last_saw(cluster, since, revisions):
    _write_history(cluster)
    assert [e.revision for e in store.events_since(cluster, since)] == revisions


def test_each_event_carries_the_object_at_its_own_revision(cluster):
    _write_history(cluster)
    for event in store.events_since(cluster, 0):
        assert event.object()["metadata"]["resourceVersion"] == str(event.revision)


def test_events_can_be_filtered_by_bucket_and_limited(cluster):
    _write_history(cluster)
    only_deployments = store.events_since(cluster, 0, buckets=["deployments"])
    assert [(e.revision, e.bucket) for e in only_deployments] == [(5, "deployments")]
    assert [e.revision for e in store.events_since(cluster, 1, limit=2)] == [2, 3]
    assert store.changed_buckets(cluster, 0) == {"pods", "deployments"}
    assert store.changed_buckets(cluster, 4) == {"deployments"}


def test_a_resume_from_before_compaction_is_gone_and_after_it_works(cluster):
    for i in range(10):
        store.create(cluster, POD, pod(f"p{i}"))
    assert store.compact(cluster, keep=4) == 6
    with pytest.raises(errors.ApiError) as caught:
        store.events_since(cluster, 5)
    assert caught.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "too old resource version: 5 (6)",
        "reason": "Expired",
        "code": 410,
    }
    assert [e.revision for e in store.events_since(cluster, 6)] == [7, 8, 9, 10]


def test_compaction_never_moves_the_floor_back(cluster):
    for i in range(6):
        store.create(cluster, POD, pod(f"p{i}"))
    store.compact(cluster, keep=2)
    store.compact(cluster, keep=5)
    with pytest.raises(errors.ApiError):
        store.events_since(cluster, 3)


def test_the_log_compacts_itself_every_few_hundred_writes(
    cluster, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(store, "_COMPACT_EVERY", 5)
    monkeypatch.setattr(store, "WATCH_LOG_KEEP", 3)
    for i in range(7):  # each write commits on its own, as outside a test
        with django_capture_on_commit_callbacks(execute=True):
            store.create(cluster, POD, pod(f"p{i}"))
    # The write at revision 5 compacted to 5 - 3 = 2.
    assert [e.revision for e in store.events_since(cluster, 2)] == [3, 4, 5, 6, 7]
    with pytest.raises(errors.ApiError):
        store.events_since(cluster, 1)


def test_a_compacted_cluster_leaves_the_other_clusters_log_alone(
    cluster, other_cluster
):
    for i in range(3):
        store.create(cluster, POD, pod(f"p{i}"))
        store.create(other_cluster, POD, pod(f"p{i}"))
    store.compact(cluster, keep=0)
    assert [e.revision for e in store.events_since(other_cluster, 0)] == [1, 2, 3]


def test_a_committed_write_publishes_its_revision_and_change_to_the_cluster(
    cluster, django_capture_on_commit_callbacks
):
    listener = FeedListener(cluster)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            store.create(cluster, POD, pod("a"))
        layer_sender.flush()
        message = listener.received(kind=watch.CHANGED)[-1]
    finally:
        listener.close()
    [[start, end, text]] = message["carried"]
    assert (message["revision"], message["resync"], start, end) == (1, False, 0, 1)
    assert json.loads(text) == {
        "type": "ADDED",
        "key": "pods/default/a",
        "obj": store.get(cluster, POD, "default", "a"),
    }


def test_a_rolled_back_write_publishes_nothing_and_leaves_no_trace(
    cluster, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        store.create(cluster, POD, pod("a"))
        raise RuntimeError("the caller failed after the write")
    assert callbacks == []
    assert store.current_revision(cluster) == 0
    assert store.events_since(cluster, 0) == []
    assert not store.exists(cluster, POD, "default", "a")
