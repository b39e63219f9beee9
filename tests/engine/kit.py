"""Helpers for engine tests: a cluster, its objects, and reading them back."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from cluster import kinds
from cluster.access import api_for
from cluster.models import Component
from cluster.provision import create_cluster

DEPLOYMENT = kinds.by_kind("Deployment")
POD = kinds.by_kind("Pod")
NODE = kinds.by_kind("Node")
EVENT = kinds.by_kind("Event")


def new_cluster(template: str = "single", username: str = "student"):
    user, _ = get_user_model().objects.get_or_create(username=username)
    return create_cluster(user, f"c-{template}", template=template, seed=7)


def api(cluster):
    cluster.refresh_from_db()
    return api_for(cluster)


def pods(cluster, namespace="default", label=""):
    return api(cluster).list(POD, namespace, label_selector=label).items


def nodes(cluster) -> dict[str, dict]:
    return {n["metadata"]["name"]: n for n in api(cluster).list(NODE).items}


def ready(node: dict) -> str:
    return next(
        c["status"] for c in node["status"]["conditions"] if c["type"] == "Ready"
    )


def component(cluster, machine: str, kind: str) -> Component:
    return Component.objects.get(
        machine__cluster=cluster, machine__name=machine, kind=kind
    )


def deployment(name: str, replicas: int, image: str = "nginx:1.27") -> dict:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
        },
    }


def phases(items) -> list[str]:
    return sorted(p["status"].get("phase", "") for p in items)


def event_reasons(cluster, namespace="default") -> list[str]:
    return [e["reason"] for e in api(cluster).list(EVENT, namespace).items]
