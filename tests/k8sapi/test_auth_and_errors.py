"""Who may call a cluster's Kubernetes API, and how refusals look (always a Status)."""

from __future__ import annotations

import pytest

from cluster.k8sapi import auth
from cluster.k8sapi.responses import JSON

from .conftest import Kube


def assert_status(response, code: int, reason: str):
    assert response.status_code == code, response.content
    assert response["Content-Type"] == JSON
    body = response.json()
    assert body["kind"] == "Status"
    assert body["status"] == "Failure"
    assert body["code"] == code
    assert body.get("reason", "") == reason
    return body


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(None, id="no-token"),
        pytest.param("", id="empty"),
        pytest.param("kl1.1.1.deadbeef", id="forged"),
        pytest.param("not-a-token", id="garbage"),
        pytest.param("kl1.x.y.z", id="non-numeric"),
    ],
)
def test_a_missing_or_bad_token_is_401(client, lab, token):
    response = Kube(client, lab, token).get("/api/v1/namespaces")
    body = assert_status(response, 401, "Unauthorized")
    assert body["message"] == "Unauthorized"


def test_another_students_cluster_is_403(kube_as, bob):
    body = assert_status(kube_as(bob).get("/api/v1/pods"), 403, "Forbidden")
    assert "belongs to another user" in body["message"]


def test_rotating_revokes_the_old_token(kube_as, lab, alice):
    old = auth.token_for(lab, alice)
    new = auth.rotate(lab, alice)
    assert new != old
    assert_status(kube_as(token=old).get("/api/v1/pods"), 401, "Unauthorized")
    assert kube_as(token=new).get("/api/v1/pods").status_code == 200


def test_the_token_is_stable_until_rotated(lab, alice):
    assert auth.token_for(lab, alice) == auth.token_for(lab, alice)


def test_an_unknown_cluster_is_404_for_a_valid_user(client, lab, alice):
    kube = Kube(client, lab, auth.token_for(lab, alice))
    kube.prefix = "/k8s/clusters/no-such-cluster"
    assert_status(kube.get("/api/v1/pods"), 404, "NotFound")


@pytest.mark.parametrize(
    ("method", "path", "code", "reason"),
    [
        ("GET", "/api/v1/widgets", 404, "NotFound"),
        ("GET", "/apis/nope.io/v1", 404, "NotFound"),
        ("GET", "/apis/apps/v9/deployments", 404, "NotFound"),
        ("GET", "/api/v1/namespaces/default/pods/x/frobnicate", 404, "NotFound"),
        ("GET", "/nothing/here", 404, "NotFound"),
        ("GET", "/api/v1/nodes/n1/../../x", 404, "NotFound"),
        ("POST", "/api/v1/namespaces/default/pods/web", 405, "MethodNotAllowed"),
        ("PUT", "/api/v1/namespaces/default/pods", 405, "MethodNotAllowed"),
        ("GET", "/api/v1/namespaces/default/pods/web", 404, "NotFound"),
    ],
)
def test_unserved_urls_and_methods_answer_with_a_status(
    kube, method, path, code, reason
):
    assert_status(kube.request(method, path), code, reason)


def test_an_unacceptable_accept_header_is_406(kube):
    response = kube.get("/api/v1/pods", Accept="text/html")
    assert_status(response, 406, "NotAcceptable")


def test_an_unknown_body_media_type_is_415(kube):
    response = kube.post("/api/v1/namespaces/default/configmaps", "a=b", "text/plain")
    assert_status(response, 415, "UnsupportedMediaType")


def test_a_body_over_the_limit_is_413(kube, settings):
    settings.K8S_MAX_BODY_BYTES = 100
    body = {"metadata": {"name": "big"}, "data": {"k": "x" * 500}}
    response = kube.post("/api/v1/namespaces/default/configmaps", body)
    assert_status(response, 413, "RequestEntityTooLarge")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("{not json", id="broken-json"),
        pytest.param("[1,2]", id="a-list"),
        pytest.param('"text"', id="a-string"),
        pytest.param("null", id="null"),
    ],
)
def test_a_malformed_body_is_400(kube, body):
    response = kube.post("/api/v1/namespaces/default/configmaps", body)
    assert_status(response, 400, "BadRequest")


def test_an_invalid_object_is_422_with_causes(kube):
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": -1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
        },
    }
    response = kube.post("/apis/apps/v1/namespaces/default/deployments", body)
    status = assert_status(response, 422, "Invalid")
    assert status["details"]["kind"] == "Deployment"
    assert status["details"]["causes"][0]["field"] == "spec.replicas"


def test_an_unknown_field_is_rejected_under_strict_validation(kube):
    body = {"metadata": {"name": "c"}, "data": {}, "bogus": 1}
    response = kube.post(
        "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", body
    )
    status = assert_status(response, 400, "BadRequest")
    # A create's body is decoded as the kind, so the error says so, as kubectl shows.
    assert status["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: '
        'strict decoding error: unknown field "bogus"'
    )


def test_a_patch_with_an_unknown_field_gets_the_bare_strict_error(kube):
    kube.post("/api/v1/namespaces/default/configmaps", {"metadata": {"name": "c"}})
    response = kube.patch(
        "/api/v1/namespaces/default/configmaps/c?fieldValidation=Strict",
        {"bogus": 1},
        content_type="application/merge-patch+json",
    )
    status = assert_status(response, 400, "BadRequest")
    assert status["message"] == 'strict decoding error: unknown field "bogus"'


def test_an_unknown_field_is_a_warning_by_default(kube):
    body = {"metadata": {"name": "c"}, "data": {}, "bogus": 1}
    response = kube.post("/api/v1/namespaces/default/configmaps", body)
    assert response.status_code == 201
    assert response["Warning"] == '299 - "unknown field \\"bogus\\""'


def test_a_kind_that_does_not_match_the_url_is_400(kube):
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "c"}}
    response = kube.post("/api/v1/namespaces/default/configmaps", body)
    assert_status(response, 400, "BadRequest")


def test_an_instructor_reads_but_cannot_write(client, lab, db, django_user_model):
    carol = django_user_model.objects.create_user("carol", is_superuser=True)
    kube = Kube(client, lab, auth.token_for(lab, carol))
    assert kube.get("/api/v1/namespaces").status_code == 200
    response = kube.post(
        "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "c"}}
    )
    body = assert_status(response, 403, "Forbidden")
    assert "read-only" in body["message"]


def test_impersonation_is_forbidden(kube):
    response = kube.get("/api/v1/pods", **{"Impersonate-User": "admin"})
    assert_status(response, 403, "Forbidden")


def test_no_url_redirects(kube):
    for path in ("/api/v1/namespaces/default/pods/", "/apis/apps/v1/", "/version/"):
        assert kube.get(path).status_code in (200, 404)
