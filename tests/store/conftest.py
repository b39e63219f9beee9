"""Store fixtures: two clusters owned by alice, and plain object builders."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from cluster import kinds
from cluster.models import Cluster

POD = kinds.by_kind("Pod")
DEPLOYMENT = kinds.by_kind("Deployment")
NAMESPACE = kinds.by_kind("Namespace")


def make_cluster(owner, name: str) -> Cluster:
    return Cluster.objects.create(owner=owner, name=name, slug=f"{owner}-{name}")


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice")


@pytest.fixture
def cluster(alice) -> int:
    return make_cluster(alice, "lab").pk


@pytest.fixture
def other_cluster(alice) -> int:
    return make_cluster(alice, "other").pk


def pod(
    name: str,
    namespace: str = "default",
    labels: dict | None = None,
    node: str = "",
    phase: str = "Pending",
) -> dict:
    """A pod as the store sees it: no defaulting, only what a test asks for."""
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}"},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
        "status": {"phase": phase},
    }
    if labels:
        obj["metadata"]["labels"] = labels
    if node:
        obj["spec"]["nodeName"] = node
    return obj


def deployment(name: str, replicas: int = 1) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
        "spec": {"replicas": replicas},
    }
