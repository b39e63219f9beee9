"""Deletion through the ApiServer: graceful pods, finalizers, terminating namespaces."""

from __future__ import annotations

import pytest

from cluster import store
from cluster.apiserver import errors
from tests.apiserver.core_kit import (
    CONFIGMAP,
    DEPLOYMENT,
    NAMESPACE,
    POD,
    add_namespace,
    bare_deployment,
    bare_pod,
    bind,
    new_cluster,
    revision,
    system_api,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return system_api(new_cluster())


def _error(fn, *args, **kwargs) -> errors.ApiError:
    with pytest.raises(errors.ApiError) as caught:
        fn(*args, **kwargs)
    return caught.value


def _exists(api, kind, namespace, name) -> bool:
    return store.exists(api.cluster_id, kind, namespace, name)


def test_an_unbound_pod_is_deleted_at_once(api):
    api.create(bare_pod("web"))
    gone = api.delete(POD, "default", "web")
    assert not _exists(api, POD, "default", "web")
    assert gone["metadata"]["resourceVersion"] == str(revision(api))
    assert store.events_since(api.cluster_id, revision(api) - 1)[0].type == "DELETED"


def test_a_bound_pod_terminates_gracefully(api):
    api.create(bare_pod("web"))
    bind(api, "web")
    marked = api.delete(POD, "default", "web")
    meta = marked["metadata"]
    assert _exists(api, POD, "default", "web")
    assert (meta["deletionTimestamp"], meta["deletionGracePeriodSeconds"]) == (
        "2023-11-14T22:13:50Z",
        30,
    )


@pytest.mark.parametrize(
    ("first", "second", "timestamp", "grace"),
    [
        pytest.param(30, 5, "2023-11-14T22:13:25Z", 5, id="shorter-wins"),
        pytest.param(5, 30, "2023-11-14T22:13:25Z", 5, id="longer-is-ignored"),
    ],
)
def test_a_second_delete_may_only_shorten_the_grace_period(
    api, first, second, timestamp, grace
):
    api.create(bare_pod("web"))
    bind(api, "web")
    api.delete(POD, "default", "web", grace_period=first)
    again = api.delete(POD, "default", "web", grace_period=second)
    assert (
        again["metadata"]["deletionTimestamp"],
        again["metadata"]["deletionGracePeriodSeconds"],
    ) == (timestamp, grace)


def test_a_zero_grace_period_deletes_a_bound_pod_at_once(api):
    api.create(bare_pod("web"))
    bind(api, "web")
    api.delete(POD, "default", "web", grace_period=0)
    assert not _exists(api, POD, "default", "web")


def test_a_pod_spec_grace_period_is_the_default(api):
    pod = bare_pod("web")
    pod["spec"]["terminationGracePeriodSeconds"] = 10
    api.create(pod)
    bind(api, "web")
    marked = api.delete(POD, "default", "web")
    assert marked["metadata"]["deletionGracePeriodSeconds"] == 10


def test_finalizers_defer_a_delete_until_they_are_removed(api):
    api.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cfg", "finalizers": ["example.com/keep"]},
        }
    )
    marked = api.delete(CONFIGMAP, "default", "cfg")
    assert marked["metadata"]["deletionTimestamp"] == "2023-11-14T22:13:20Z"
    assert api.get(CONFIGMAP, "default", "cfg") == marked
    api.merge_patch(CONFIGMAP, "default", "cfg", {"metadata": {"finalizers": None}})
    assert not _exists(api, CONFIGMAP, "default", "cfg")


def test_a_terminating_object_goes_when_its_last_finalizer_does(api):
    api.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cfg", "finalizers": ["a/x", "b/y"]},
        }
    )
    api.delete(CONFIGMAP, "default", "cfg")
    api.merge_patch(CONFIGMAP, "default", "cfg", {"metadata": {"finalizers": ["b/y"]}})
    assert _exists(api, CONFIGMAP, "default", "cfg")
    api.merge_patch(CONFIGMAP, "default", "cfg", {"metadata": {"finalizers": []}})
    assert not _exists(api, CONFIGMAP, "default", "cfg")


@pytest.mark.parametrize(
    ("propagation", "finalizer"),
    [("Foreground", "foregroundDeletion"), ("Orphan", "orphan")],
)
def test_foreground_and_orphan_deletes_wait_for_the_garbage_collector(
    api, propagation, finalizer
):
    api.create(bare_deployment("web"))
    marked = api.delete(DEPLOYMENT, "default", "web", propagation=propagation)
    assert marked["metadata"]["finalizers"] == [finalizer]
    assert marked["metadata"]["deletionTimestamp"] == "2023-11-14T22:13:20Z"
    assert _exists(api, DEPLOYMENT, "default", "web")


def test_a_background_delete_removes_the_owner_at_once(api):
    api.create(bare_deployment("web"))
    api.delete(DEPLOYMENT, "default", "web", propagation="Background")
    assert not _exists(api, DEPLOYMENT, "default", "web")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"uid": "not-the-uid"},
            'Operation cannot be fulfilled on deployments.apps "web": Precondition '
            "failed: UID in precondition: not-the-uid, UID in object meta: {uid}",
            id="uid",
        ),
        pytest.param(
            {"resource_version": "1"},
            'Operation cannot be fulfilled on deployments.apps "web": the object has '
            "been modified; please apply your changes to the latest version and try "
            "again",
            id="resource-version",
        ),
    ],
)
def test_delete_preconditions_are_checked(api, kwargs, message):
    live = api.create(bare_deployment("web"))
    exc = _error(api.delete, DEPLOYMENT, "default", "web", **kwargs)
    assert (exc.code, exc.message) == (
        409,
        message.format(uid=live["metadata"]["uid"]),
    )
    assert _exists(api, DEPLOYMENT, "default", "web")


def test_a_deleted_namespace_is_terminating_and_refuses_new_objects(api):
    add_namespace(api, "team")
    marked = api.delete(NAMESPACE, None, "team")
    assert marked["status"]["phase"] == "Terminating"
    assert marked["metadata"]["deletionTimestamp"] == "2023-11-14T22:13:20Z"
    assert marked["spec"]["finalizers"] == ["kubernetes"]  # the controller's to remove
    before = revision(api)
    exc = _error(api.create, bare_pod("web", namespace="team"))
    assert exc.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "web" is forbidden: unable to create new content in '
        "namespace team because it is being terminated",
        "reason": "Forbidden",
        "details": {
            "name": "web",
            "kind": "pods",
            "causes": [
                {
                    "reason": "NamespaceTerminating",
                    "message": "namespace team is being terminated",
                    "field": "metadata.namespace",
                }
            ],
        },
        "code": 403,
    }
    assert revision(api) == before


def test_a_terminating_namespace_stays_until_its_finalizer_is_removed(api):
    """Status writes keep it; the `finalize` write emptying spec.finalizers removes it."""
    add_namespace(api, "team")
    api.delete(NAMESPACE, None, "team")
    api.merge_patch(NAMESPACE, None, "team", {"status": {"conditions": []}}, "status")
    assert _exists(api, NAMESPACE, None, "team")
    api.merge_patch(NAMESPACE, None, "team", {"spec": {"finalizers": None}}, "finalize")
    assert not _exists(api, NAMESPACE, None, "team")


def test_objects_in_a_terminating_namespace_can_still_be_updated_and_deleted(api):
    add_namespace(api, "team")
    api.create(
        bare_deployment("web") | {"metadata": {"name": "web", "namespace": "team"}}
    )
    api.delete(NAMESPACE, None, "team")
    api.merge_patch(DEPLOYMENT, "team", "web", {"spec": {"replicas": 0}})
    api.delete(DEPLOYMENT, "team", "web")
    assert not _exists(api, DEPLOYMENT, "team", "web")


@pytest.mark.parametrize("name", ["default", "kube-system", "kube-public"])
def test_the_system_namespaces_may_not_be_deleted(api, name):
    if name != "default":
        add_namespace(api, name)
    exc = _error(api.delete, NAMESPACE, None, name)
    assert (exc.code, exc.message) == (
        403,
        f'namespaces "{name}" is forbidden: this namespace may not be deleted',
    )
    assert "deletionTimestamp" not in api.get(NAMESPACE, None, name)["metadata"]
