"""Quotas give clear, Kubernetes-worded refusals and leave nothing half-made."""

from __future__ import annotations

import pytest

from cluster import kinds
from cluster.apiserver import errors, quota
from cluster.models import Cluster
from playground.courses import services
from playground.courses.quotas import QuotaExceeded
from tests.courses.kit import bare_cluster, user
from tests.engine.kit import api, new_cluster

pytestmark = pytest.mark.django_db
POD = kinds.by_kind("Pod")


def _pod(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
    }


def test_the_101st_pod_is_forbidden_with_a_quota_message():
    cluster = new_cluster()
    system_pods = len(api(cluster).list(POD).items)
    server = api(cluster)
    for i in range(quota.DEFAULT_PODS - system_pods):
        server.create(_pod(f"p{i}"))
    with pytest.raises(errors.ApiError) as refused:
        server.create(_pod("one-too-many"))
    assert refused.value.code == 403
    assert refused.value.reason == "Forbidden"
    assert refused.value.message == (
        'pods "one-too-many" is forbidden: exceeded quota: kubelab-cluster-quota, '
        "requested: pods=1, used: pods=100, limited: pods=100"
    )
    assert len(api(cluster).list(POD).items) == 100


def test_objects_past_the_quota_are_forbidden_but_events_still_flow(settings):
    cluster = new_cluster()
    server = api(cluster)
    server.create(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fits"}}
    )
    settings.KUBELAB_QUOTA_OBJECTS_PER_CLUSTER = 1
    with pytest.raises(errors.ApiError) as refused:
        server.create(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "extra"}}
        )
    assert refused.value.code == 403
    assert "exceeded quota: kubelab-cluster-quota, requested: count/objects=1" in (
        refused.value.message
    )
    server.create(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "still-recorded"},
            "involvedObject": {"kind": "Pod", "name": "x", "namespace": "default"},
            "reason": "Test",
            "message": "events are not counted",
        }
    )


def test_a_student_past_the_cluster_quota_cannot_start_a_lab(settings, client):
    settings.KUBELAB_QUOTA_CLUSTERS_PER_STUDENT = 1
    alice = user("alice")
    bare_cluster(alice, "mine")
    client.force_login(alice)
    response = client.post("/api/labs/03-self-healing/start/")
    assert response.status_code == 403
    assert response.json()["detail"].startswith(
        "exceeded quota: clusters per student, used: 1, limited: 1."
    )
    assert Cluster.objects.filter(owner=alice).count() == 1


def test_a_lab_needing_more_machines_than_the_quota_is_refused(settings):
    settings.KUBELAB_QUOTA_MACHINES_PER_CLUSTER = 5
    with pytest.raises(QuotaExceeded, match="requested: 6, limited: 5"):
        services.start_lab(user("alice"), "10-ha-control-plane")
    assert not Cluster.objects.exists()


def test_adding_a_machine_past_the_quota_is_refused(settings):
    cluster = new_cluster()
    settings.KUBELAB_QUOTA_MACHINES_PER_CLUSTER = 4
    services.add_machine(cluster, "worker")
    with pytest.raises(QuotaExceeded, match="used: 4, limited: 4"):
        services.add_machine(cluster, "worker")
    assert cluster.machines.count() == 4


def test_the_lab_page_shows_the_quota_message(settings, client):
    settings.KUBELAB_QUOTA_CLUSTERS_PER_STUDENT = 0
    client.force_login(user("alice"))
    response = client.post("/labs/03-self-healing/")
    assert response.status_code == 403
    assert b"exceeded quota: clusters per student" in response.content
