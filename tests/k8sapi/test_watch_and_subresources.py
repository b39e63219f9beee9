"""Watch streams, subresources, access reviews and kubeconfigs over the HTTP API."""

from __future__ import annotations

import json
import time

import pytest
import yaml
from asgiref.sync import async_to_sync

from cluster import kinds
from cluster.access import api_for
from cluster.k8sapi import kubeconfig, logs
from cluster.models import Cluster

from .conftest import TABLE_ACCEPT

CM = "/api/v1/namespaces/default/configmaps"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"


async def _drain(stream) -> bytes:
    return b"".join([chunk async for chunk in stream])


def events(response) -> list[dict]:
    text = async_to_sync(_drain)(response.streaming_content).decode()
    return [json.loads(line) for line in text.splitlines() if line]


@pytest.fixture
def live_kube(transactional_db, client):
    """A cluster whose data other threads can read (watch reads run in a pool)."""
    from django.contrib.auth import get_user_model

    from cluster.k8sapi import auth
    from cluster.provision import create_cluster

    from .conftest import Kube

    alice = get_user_model().objects.create_user("k8sapi-watcher")
    cluster = create_cluster(alice, "watched")
    return Kube(client, cluster, auth.token_for(cluster, alice))


def test_watch_from_a_resource_version_streams_later_changes(live_kube):
    kube = live_kube
    rv = kube.get(CM).json()["metadata"]["resourceVersion"]
    kube.post(CM, {"metadata": {"name": "w1"}})
    kube.patch(f"{CM}/w1", {"data": {"a": "b"}}, "application/merge-patch+json")
    kube.delete(f"{CM}/w1")
    response = kube.get(f"{CM}?watch=true&resourceVersion={rv}&timeoutSeconds=1")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    seen = [(e["type"], e["object"]["metadata"]["name"]) for e in events(response)]
    assert seen == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]


@pytest.mark.parametrize("selector", ["", "&labelSelector=team%3Da"])
def test_an_object_created_after_the_version_is_added_even_if_it_still_exists(
    live_kube, selector
):
    """The Python client's list-then-watch: the object exists when the watch opens."""
    kube = live_kube
    rv = kube.get(CM).json()["metadata"]["resourceVersion"]
    kube.post(CM, {"metadata": {"name": "late", "labels": {"team": "a"}}})
    kube.patch(f"{CM}/late", {"data": {"a": "b"}}, "application/merge-patch+json")
    response = kube.get(
        f"{CM}?watch=true&resourceVersion={rv}&timeoutSeconds=1{selector}"
    )
    seen = [(e["type"], e["object"]["metadata"]["name"]) for e in events(response)]
    assert seen == [("ADDED", "late"), ("MODIFIED", "late")]


def test_watch_without_a_version_starts_with_the_current_objects(live_kube):
    kube = live_kube
    kube.post(CM, {"metadata": {"name": "now", "labels": {"w": "1"}}})
    response = kube.get(f"{CM}?watch=1&labelSelector=w&timeoutSeconds=1")
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events(response)] == [
        ("ADDED", "now")
    ]


def test_a_table_watch_sends_columns_only_in_the_first_event(live_kube):
    kube = live_kube
    rv = kube.get(CM).json()["metadata"]["resourceVersion"]
    kube.post(CM, {"metadata": {"name": "t1"}})
    kube.post(CM, {"metadata": {"name": "t2"}})
    response = kube.get(
        f"{CM}?watch=true&resourceVersion={rv}&timeoutSeconds=1", Accept=TABLE_ACCEPT
    )
    tables = [e["object"] for e in events(response)]
    assert [t["kind"] for t in tables] == ["Table", "Table"]
    assert tables[0]["columnDefinitions"]
    assert tables[1]["columnDefinitions"] is None
    assert tables[1]["rows"][0]["cells"][0] == "t2"


def test_leaving_the_label_selection_reads_as_deleted(live_kube):
    kube = live_kube
    kube.post(CM, {"metadata": {"name": "sel", "labels": {"team": "a"}}})
    rv = kube.get(CM).json()["metadata"]["resourceVersion"]
    response = kube.get(
        f"{CM}?watch=true&resourceVersion={rv}&labelSelector=team%3Da&timeoutSeconds=1"
    )
    kube.patch(
        f"{CM}/sel",
        {"metadata": {"labels": {"team": "b"}}},
        "application/merge-patch+json",
    )
    assert [e["type"] for e in events(response)] == ["DELETED"]


def test_a_compacted_resume_is_an_error_event_410(live_kube):
    Cluster.objects.filter(pk=live_kube.cluster.pk).update(compacted_revision=50)
    response = live_kube.get(f"{CM}?watch=true&resourceVersion=3&timeoutSeconds=1")
    [event] = events(response)
    assert event["type"] == "ERROR"
    assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")


def test_a_bad_watch_request_is_refused_before_streaming(kube):
    assert kube.get(f"{CM}?watch=true&resourceVersion=abc").status_code == 400
    assert kube.get(f"{CM}?watch=true&labelSelector=a%20in").status_code == 400


def test_scale_subresource_reads_and_merges(kube):
    kube.post(DEPLOYMENTS, deployment_body())
    scale = kube.get(f"{DEPLOYMENTS}/web/scale").json()
    assert (scale["kind"], scale["apiVersion"]) == ("Scale", "autoscaling/v1")
    assert scale["spec"] == {"replicas": 2}
    assert scale["status"]["selector"] == "app=web"
    response = kube.patch(
        f"{DEPLOYMENTS}/web/scale",
        {"spec": {"replicas": 5}},
        "application/merge-patch+json",
    )
    assert response.json()["spec"] == {"replicas": 5}
    assert kube.get(f"{DEPLOYMENTS}/web").json()["spec"]["replicas"] == 5
    negative = kube.patch(
        f"{DEPLOYMENTS}/web/scale",
        {"spec": {"replicas": -1}},
        "application/merge-patch+json",
    )
    assert negative.status_code == 422


def test_status_subresource_writes_only_status(kube):
    kube.post(DEPLOYMENTS, deployment_body())
    response = kube.patch(
        f"{DEPLOYMENTS}/web/status",
        {"status": {"replicas": 9}, "spec": {"replicas": 7}},
        "application/merge-patch+json",
    )
    body = response.json()
    assert (body["status"]["replicas"], body["spec"]["replicas"]) == (9, 2)


def test_binding_and_eviction(kube, lab):
    api = api_for(lab)
    api.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "solo", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        }
    )
    pods = "/api/v1/namespaces/default/pods"
    node = api.list(kinds.by_kind("Node")).items[0]["metadata"]["name"]
    bound = kube.post(
        f"{pods}/solo/binding",
        {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": "solo"},
            "target": {"kind": "Node", "name": node},
        },
    )
    assert bound.status_code == 201, bound.content
    assert api.get(kinds.by_kind("Pod"), "default", "solo")["spec"]["nodeName"] == node
    evicted = kube.post(
        f"{pods}/solo/eviction",
        {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "solo"}},
    )
    assert evicted.status_code == 201, evicted.content
    assert evicted.json()["status"] == "Success"


def test_exec_over_plain_http_gets_a_clear_status(kube, lab):
    api_for(lab).create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "sh", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]},
        }
    )
    response = kube.post("/api/v1/namespaces/default/pods/sh/exec?command=ls", "")
    assert response.status_code == 400
    assert "WebSocket" in response.json()["message"]


@pytest.mark.parametrize(
    ("subresource", "hint"),
    [("portforward", "kubectl exec"), ("attach", "kubectl exec -it")],
)
def test_streams_that_are_not_simulated_say_what_to_use(kube, lab, subresource, hint):
    path = f"/api/v1/namespaces/default/pods/web/{subresource}"
    assert kube.post(path, "").json()["reason"] == "NotFound"  # no such pod yet
    api_for(lab).create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        }
    )
    response = kube.post(path, "")
    assert response.status_code == 400
    assert response.json()["reason"] == "BadRequest"
    assert "not simulated" in response.json()["message"]
    assert hint in response.json()["message"]


def test_logs_of_a_pod_that_is_not_running_explain_why(kube, lab):
    api_for(lab).create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "new", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        }
    )
    response = kube.get("/api/v1/namespaces/default/pods/new/log?container=c")
    assert response.status_code == 400
    assert "is waiting to start" in response.json()["message"]


def test_logs_wait_a_moment_for_a_started_container_the_runtime_state_lacks(kube, lab):
    """The API can be ahead of the kubelet's saved state for the rest of a tick."""
    api = api_for(lab)
    api.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "ahead", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        }
    )
    api.merge_patch(
        kinds.by_kind("Pod"),
        "default",
        "ahead",
        {"status": {"containerStatuses": [{"name": "c", "state": {"running": {}}}]}},
        subresource="status",
    )
    started = time.monotonic()
    response = kube.get("/api/v1/namespaces/default/pods/ahead/log")
    assert response.status_code == 400  # this state never comes: no tick runs here
    assert time.monotonic() - started >= logs.STATE_CATCH_UP_SECONDS


@pytest.mark.parametrize(
    ("statuses", "started"),
    [
        ([], False),
        ([{"name": "c", "state": {"waiting": {"reason": "ContainerCreating"}}}], False),
        ([{"name": "c", "state": {"running": {}}}], True),
        ([{"name": "c", "state": {"terminated": {"exitCode": 0}}}], True),
        ([{"name": "other", "state": {"running": {}}}], False),
        ([{"name": "c"}], False),
    ],
)
def test_which_statuses_show_a_started_container(statuses, started):
    pod = {"status": {"containerStatuses": statuses}}
    assert bool(logs._api_shows_started(pod, "c")) is started


@pytest.mark.parametrize(
    ("user", "verb", "allowed"),
    [("alice", "create", True), ("carol", "get", True), ("carol", "delete", False)],
)
def test_access_reviews_answer_for_the_caller(
    kube_as, alice, django_user_model, user, verb, allowed
):
    carol = django_user_model.objects.create_user("carol", is_superuser=True)
    kube = kube_as({"alice": alice, "carol": carol}[user])
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {
            "resourceAttributes": {
                "verb": verb,
                "resource": "pods",
                "namespace": "default",
            }
        },
    }
    response = kube.post(
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review
    )
    assert response.status_code == 201
    assert response.json()["status"]["allowed"] is allowed


def test_self_subject_review_names_the_user(kube, alice):
    response = kube.post(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    )
    assert response.status_code == 201
    assert response.json()["status"]["userInfo"]["username"] == alice.username


def test_node_metrics_list_every_node(kube):
    body = kube.get("/apis/metrics.k8s.io/v1beta1/nodes").json()
    assert body["kind"] == "NodeMetricsList"
    assert {i["metadata"]["name"] for i in body["items"]} == {
        n["metadata"]["name"] for n in kube.get("/api/v1/nodes").json()["items"]
    }


def test_kubeconfig_points_at_the_cluster_with_ca_and_token(
    lab, alice, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    settings.K8S_PUBLIC_URL = "https://lab.example:6443"
    config = yaml.safe_load(kubeconfig.build(lab, alice))
    assert config["current-context"] == lab.slug
    [cluster] = config["clusters"]
    assert cluster["name"] == lab.slug
    assert (
        cluster["cluster"]["server"]
        == f"https://lab.example:6443/k8s/clusters/{lab.slug}"
    )
    assert cluster["cluster"]["certificate-authority-data"]
    assert (tmp_path / "tls" / "ca.crt").exists()
    [user] = config["users"]
    from cluster.k8sapi import auth

    assert user["user"]["token"] == auth.token_for(lab, alice)


def test_kubeconfig_command_prints_the_same(lab, alice, settings, tmp_path, capsys):
    from django.core.management import call_command

    settings.VAR_DIR = tmp_path
    call_command("kubeconfig", lab.slug)
    assert capsys.readouterr().out == kubeconfig.build(lab, alice)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("kubeconfig", "no-such-cluster")


def deployment_body():
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
        },
    }
