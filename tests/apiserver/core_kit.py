"""Builders for the ApiServer integration tests: a cluster with namespaces, bare objects.

Objects are created through the ApiServer as the system caller, so each fixture goes
through the same admission chain as the object under test.
"""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model

from cluster import kinds, store
from cluster.apiserver import subresources
from cluster.apiserver.core import ApiServer
from cluster.models import Cluster

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z
POD = kinds.by_kind("Pod")
DEPLOYMENT = kinds.by_kind("Deployment")
SERVICE = kinds.by_kind("Service")
NAMESPACE = kinds.by_kind("Namespace")
CONFIGMAP = kinds.by_kind("ConfigMap")


def new_cluster(owner_name: str = "alice", namespaces=("default",)) -> int:
    """A cluster whose namespaces exist with their `default` ServiceAccount."""
    owner = get_user_model().objects.create_user(owner_name)
    cluster = Cluster.objects.create(owner=owner, name="lab", slug=f"{owner_name}-lab")
    api = system_api(cluster.pk)
    for ns in namespaces:
        add_namespace(api, ns)
    return cluster.pk


def system_api(cluster_id: int, seed: int = 1, **kwargs) -> ApiServer:
    return ApiServer(cluster_id, now=NOW, rng=random.Random(seed), **kwargs)


def add_namespace(api: ApiServer, name: str) -> None:
    api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    api.create(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": name},
        }
    )


def revision(api: ApiServer) -> int:
    return store.current_revision(api.cluster_id)


def bare_pod(name: str = "web", image: str = "nginx", **meta) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, **meta},
        "spec": {"containers": [{"name": "app", "image": image}]},
    }


def bare_deployment(name: str = "web", replicas: int | None = None) -> dict:
    spec: dict = {
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": spec,
    }


def bare_service(name: str = "web", type_: str = "ClusterIP", **spec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "type": type_,
            "selector": {"app": name},
            "ports": [{"port": 80}],
            **spec,
        },
    }


def bind(api: ApiServer, name: str, node: str = "worker-1") -> dict:
    """POST pods/<name>/binding, as the scheduler does; returns the bound pod."""
    subresources.bind(api, "default", name, node)
    return api.get(POD, "default", name)
