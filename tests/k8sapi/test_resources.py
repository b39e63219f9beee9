"""The verbs on stored objects, through the HTTP API as kubectl sends them."""

from __future__ import annotations

import json
import time

import pytest

from cluster.access import api_for
from cluster.apiserver import errors, protobuf

from .conftest import TABLE_ACCEPT

CM = "/api/v1/namespaces/default/configmaps"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"


def deployment(name="web", replicas=2, image="nginx"):
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
        },
    }


def configmap(name, **labels):
    return {"metadata": {"name": name, "labels": labels}, "data": {"k": name}}


def test_create_then_get_round_trips(kube):
    created = kube.post(CM, configmap("one", tier="a"))
    assert created.status_code == 201
    body = created.json()
    assert (body["kind"], body["apiVersion"]) == ("ConfigMap", "v1")
    fetched = kube.get(f"{CM}/one").json()
    assert fetched == body


def test_create_records_the_field_manager(kube):
    kube.post(f"{CM}?fieldManager=kubectl-create", configmap("m"))
    managers = [
        m["manager"] for m in kube.get(f"{CM}/m").json()["metadata"]["managedFields"]
    ]
    assert managers == ["kubectl-create"]


def test_create_twice_is_409_already_exists(kube):
    kube.post(CM, configmap("dup"))
    response = kube.post(CM, configmap("dup"))
    assert response.status_code == 409
    assert response.json()["message"] == 'configmaps "dup" already exists'


def test_dry_run_create_stores_nothing(kube):
    assert kube.post(f"{CM}?dryRun=All", configmap("dry")).status_code == 201
    assert kube.get(f"{CM}/dry").status_code == 404
    assert kube.post(f"{CM}?dryRun=Some", configmap("dry")).status_code == 400


def test_a_dry_run_patch_is_validated_and_defaulted_but_not_stored(kube):
    """As `kubectl diff` and `apply --dry-run=server` see it: the main resource's
    status stays, an invalid change is refused, nothing is written."""
    kube.post(DEPLOYMENTS, deployment("dry", replicas=1))
    before = kube.get(f"{DEPLOYMENTS}/dry").json()
    merge = "application/merge-patch+json"
    seen = kube.patch(
        f"{DEPLOYMENTS}/dry?dryRun=All",
        {"spec": {"replicas": 3}, "status": {"replicas": 7}},
        merge,
    ).json()
    assert (seen["spec"]["replicas"], seen["metadata"]["generation"]) == (3, 2)
    assert seen["status"] == before.get("status", {})
    refused = kube.patch(
        f"{DEPLOYMENTS}/dry?dryRun=All", {"spec": {"replicas": -1}}, merge
    )
    assert refused.status_code == 422
    assert kube.get(f"{DEPLOYMENTS}/dry").json() == before


def test_typed_clients_protobuf_body_is_decoded(kube):
    raw_cm = (
        b"\n\x05\n\x03pb1"  # metadata.name
        b"\x12\x06\n\x01k\x12\x01v"  # data {k: v}
    )
    unknown = (
        b"\n\x0f\n\x02v1\x12\x09ConfigMap"  # typeMeta
        + b"\x12"
        + bytes([len(raw_cm)])
        + raw_cm
    )
    response = kube.post(CM, protobuf.MAGIC + unknown, protobuf.CONTENT_TYPE)
    assert response.status_code == 201, response.content
    assert response.json()["data"] == {"k": "v"}


def test_list_is_a_typed_list_with_a_resource_version(kube):
    kube.post(CM, configmap("a"))
    body = kube.get(CM).json()
    assert body["kind"] == "ConfigMapList"
    assert int(body["metadata"]["resourceVersion"]) > 0
    assert "a" in [i["metadata"]["name"] for i in body["items"]]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("labelSelector=tier%3Da", ["a1", "a2"]),
        ("labelSelector=tier+in+(b)", ["b1"]),
        ("labelSelector=tier%21%3Da,tier", ["b1"]),
        ("fieldSelector=metadata.name%3Da2", ["a2"]),
        ("fieldSelector=metadata.name%21%3Da2&labelSelector=tier", ["a1", "b1"]),
    ],
)
def test_list_honours_selectors(kube, query, names):
    for name, tier in (("a1", "a"), ("a2", "a"), ("b1", "b")):
        kube.post(CM, configmap(name, tier=tier))
    items = kube.get(f"{CM}?{query}").json()["items"]
    assert [i["metadata"]["name"] for i in items] == names


def test_a_bad_selector_is_400(kube):
    assert kube.get(f"{CM}?labelSelector=a%20in").status_code == 400


def test_list_pages_with_limit_and_continue(kube):
    for n in range(5):
        kube.post(CM, configmap(f"p{n}", page="yes"))
    seen, token = [], ""
    for _ in range(5):
        query = "labelSelector=page&limit=2" + (f"&continue={token}" if token else "")
        body = kube.get(f"{CM}?{query}").json()
        seen += [i["metadata"]["name"] for i in body["items"]]
        token = body["metadata"].get("continue", "")
        if not token:
            break
    assert seen == ["p0", "p1", "p2", "p3", "p4"]
    assert kube.get(f"{CM}?continue=%%%").status_code == 400


def test_list_across_namespaces(kube):
    body = kube.get("/api/v1/serviceaccounts").json()
    namespaces = {i["metadata"]["namespace"] for i in body["items"]}
    assert {"default", "kube-system"} <= namespaces


def test_get_as_a_table_has_real_columns_and_row_metadata(kube):
    table = kube.get("/api/v1/namespaces", Accept=TABLE_ACCEPT).json()
    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Status", "Age"]
    row = table["rows"][0]
    assert row["cells"][:2] == ["default", "Active"]
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert row["object"]["metadata"]["name"] == "default"


def test_get_one_object_as_a_table(kube):
    table = kube.get("/api/v1/namespaces/default", Accept=TABLE_ACCEPT).json()
    assert [r["cells"][0] for r in table["rows"]] == ["default"]


def test_yaml_is_served_when_asked(kube):
    response = kube.get("/api/v1/namespaces/default", Accept="application/yaml")
    assert response["Content-Type"] == "application/yaml"
    assert b"kind: Namespace" in response.content


def test_update_with_a_stale_resource_version_is_409(kube):
    created = kube.post(CM, configmap("u")).json()
    fresh = dict(created, data={"k": "new"})
    assert kube.put(f"{CM}/u", fresh).status_code == 200
    stale = dict(created, data={"k": "stale"})
    response = kube.put(f"{CM}/u", stale)
    assert response.status_code == 409
    assert response.json()["reason"] == "Conflict"
    assert kube.get(f"{CM}/u").json()["data"] == {"k": "new"}


def test_update_of_a_different_name_is_400(kube):
    kube.post(CM, configmap("u2"))
    assert kube.put(f"{CM}/u2", configmap("other")).status_code == 400


@pytest.mark.parametrize(
    ("content_type", "patch", "labels"),
    [
        (
            "application/merge-patch+json",
            {"metadata": {"labels": {"tier": None, "new": "1"}}},
            {"new": "1"},
        ),
        (
            "application/strategic-merge-patch+json",
            {"metadata": {"labels": {"extra": "2"}}},
            {"tier": "a", "extra": "2"},
        ),
        (
            "application/json-patch+json",
            [{"op": "replace", "path": "/metadata/labels/tier", "value": "z"}],
            {"tier": "z"},
        ),
    ],
)
def test_patch_types(kube, content_type, patch, labels):
    kube.post(CM, configmap("pt", tier="a"))
    response = kube.patch(f"{CM}/pt", patch, content_type)
    assert response.status_code == 200, response.content
    assert response.json()["metadata"]["labels"] == labels


def test_an_unknown_patch_type_is_415(kube):
    kube.post(CM, configmap("pt"))
    response = kube.patch(f"{CM}/pt", {}, "application/xml")
    assert response.status_code == 415


def test_a_broken_json_patch_is_an_error_not_a_crash(kube):
    kube.post(CM, configmap("pt"))
    response = kube.patch(
        f"{CM}/pt", [{"op": "remove", "path": "/nope/x"}], "application/json-patch+json"
    )
    assert response.status_code == 422
    response = kube.patch(f"{CM}/pt", "{oops", "application/merge-patch+json")
    assert response.status_code == 400


def test_server_side_apply_creates_then_conflicts_then_forces(kube):
    applied = json.dumps(deployment(replicas=2))
    url = f"{DEPLOYMENTS}/web?fieldManager=kubectl&fieldValidation=Strict"
    created = kube.patch(url, applied, "application/apply-patch+yaml")
    assert created.status_code == 201, created.content
    kube.patch(
        f"{DEPLOYMENTS}/web?fieldManager=kubectl-scale",
        {"spec": {"replicas": 5}},
        "application/merge-patch+json",
    )
    again = kube.patch(url, applied, "application/apply-patch+yaml")
    assert again.status_code == 409
    causes = again.json()["details"]["causes"]
    assert causes[0]["reason"] == "FieldManagerConflict"
    assert causes[0]["field"] == ".spec.replicas"
    forced = kube.patch(url + "&force=true", applied, "application/apply-patch+yaml")
    assert forced.status_code == 200
    assert forced.json()["spec"]["replicas"] == 2


def test_server_side_apply_needs_a_field_manager(kube):
    response = kube.patch(
        f"{DEPLOYMENTS}/web", json.dumps(deployment()), "application/apply-patch+yaml"
    )
    assert response.status_code == 422


def test_status_changes_on_the_main_resource_are_ignored(kube):
    kube.post(DEPLOYMENTS, deployment())
    response = kube.patch(
        f"{DEPLOYMENTS}/web",
        {"status": {"replicas": 7}, "spec": {"replicas": 3}},
        "application/strategic-merge-patch+json",
    )
    body = response.json()
    assert body["spec"]["replicas"] == 3
    assert body["status"].get("replicas") != 7


def test_delete_answers_a_status_for_non_pods(kube):
    kube.post(CM, configmap("gone"))
    response = kube.delete(f"{CM}/gone", {"propagationPolicy": "Background"})
    assert response.status_code == 200
    body = response.json()
    assert (body["kind"], body["status"]) == ("Status", "Success")
    assert body["details"]["name"] == "gone"
    assert kube.get(f"{CM}/gone").status_code == 404
    assert kube.delete(f"{CM}/gone").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"propagationPolicy": "Sideways"},
        {"gracePeriodSeconds": "soon"},
        "{not json",
    ],
)
def test_bad_delete_options_are_400(kube, body):
    kube.post(CM, configmap("d"))
    assert kube.delete(f"{CM}/d", body).status_code == 400
    assert kube.get(f"{CM}/d").status_code == 200


def test_delete_with_a_wrong_uid_precondition_is_409(kube):
    kube.post(CM, configmap("pre"))
    response = kube.delete(f"{CM}/pre", {"preconditions": {"uid": "nope"}})
    assert response.status_code == 409


def test_delete_collection_removes_only_the_selected(kube):
    for name, tier in (("x1", "x"), ("x2", "x"), ("y1", "y")):
        kube.post(CM, configmap(name, tier=tier))
    response = kube.delete(f"{CM}?labelSelector=tier%3Dx")
    assert response.status_code == 200
    assert sorted(i["metadata"]["name"] for i in response.json()["items"]) == [
        "x1",
        "x2",
    ]
    left = kube.get(f"{CM}?labelSelector=tier").json()["items"]
    assert [i["metadata"]["name"] for i in left] == ["y1"]


def test_a_pod_create_waits_for_the_default_account_of_a_new_namespace():
    """As the ServiceAccount plugin does: a few lookups 100-200 ms apart."""
    from cluster.k8sapi.resources import _create_waiting_for_default_account

    missing = errors.forbidden(
        "pods",
        "web",
        'error looking up service account new/default: serviceaccount "default" '
        "not found",
    )
    answers = iter([missing, missing, {"created": True}])

    def create():
        answer = next(answers)
        if isinstance(answer, errors.ApiError):
            raise answer
        return answer

    started = time.monotonic()
    assert _create_waiting_for_default_account(create) == {"created": True}
    assert 0.2 <= time.monotonic() - started < 1.0


def test_other_refusals_and_named_accounts_are_not_retried():
    from cluster.k8sapi.resources import _create_waiting_for_default_account

    calls = []

    def create():
        calls.append(1)
        raise errors.forbidden(
            "pods",
            "web",
            'error looking up service account new/robot: serviceaccount "robot" '
            "not found",
        )

    with pytest.raises(errors.ApiError):
        _create_waiting_for_default_account(create)
    assert len(calls) == 1


def test_a_namespace_that_never_gets_its_account_is_refused_after_the_lookups(
    kube, lab
):
    api_for(lab).create(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lonely"}}
    )
    started = time.monotonic()
    response = kube.post(
        "/api/v1/namespaces/lonely/pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        },
    )
    assert response.status_code == 403
    assert 'serviceaccount "default" not found' in response.json()["message"]
    assert time.monotonic() - started >= 0.9  # nine waits of 100-200 ms
