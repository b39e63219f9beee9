"""Personas and a provisioned cluster for the Kubernetes HTTP API tests.

alice owns the cluster; bob is another student; carol (a superuser) may only read it.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from cluster.k8sapi import auth
from cluster.provision import create_cluster

from . import live

TABLE_ACCEPT = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,"
    "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)


ALICE, BOB = "k8sapi-alice", "k8sapi-bob"
LAB_SLUG = f"{ALICE}-lab"


@pytest.fixture(scope="package")
def _cleanup_provisioned(django_db_setup, django_db_blocker):
    """Remove the shared personas after this package, so no later test meets them."""
    yield
    with django_db_blocker.unblock():
        get_user_model().objects.filter(username__in=[ALICE, BOB]).delete()


@pytest.fixture
def _provisioned(_cleanup_provisioned, django_db_blocker):
    """alice, bob and alice's cluster, committed once and shared by the tests.

    Provisioning runs a tick and costs seconds, so it is done outside the per-test
    transaction and only redone when a transactional test has flushed the database.
    """
    from cluster.models import Cluster

    with django_db_blocker.unblock():
        users = get_user_model().objects
        if not Cluster.objects.filter(slug=LAB_SLUG).exists():
            users.filter(username__in=[ALICE, BOB]).delete()
            alice = users.create_user(ALICE, password="pw-alice-1")
            users.create_user(BOB, password="pw-bob-1")
            create_cluster(alice, "lab")


@pytest.fixture
def alice(_provisioned, db):
    return get_user_model().objects.get(username=ALICE)


@pytest.fixture
def bob(_provisioned, db):
    return get_user_model().objects.get(username=BOB)


@pytest.fixture
def lab(_provisioned, db):
    from cluster.models import Cluster

    return Cluster.objects.get(slug=LAB_SLUG)


class Kube:
    """A Django test client speaking to one cluster's Kubernetes API with a token."""

    def __init__(self, client, cluster, token: str | None):
        self.client, self.cluster, self.token = client, cluster, token
        self.prefix = f"/k8s/clusters/{cluster.slug}"

    def _headers(self, headers):
        extra = {}
        if self.token is not None:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        for key, value in (headers or {}).items():
            extra["HTTP_" + key.upper().replace("-", "_")] = value
        return extra

    def request(
        self, method, path, body=None, content_type="application/json", **headers
    ):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        kwargs = {}
        if body is not None:
            kwargs = {"data": body, "content_type": content_type}
        call = getattr(self.client, method.lower())
        return call(self.prefix + path, **kwargs, **self._headers(headers))

    def get(self, path, **headers):
        return self.request("GET", path, **headers)

    def post(self, path, body, content_type="application/json", **headers):
        return self.request("POST", path, body, content_type, **headers)

    def put(self, path, body, **headers):
        return self.request("PUT", path, body, **headers)

    def patch(self, path, body, content_type, **headers):
        return self.request("PATCH", path, body, content_type, **headers)

    def delete(self, path, body=None, **headers):
        return self.request("DELETE", path, body, **headers)


@pytest.fixture
def kube(client, lab, alice):
    return Kube(client, lab, auth.token_for(lab, alice))


@pytest.fixture
def kube_as(client, lab):
    def make(user=None, token=None):
        if token is None and user is not None:
            token = auth.token_for(lab, user)
        return Kube(client, lab, token)

    return make


@pytest.fixture(scope="module")
def kubectl(live_lab, kubectl_path):
    """Real kubectl against alice's cluster in the package's live lab."""
    return live.kubectl_runner(live_lab, kubectl_path)


@pytest.fixture(scope="package")
def live_lab(redis_server):
    """One lab served by daphne over TLS, with a Celery worker, for this package's
    end-to-end tests (kubectl and the Python client)."""
    running = live.start(with_worker=True)
    yield running
    live.stop(running)
