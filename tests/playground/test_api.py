"""The REST API: owner checks, actions through the API server, and 4xx on bad input."""

from __future__ import annotations

import pytest

from cluster import kinds
from cluster.access import api_for
from cluster.models import Cluster, Component, Machine
from tests.playground.manifests import WEB_SERVICE, web_deployment

DEPLOYMENT = web_deployment(2)
SERVICE = WEB_SERVICE
BAD_REPLICAS = DEPLOYMENT.replace("replicas: 2", "replicas: -1")


def url(cluster, tail=""):
    return f"/api/clusters/{cluster.slug}/{tail}"


def names(api, kind):
    return sorted(o["metadata"]["name"] for o in api.list(kinds.by_kind(kind)).items)


@pytest.mark.django_db
def test_anonymous_requests_are_refused(client, cluster):
    assert client.get("/api/clusters/").status_code == 403
    assert client.get(url(cluster)).status_code == 403


@pytest.mark.django_db
def test_it_lists_and_creates_only_your_clusters(alice_api, bob_api, cluster):
    assert [c["name"] for c in alice_api.get("/api/clusters/").json()] == ["lab"]
    assert bob_api.get("/api/clusters/").json() == []
    created = bob_api.post("/api/clusters/", {"name": "mine", "template": "empty"})
    assert created.status_code == 201
    assert Cluster.objects.get(slug=created.json()["slug"]).owner.username == "bob"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"name": "Bad Name"}, "name", id="not-a-dns-label"),
        pytest.param(
            {"name": "ok", "template": "galaxy"}, "template", id="no-template"
        ),
        pytest.param({}, "name", id="missing-name"),
    ],
)
@pytest.mark.django_db
def test_cluster_creation_reports_field_errors(alice_api, body, field):
    response = alice_api.post("/api/clusters/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Cluster.objects.exists()


@pytest.mark.django_db
def test_a_duplicate_cluster_name_is_a_400(alice_api, cluster):
    response = alice_api.post("/api/clusters/", {"name": "lab"}, format="json")
    assert response.status_code == 400
    assert Cluster.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "tail", "body"),
    [
        ("get", "", None),
        ("delete", "", None),
        ("post", "reset/", {}),
        ("get", "machines/", None),
        ("post", "machines/", {"role": "worker"}),
        ("post", "clock/", {"speed": 0}),
        ("post", "apply/", {"yaml": DEPLOYMENT}),
        ("get", "objects/pods/", None),
        ("get", "etcd/", None),
        ("post", "snapshots/", {"name": "s"}),
        ("post", "nodes/worker1/cordon/", {}),
    ],
)
@pytest.mark.django_db
def test_another_users_cluster_is_not_found(bob_api, cluster, method, tail, body):
    response = getattr(bob_api, method)(url(cluster, tail), body, format="json")
    assert response.status_code == 404
    assert Cluster.objects.filter(pk=cluster.pk).exists()


@pytest.mark.django_db
def test_apply_creates_every_document_then_updates_them(alice_api, cluster):
    response = alice_api.post(
        url(cluster, "apply/"), {"yaml": DEPLOYMENT + "---\n" + SERVICE}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert [
        (r["kind"], r["name"], r["action"]) for r in response.json()["results"]
    ] == [
        ("Deployment", "web", "created"),
        ("Service", "web", "created"),
    ]
    again = alice_api.post(
        url(cluster, "apply/"),
        {"yaml": DEPLOYMENT.replace("replicas: 2", "replicas: 4")},
        format="json",
    )
    assert again.json()["results"][0]["action"] == "configured"
    api = api_for(cluster)
    assert (
        api.get(kinds.by_kind("Deployment"), "default", "web")["spec"]["replicas"] == 4
    )


@pytest.mark.django_db
def test_apply_with_an_invalid_document_writes_nothing(alice_api, cluster):
    before = Cluster.objects.get(pk=cluster.pk).revision
    response = alice_api.post(
        url(cluster, "apply/"),
        {"yaml": SERVICE + "---\n" + BAD_REPLICAS},
        format="json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["reason"] == "Invalid"
    assert {"document": 1, "field": "spec.replicas"} in [
        {"document": e["document"], "field": e["field"]} for e in body["errors"]
    ]
    assert Cluster.objects.get(pk=cluster.pk).revision == before
    assert "web" not in names(api_for(cluster), "Service")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        pytest.param("kind: [unclosed", 400, id="yaml-syntax"),
        pytest.param("# nothing here\n", 400, id="no-documents"),
        pytest.param(
            "apiVersion: v1\nkind: Teapot\nmetadata: {name: x}\n",
            400,
            id="unknown-kind",
        ),
        pytest.param(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", 422, id="no-name"
        ),
        pytest.param("- just\n- a list\n", 400, id="not-an-object"),
    ],
)
@pytest.mark.django_db
def test_bad_yaml_is_a_clear_4xx(alice_api, cluster, text, code):
    response = alice_api.post(url(cluster, "apply/"), {"yaml": text}, format="json")
    assert response.status_code == code, response.json()
    assert response.json()["message"]


@pytest.mark.django_db
def test_dry_run_validates_without_writing(alice_api, cluster):
    response = alice_api.post(
        url(cluster, "apply/"), {"yaml": SERVICE, "dry_run": True}, format="json"
    )
    assert response.status_code == 200
    assert "web" not in names(api_for(cluster), "Service")


@pytest.mark.django_db
def test_inspecting_an_object_returns_yaml_events_and_owners(alice_api, cluster):
    alice_api.post(url(cluster, "apply/"), {"yaml": DEPLOYMENT}, format="json")
    detail = alice_api.get(url(cluster, "objects/deployments/web/")).json()
    assert detail["object"]["metadata"]["name"] == "web"
    assert "kind: Deployment" in detail["yaml"]
    assert "managedFields" not in detail["yaml"]
    assert detail["owners"] == []
    assert alice_api.get(url(cluster, "objects/pods/nope/")).status_code == 404
    assert alice_api.get(url(cluster, "objects/teapots/x/")).status_code == 404


@pytest.mark.django_db
def test_scale_and_delete_go_through_the_api_server(alice_api, cluster):
    alice_api.post(url(cluster, "apply/"), {"yaml": DEPLOYMENT}, format="json")
    scaled = alice_api.post(
        url(cluster, "objects/deployments/web/scale/"), {"replicas": 5}
    )
    assert scaled.json()["spec"]["replicas"] == 5
    bad = alice_api.post(
        url(cluster, "objects/deployments/web/scale/"), {"replicas": -2}
    )
    assert bad.status_code == 400
    assert alice_api.delete(url(cluster, "objects/deployments/web/")).status_code == 200
    assert "web" not in names(api_for(cluster), "Deployment")


@pytest.mark.django_db
def test_machines_components_and_clock_actions(alice_api, cluster):
    added = alice_api.post(url(cluster, "machines/"), {"role": "worker"}, format="json")
    assert added.status_code == 201
    name = added.json()["name"]
    assert Machine.objects.filter(cluster=cluster, name=name).exists()
    off = alice_api.post(
        url(cluster, f"machines/{name}/power/"), {"on": False}, format="json"
    )
    assert off.json() == {"name": name, "powered": False}
    stop = alice_api.post(
        url(cluster, "machines/control-plane/components/kube-scheduler/stop/")
    )
    assert stop.json()["state"] == "stopped"
    assert (
        Component.objects.get(machine__cluster=cluster, kind="kube-scheduler").state
        == "stopped"
    )
    assert (
        alice_api.post(
            url(cluster, "machines/control-plane/components/kube-scheduler/explode/")
        ).status_code
        == 404
    )
    assert (
        alice_api.post(
            url(cluster, "machines/nope/power/"), {"on": True}, format="json"
        ).status_code
        == 404
    )
    paused = alice_api.post(url(cluster, "clock/"), {"speed": 0}, format="json")
    assert paused.json()["speed"] == 0
    assert (
        alice_api.post(url(cluster, "clock/"), {"speed": 7}, format="json").status_code
        == 400
    )
    assert (
        alice_api.post(url(cluster, f"machines/{name}/"), format="json").status_code
        == 405
    )
    assert alice_api.delete(url(cluster, f"machines/{name}/")).status_code == 204


@pytest.mark.django_db
def test_fast_forward_moves_the_clock_and_rejects_bad_seconds(alice_api, cluster):
    alice_api.post(url(cluster, "clock/"), {"speed": 0}, format="json")
    before = alice_api.get(url(cluster, "clock/")).json()["now"]
    advanced = alice_api.post(
        url(cluster, "clock/advance/"), {"seconds": 300}, format="json"
    )
    assert advanced.status_code == 200
    assert advanced.json()["now"] == pytest.approx(before + 300, abs=1)
    bad = alice_api.post(url(cluster, "clock/advance/"), {"seconds": 0}, format="json")
    assert bad.status_code == 400
    assert "seconds" in bad.json()


@pytest.mark.django_db
def test_removing_the_last_master_is_refused(alice_api, cluster):
    response = alice_api.delete(url(cluster, "machines/control-plane/"))
    assert response.status_code == 400
    assert "control-plane" in response.json()["detail"]


@pytest.mark.django_db
def test_cordon_and_uncordon_a_node(alice_api, cluster):
    node = kinds.by_kind("Node")
    api = api_for(cluster)
    if not names(api, "Node"):
        pytest.skip("nodes register when the engine runs their kubelet")
    name = names(api, "Node")[0]
    alice_api.post(url(cluster, f"nodes/{name}/cordon/"))
    assert api.get(node, None, name)["spec"]["unschedulable"] is True
    alice_api.post(url(cluster, f"nodes/{name}/uncordon/"))
    assert api.get(node, None, name)["spec"].get("unschedulable") is False
    assert alice_api.post(url(cluster, "nodes/ghost/cordon/")).status_code == 404


@pytest.mark.django_db
def test_snapshots_and_the_etcd_keyspace(alice_api, cluster):
    saved = alice_api.post(
        url(cluster, "snapshots/"), {"name": "before"}, format="json"
    )
    assert saved.status_code == 201
    alice_api.post(url(cluster, "apply/"), {"yaml": SERVICE}, format="json")
    keys = [k["key"] for k in alice_api.get(url(cluster, "etcd/")).json()["keys"]]
    assert "/registry/services/specs/default/web" in keys
    value = alice_api.get(
        url(cluster, "etcd/value/"), {"key": "/registry/services/specs/default/web"}
    )
    assert value.json()["value"]["kind"] == "Service"
    assert (
        alice_api.get(url(cluster, "etcd/value/"), {"key": "/etc/passwd"}).status_code
        == 400
    )
    assert alice_api.get(url(cluster, "etcd/"), {"prefix": "/etc"}).status_code == 400
    restored = alice_api.post(url(cluster, f"snapshots/{saved.json()['id']}/restore/"))
    assert restored.status_code == 200
    assert "web" not in names(api_for(cluster), "Service")


@pytest.mark.django_db
def test_reset_and_delete(alice_api, cluster):
    alice_api.post(url(cluster, "apply/"), {"yaml": SERVICE}, format="json")
    reset = alice_api.post(url(cluster, "reset/"))
    assert reset.status_code == 200
    fresh = Cluster.objects.get(slug=reset.json()["slug"])
    assert "web" not in names(api_for(fresh), "Service")
    assert alice_api.delete(url(fresh)).status_code == 204
    assert not Cluster.objects.filter(pk=fresh.pk).exists()


@pytest.mark.django_db
def test_the_openapi_schema_and_docs_are_served(alice_api):
    schema = alice_api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/clusters/{slug}/apply/" in schema.json()["paths"]
    assert alice_api.get("/api/docs/").status_code == 200
