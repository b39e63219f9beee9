"""Who may call and when: read-only callers, a down control plane, the subresources."""

from __future__ import annotations

import pytest

from cluster.apiserver import errors, plane, subresources
from cluster.apiserver.core import Caller
from tests.apiserver.core_kit import (
    DEPLOYMENT,
    NAMESPACE,
    POD,
    bare_deployment,
    bare_pod,
    bind,
    new_cluster,
    revision,
    system_api,
)

pytestmark = pytest.mark.django_db

PDB = subresources.PDB


@pytest.fixture
def api():
    api = system_api(new_cluster())
    api.create(bare_pod("web"))
    return api


@pytest.fixture
def instructor(api):
    reader = Caller("kubectl", user_id=2, read_only=True, username="carol")
    return system_api(api.cluster_id, caller=reader)


def _error(fn, *args, **kwargs) -> errors.ApiError:
    with pytest.raises(errors.ApiError) as caught:
        fn(*args, **kwargs)
    return caught.value


READ_ONLY = (
    'User "carol" cannot {verb} resource "pods" in API group "" in the namespace '
    '"default": this cluster is read-only for you'
)


@pytest.mark.parametrize(
    ("call", "subject", "verb"),
    [
        pytest.param(
            lambda a: a.create(bare_pod("new")), "pods", "create", id="create"
        ),
        pytest.param(
            lambda a: a.update(a.get(POD, "default", "web")),
            'pods "web"',
            "update",
            id="update",
        ),
        pytest.param(
            lambda a: a.merge_patch(POD, "default", "web", {}),
            'pods "web"',
            "patch",
            id="patch",
        ),
        pytest.param(
            lambda a: a.delete(POD, "default", "web"),
            'pods "web"',
            "delete",
            id="delete",
        ),
    ],
)
def test_a_read_only_caller_may_not_write(instructor, call, subject, verb):
    before = revision(instructor)
    exc = _error(call, instructor)
    assert (exc.code, exc.reason) == (403, "Forbidden")
    assert exc.message == f"{subject} is forbidden: " + READ_ONLY.format(verb=verb)
    assert revision(instructor) == before


def test_a_read_only_caller_may_read(instructor):
    assert instructor.get(POD, "default", "web")["metadata"]["name"] == "web"
    assert [p["metadata"]["name"] for p in instructor.list_all(POD)] == ["web"]
    assert instructor.events_since(0)


STOPPED_APISERVER = plane.PlaneState(apiservers_up=0, etcd_members=1, etcd_up=1)
NO_QUORUM = plane.PlaneState(apiservers_up=1, etcd_members=3, etcd_up=1)


@pytest.mark.parametrize(
    ("state", "code", "reason", "message"),
    [
        pytest.param(
            STOPPED_APISERVER, 503, "ServiceUnavailable", plane.NO_APISERVER, id="down"
        ),
        pytest.param(NO_QUORUM, 500, "", plane.ETCD_NO_QUORUM, id="no-quorum"),
    ],
)
@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda a: a.get(POD, "default", "web"), id="get"),
        pytest.param(lambda a: a.list(POD), id="list"),
        pytest.param(lambda a: a.create(bare_pod("new")), id="create"),
        pytest.param(lambda a: a.merge_patch(POD, "default", "web", {}), id="patch"),
        pytest.param(lambda a: a.delete(POD, "default", "web"), id="delete"),
        pytest.param(lambda a: a.events_since(0), id="watch"),
    ],
)
def test_a_broken_control_plane_serves_nothing(api, state, code, reason, message, call):
    broken = system_api(api.cluster_id, plane=state)
    before = revision(api)
    exc = _error(call, broken)
    assert (exc.code, exc.reason, exc.message) == (code, reason, message)
    assert "reason" not in exc.status() if not reason else exc.status()["reason"]
    assert revision(api) == before


def test_two_of_three_etcd_members_keep_quorum(api):
    degraded = system_api(
        api.cluster_id,
        plane=plane.PlaneState(apiservers_up=1, etcd_members=3, etcd_up=2),
    )
    assert degraded.create(bare_pod("new"))["metadata"]["name"] == "new"


def test_binding_sets_the_node_once(api):
    bound = bind(api, "web", "worker-1")
    assert bound["spec"]["nodeName"] == "worker-1"
    scheduled = [
        c for c in bound["status"]["conditions"] if c["type"] == "PodScheduled"
    ]
    assert [c["status"] for c in scheduled] == ["True"]
    exc = _error(subresources.bind, api, "default", "web", "worker-2")
    assert (exc.code, exc.message) == (
        409,
        'Operation cannot be fulfilled on pods "web": pod web is already assigned '
        'to node "worker-1"',
    )
    assert api.get(POD, "default", "web")["spec"]["nodeName"] == "worker-1"


def test_an_eviction_that_breaks_a_disruption_budget_is_429(api):
    pod = api.get(POD, "default", "web")
    pod["metadata"]["labels"] = {"app": "web"}
    api.update(pod)
    bind(api, "web")
    api.merge_patch(POD, "default", "web", {"status": {"phase": "Running"}}, "status")
    api.create(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "web"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
        }
    )
    api.merge_patch(
        PDB,
        "default",
        "web",
        {"status": {"disruptionsAllowed": 0, "desiredHealthy": 1, "currentHealthy": 1}},
        "status",
    )
    exc = _error(subresources.evict, api, "default", "web")
    assert exc.status()["code"] == 429
    assert exc.status()["reason"] == "TooManyRequests"
    assert exc.message == (
        "Cannot evict pod as it would violate the pod's disruption budget."
    )
    assert exc.status()["details"]["causes"] == [
        {
            "reason": "DisruptionBudget",
            "message": "The disruption budget web needs 1 healthy pods and has 1 "
            "currently",
            "field": "",
        }
    ]
    assert "deletionTimestamp" not in api.get(POD, "default", "web")["metadata"]


def test_an_allowed_eviction_deletes_the_pod_gracefully(api):
    bind(api, "web")
    assert subresources.evict(api, "default", "web")["code"] == 201
    assert (
        api.get(POD, "default", "web")["metadata"]["deletionGracePeriodSeconds"] == 30
    )


def test_scale_reads_and_writes_spec_replicas(api):
    api.create(bare_deployment("web"))
    scale = subresources.set_scale(
        api, DEPLOYMENT, "default", "web", lambda s: {**s, "spec": {"replicas": 4}}
    )
    assert (scale["kind"], scale["spec"], scale["status"]["selector"]) == (
        "Scale",
        {"replicas": 4},
        "app=web",
    )
    live = api.get(DEPLOYMENT, "default", "web")
    assert (live["spec"]["replicas"], live["metadata"]["generation"]) == (4, 2)


def test_a_negative_scale_is_invalid_and_writes_nothing(api):
    api.create(bare_deployment("web"))
    before = revision(api)
    exc = _error(
        subresources.set_scale,
        api,
        DEPLOYMENT,
        "default",
        "web",
        lambda s: {**s, "spec": {"replicas": -1}},
    )
    assert exc.message == (
        'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: '
        "must be greater than or equal to 0"
    )
    assert revision(api) == before


def test_cluster_scoped_objects_ignore_the_namespace(api):
    ns = api.get(NAMESPACE, "anything", "default")
    assert "namespace" not in ns["metadata"]
