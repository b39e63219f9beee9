"""Store writes: revisions, compare-and-swap, preconditions and the exact error bodies."""

from __future__ import annotations

import pytest

from cluster import store
from cluster.apiserver import errors
from tests.store.conftest import DEPLOYMENT, POD, deployment, pod

pytestmark = pytest.mark.django_db


def _rows(cluster: int) -> dict[str, tuple[int, int]]:
    """name -> (create_revision, mod_revision) of every key."""
    return {row[2]: (row[6], row[7]) for row in store.dump(cluster)}


def _error(fn, *args, **kwargs) -> errors.ApiError:
    with pytest.raises(errors.ApiError) as caught:
        fn(*args, **kwargs)
    return caught.value


def test_every_write_bumps_the_revision_by_one_and_stamps_it(cluster):
    start = store.current_revision(cluster)
    created = store.create(cluster, POD, pod("a"))
    assert created["metadata"]["resourceVersion"] == str(start + 1)
    updated = store.update(cluster, POD, pod("a", labels={"v": "2"}), start + 1)
    assert updated["metadata"]["resourceVersion"] == str(start + 2)
    deleted = store.delete(cluster, POD, "default", "a")
    assert deleted["metadata"]["resourceVersion"] == str(start + 3)
    assert store.current_revision(cluster) == start + 3


def test_resource_version_is_the_mod_revision_and_create_revision_is_kept(cluster):
    store.create(cluster, POD, pod("a"))  # rev 1
    store.create(cluster, POD, pod("b"))  # rev 2
    store.update(cluster, POD, pod("a", labels={"v": "2"}), 1)  # rev 3
    store.update(cluster, POD, pod("a", labels={"v": "3"}), 3)  # rev 4
    assert _rows(cluster) == {"a": (1, 4), "b": (2, 2)}
    assert store.get(cluster, POD, "default", "a")["metadata"]["resourceVersion"] == "4"
    assert store.get(cluster, POD, "default", "b")["metadata"]["resourceVersion"] == "2"


def test_two_clusters_have_independent_revisions_and_keyspaces(cluster, other_cluster):
    store.create(cluster, POD, pod("a"))
    store.create(cluster, POD, pod("b"))
    other = store.create(other_cluster, POD, pod("a"))
    assert other["metadata"]["resourceVersion"] == "1"
    assert store.current_revision(cluster) == 2
    assert store.current_revision(other_cluster) == 1
    store.delete(other_cluster, POD, "default", "a")
    assert store.exists(cluster, POD, "default", "a")


def test_the_same_name_in_two_namespaces_is_two_keys(cluster):
    store.create(cluster, POD, pod("a", namespace="one"))
    store.create(cluster, POD, pod("a", namespace="two"))
    assert [k["key"] for k in store.keyspace(cluster)] == [
        "/registry/pods/one/a",
        "/registry/pods/two/a",
    ]


def test_an_update_with_a_stale_resource_version_is_a_conflict(cluster):
    store.create(cluster, DEPLOYMENT, deployment("x"))  # rev 1
    store.update(cluster, DEPLOYMENT, deployment("x", replicas=2), 1)  # rev 2
    exc = _error(store.update, cluster, DEPLOYMENT, deployment("x", replicas=3), 1)
    assert exc.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'Operation cannot be fulfilled on deployments.apps "x": the '
        "object has been modified; please apply your changes to the latest "
        "version and try again",
        "reason": "Conflict",
        "details": {"name": "x", "group": "apps", "kind": "deployments"},
        "code": 409,
    }
    assert store.current_revision(cluster) == 2
    assert store.get(cluster, DEPLOYMENT, "default", "x")["spec"]["replicas"] == 2


def test_an_update_without_a_resource_version_is_unconditional(cluster):
    store.create(cluster, POD, pod("a"))
    store.update(cluster, POD, pod("a", labels={"v": "2"}), 1)
    store.update(cluster, POD, pod("a", labels={"v": "3"}), None)
    assert store.get(cluster, POD, "default", "a")["metadata"]["labels"] == {"v": "3"}


def test_creating_a_taken_name_is_already_exists(cluster):
    store.create(cluster, POD, pod("x"))
    exc = _error(store.create, cluster, POD, pod("x"))
    assert (exc.code, exc.reason, exc.message) == (
        409,
        "AlreadyExists",
        'pods "x" already exists',
    )
    assert exc.status()["details"] == {"name": "x", "kind": "pods"}
    assert store.current_revision(cluster) == 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda c: store.get(c, POD, "default", "x"),
            'pods "x" not found',
            id="get-pod",
        ),
        pytest.param(
            lambda c: store.update(c, POD, pod("x"), None),
            'pods "x" not found',
            id="update-pod",
        ),
        pytest.param(
            lambda c: store.delete(c, POD, "default", "x"),
            'pods "x" not found',
            id="delete-pod",
        ),
        pytest.param(
            lambda c: store.get(c, DEPLOYMENT, "default", "x"),
            'deployments.apps "x" not found',
            id="get-deployment",
        ),
    ],
)
def test_a_missing_key_is_not_found(cluster, call, message):
    exc = _error(call, cluster)
    assert (exc.code, exc.reason, exc.message) == (404, "NotFound", message)
    assert store.current_revision(cluster) == 0


def test_a_delete_with_a_wrong_uid_precondition_is_a_conflict(cluster):
    store.create(cluster, POD, pod("x"))
    exc = _error(store.delete, cluster, POD, "default", "x", expect_uid="other")
    assert exc.code == 409
    assert exc.message == (
        'Operation cannot be fulfilled on pods "x": Precondition failed: '
        "UID in precondition: other, UID in object meta: uid-x"
    )
    assert store.exists(cluster, POD, "default", "x")
    store.delete(cluster, POD, "default", "x", expect_uid="uid-x")
    assert not store.exists(cluster, POD, "default", "x")


def test_a_delete_with_a_stale_revision_is_a_conflict(cluster):
    store.create(cluster, POD, pod("x"))
    store.update(cluster, POD, pod("x", labels={"v": "2"}), 1)
    assert _error(store.delete, cluster, POD, "default", "x", 1).reason == "Conflict"
    assert store.exists(cluster, POD, "default", "x")


def test_the_deleted_object_carries_the_deletion_revision(cluster):
    store.create(cluster, POD, pod("x", labels={"a": "b"}))
    gone = store.delete(cluster, POD, "default", "x")
    assert gone["metadata"]["labels"] == {"a": "b"}
    assert gone["metadata"]["resourceVersion"] == "2"
    # A later create starts a new key with a fresh create revision.
    store.create(cluster, POD, pod("x"))
    assert _rows(cluster) == {"x": (3, 3)}


def test_restore_moves_the_revision_forward_and_expires_every_watch(cluster):
    store.create(cluster, POD, pod("a"))
    store.create(cluster, POD, pod("b"))
    snapshot = store.dump(cluster)
    store.delete(cluster, POD, "default", "a")
    store.create(cluster, POD, pod("c"))  # rev 4
    revision = store.restore(cluster, snapshot)
    assert revision == 5
    assert sorted(r[2] for r in store.dump(cluster)) == ["a", "b"]
    assert store.get(cluster, POD, "default", "a")["metadata"]["resourceVersion"] == "5"
    assert _error(store.events_since, cluster, 4).code == 410
    assert store.events_since(cluster, 5) == []
