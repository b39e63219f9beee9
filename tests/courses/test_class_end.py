"""After a class's end date its students' clusters are read-only at every entry point:
kubectl's API, the REST API, the pages and `kubectl exec`; reading still works."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape

from cluster import access
from cluster.apiserver import errors
from cluster.k8sapi import auth
from cluster.models import Cluster
from cluster.provision import create_cluster
from playground.courses import services
from playground.courses.access import class_ended_reason
from tests.courses.kit import user

pytestmark = pytest.mark.django_db

ENDED = dt.datetime(2026, 6, 30, 18, 0, tzinfo=dt.UTC)
REASON = 'the class "Kubernetes 101" ended on 2026-06-30 18:00 UTC; its clusters are read-only'
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "late"}}


@pytest.fixture
def ended_class(school):
    """Kubernetes 101 (alice and bob, taught by carol) ended on 30 June 2026."""
    school["course"].ends_at = ENDED
    school["course"].save()
    return school


@pytest.fixture
def alice_cluster(ended_class):
    return create_cluster(ended_class["users"]["owner"], "mine", template="single")


def kube(cluster, who) -> tuple[Client, dict]:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {auth.token_for(cluster, who)}"}
    return Client(), headers


@pytest.mark.parametrize(
    ("ends_in", "read_only"),
    [
        pytest.param(None, False, id="no-end-date"),
        pytest.param(dt.timedelta(days=1), False, id="ends-tomorrow"),
        pytest.param(-dt.timedelta(minutes=1), True, id="ended-a-minute-ago"),
    ],
)
def test_clusters_become_read_only_once_the_end_date_passes(school, ends_in, read_only):
    course, alice = school["course"], school["users"]["owner"]
    course.ends_at = None if ends_in is None else timezone.now() + ends_in
    course.save()
    assert access.can_write(alice, school["cluster"]) is not read_only
    assert bool(class_ended_reason(alice)) is read_only


def test_a_student_still_in_a_running_class_keeps_writing(ended_class):
    alice = ended_class["users"]["owner"]
    services.join_course(alice, ended_class["other"].join_code)
    assert access.can_write(alice, ended_class["cluster"])


def test_users_in_no_class_and_instructors_are_never_frozen(ended_class):
    assert class_ended_reason(user("walk-in")) == ""
    assert class_ended_reason(ended_class["users"]["instructor"]) == ""


def test_the_reason_names_the_class_and_its_end(ended_class):
    with translation.override("en"):
        assert class_ended_reason(ended_class["users"]["owner"]) == REASON


def test_kubectl_writes_are_forbidden_with_the_reason_and_reads_still_work(
    ended_class, alice_cluster
):
    alice = ended_class["users"]["owner"]
    client, headers = kube(alice_cluster, alice)
    base = f"/k8s/clusters/{alice_cluster.slug}/api/v1/namespaces/default/configmaps"
    response = client.post(base, CONFIGMAP, content_type="application/json", **headers)
    assert response.status_code == 403
    body = response.json()
    assert (body["kind"], body["reason"], body["code"]) == ("Status", "Forbidden", 403)
    assert body["message"] == (
        'configmaps is forbidden: User "alice" cannot create resource "configmaps" '
        f'in API group "" in the namespace "default": {REASON}'
    )
    assert client.get(base, **headers).status_code == 200


def test_kubectl_auth_can_i_says_no_with_the_reason(ended_class, alice_cluster):
    alice = ended_class["users"]["owner"]
    client, headers = kube(alice_cluster, alice)
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"verb": "create", "resource": "pods"}},
    }
    response = client.post(
        f"/k8s/clusters/{alice_cluster.slug}/apis/authorization.k8s.io/v1/"
        "selfsubjectaccessreviews",
        review,
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201
    assert response.json()["status"] == {"allowed": False, "reason": REASON}


def test_kubectl_exec_is_forbidden_with_the_reason(ended_class, alice_cluster):
    from cluster.k8sapi import exec_session

    alice = ended_class["users"]["owner"]
    request = exec_session.ExecRequest(
        slug=alice_cluster.slug,
        namespace="kube-system",
        pod="anything",
        container="",
        command=["ls"],
        authorization=f"Bearer {auth.token_for(alice_cluster, alice)}",
    )
    with pytest.raises(errors.ApiError) as refused:
        exec_session.open_session(request)
    assert refused.value.code == 403
    assert refused.value.message.endswith(REASON)


@pytest.mark.parametrize(
    ("method", "tail", "body"),
    [
        (
            "post",
            "apply/",
            {"yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"},
        ),
        ("post", "machines/", {"role": "worker"}),
        ("post", "clock/", {"speed": 10}),
        ("post", "reset/", {}),
        ("delete", "", None),
    ],
)
def test_rest_writes_are_403_with_the_reason(ended_class, method, tail, body):
    client = Client()
    client.force_login(ended_class["users"]["owner"])
    cluster = ended_class["cluster"]
    url = f"/api/clusters/{cluster.slug}/{tail}"
    response = getattr(client, method)(url, body, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["detail"] == REASON
    assert client.get(f"/api/clusters/{cluster.slug}/").status_code == 200
    assert Cluster.objects.filter(pk=cluster.pk).exists()


def test_no_new_cluster_or_lab_after_the_class_ended(ended_class):
    client = Client()
    client.force_login(ended_class["users"]["owner"])
    created = client.post(
        "/api/clusters/", {"name": "new", "template": "empty"}, "application/json"
    )
    assert (created.status_code, created.json()) == (403, {"detail": REASON})
    started = client.post("/api/labs/03-self-healing/start/")
    assert started.status_code == 403
    assert started.json()["detail"] == REASON
    page = client.post("/clusters/", {"name": "new", "template": "empty"})
    assert page.status_code == 400
    assert escape(REASON) in page.content.decode()
    assert list(Cluster.objects.filter(owner=ended_class["users"]["owner"])) == [
        ended_class["cluster"]
    ]
    # The lab's earlier cluster is kept for the record, not replaced.
    ended_class["run"].refresh_from_db()
    assert ended_class["run"].cluster == ended_class["cluster"]


def test_the_pages_show_the_reason_and_refuse_reset_and_delete(ended_class):
    client = Client()
    client.force_login(ended_class["users"]["owner"])
    slug = ended_class["cluster"].slug
    page = client.get(f"/clusters/{slug}/").content.decode()
    assert 'data-writable="0"' in page
    assert escape(REASON) in page
    assert escape(REASON) in client.get("/clusters/").content.decode()
    for action in ("reset", "delete"):
        response = client.post(f"/clusters/{slug}/{action}/", follow=True)
        assert escape(REASON) in response.content.decode()
    assert Cluster.objects.filter(slug=slug).exists()


def test_the_instructor_still_reads_and_the_page_shows_no_reason_to_them(
    ended_class,
):
    client = Client()
    client.force_login(ended_class["users"]["instructor"])
    page = client.get(f"/clusters/{ended_class['cluster'].slug}/")
    assert page.status_code == 200
    assert 'data-writable="0"' in page.content.decode()
    assert "ended on" not in page.content.decode()


def test_the_reason_is_translated_on_spanish_pages(ended_class):
    client = Client()
    client.force_login(ended_class["users"]["owner"])
    page = client.get(
        f"/clusters/{ended_class['cluster'].slug}/", HTTP_ACCEPT_LANGUAGE="es"
    )
    assert "terminó el 2026-06-30 18:00 UTC" in page.content.decode()


def test_the_lab_page_says_the_class_ended(ended_class):
    client = Client()
    client.force_login(ended_class["users"]["owner"])
    page = client.get("/labs/03-self-healing/").content.decode()
    assert escape(REASON) in page
    client.force_login(ended_class["users"]["instructor"])
    assert "ended on" not in client.get("/labs/03-self-healing/").content.decode()


ASKED: list = []


def counting_check(owner) -> str:
    ASKED.append(owner.pk)
    return class_ended_reason(owner)


def test_only_writes_ask_whether_the_class_ended(ended_class, alice_cluster, settings):
    """Reads are most of kubectl's traffic; they skip the class lookup entirely."""
    from cluster import kinds

    settings.KUBELAB_READ_ONLY_CHECK = f"{__name__}.counting_check"
    ASKED.clear()
    api = access.api_for(alice_cluster, ended_class["users"]["owner"])
    api.list(kinds.by_kind("ConfigMap"), "default")
    api.get(kinds.by_kind("Namespace"), None, "default")
    assert ASKED == []
    for _ in range(2):
        with pytest.raises(errors.ApiError, match="ended on"):
            api.create(CONFIGMAP)
    assert len(ASKED) == 1  # asked once per request, on its first write
