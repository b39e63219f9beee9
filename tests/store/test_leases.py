"""etcd leases: a key written with a lease disappears when it runs out, as Events do."""

from __future__ import annotations

import pytest

from cluster import kinds, store
from tests.store.conftest import POD, pod

pytestmark = pytest.mark.django_db

EVENT = kinds.by_kind("Event")


def event(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
        "reason": "Scheduled",
    }


def names(cluster: int, kind) -> set[str]:
    return {o["metadata"]["name"] for o in store.list_objects(cluster, kind).items}


@pytest.mark.parametrize(
    ("now", "left"),
    [
        (99.0, {"a", "b"}),  # neither lease has run out
        (100.0, {"b"}),  # a lease runs out at its time, not after
        (250.0, set()),
    ],
)
def test_keys_go_when_their_lease_runs_out(cluster, now, left):
    store.create(cluster, EVENT, event("a"), lease_expires=100.0)
    store.create(cluster, EVENT, event("b"), lease_expires=200.0)
    store.create(cluster, POD, pod("web"))  # no lease: kept for ever
    store.expire_leases(cluster, now)
    assert names(cluster, EVENT) == left
    assert names(cluster, POD) == {"web"}


def test_a_write_replaces_the_lease(cluster):
    created = store.create(cluster, EVENT, event("a"), lease_expires=100.0)
    revision = int(created["metadata"]["resourceVersion"])
    store.update(cluster, EVENT, event("a"), revision, lease_expires=500.0)
    assert store.expire_leases(cluster, 400.0) == 0
    assert names(cluster, EVENT) == {"a"}
    assert store.expire_leases(cluster, 500.0) == 1
    assert names(cluster, EVENT) == set()


def test_each_expiry_is_a_deleted_event_at_its_own_revision(cluster):
    store.create(cluster, EVENT, event("a"), lease_expires=10.0)
    store.create(cluster, EVENT, event("b"), lease_expires=20.0)
    before = store.current_revision(cluster)
    assert store.expire_leases(cluster, 30.0) == 2
    log = store.events_since(cluster, before)
    assert [(e.type, e.name, e.revision) for e in log] == [
        ("DELETED", "a", before + 1),
        ("DELETED", "b", before + 2),
    ]
    assert log[0].object()["metadata"]["resourceVersion"] == str(before + 1)


def test_nothing_to_expire_writes_nothing(cluster):
    store.create(cluster, EVENT, event("a"), lease_expires=100.0)
    before = store.current_revision(cluster)
    assert store.expire_leases(cluster, 50.0) == 0
    assert store.current_revision(cluster) == before


def test_a_snapshot_keeps_leases_and_restores_older_ones_without(cluster):
    store.create(cluster, EVENT, event("a"), lease_expires=100.0)
    rows = store.dump(cluster)
    store.restore(cluster, rows)
    assert store.expire_leases(cluster, 100.0) == 1
    legacy = [row[:8] for row in rows]  # snapshots taken before leases were kept
    store.restore(cluster, legacy)
    assert store.expire_leases(cluster, 1e9) == 0
    assert names(cluster, EVENT) == {"a"}
