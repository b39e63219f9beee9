"""The resourcequota controller keeps each quota's status true to its namespace, and
quota admission holds a Deployment to the quota's pod count."""

from __future__ import annotations

import pytest

from cluster import kinds
from tests.engine.kit import (
    EVENT,
    api,
    deployment,
    event_reasons,
    paused_cluster,
    pods,
    settle,
)

pytestmark = pytest.mark.django_db
QUOTA = kinds.by_kind("ResourceQuota")
DEPLOYMENT = kinds.by_kind("Deployment")


def _status(cluster) -> dict:
    return api(cluster).get(QUOTA, "default", "q").get("status") or {}


def test_status_counts_usage_and_a_deployment_stops_at_the_quota():
    cluster = settle(paused_cluster())
    api(cluster).create(
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "q", "namespace": "default"},
            "spec": {
                "hard": {"pods": "2", "configmaps": "5", "count/deployments.apps": "1"}
            },
        }
    )
    cluster = settle(cluster)
    assert _status(cluster) == {
        "hard": {"pods": "2", "configmaps": "5", "count/deployments.apps": "1"},
        # kube-root-ca.crt is the namespace's one ConfigMap.
        "used": {"pods": "0", "configmaps": "1", "count/deployments.apps": "0"},
    }

    api(cluster).create(deployment("web", 3))
    cluster = settle(cluster, 30)
    assert len(pods(cluster)) == 2
    assert _status(cluster)["used"] == {
        "pods": "2",
        "configmaps": "1",
        "count/deployments.apps": "1",
    }
    assert "FailedCreate" in event_reasons(cluster)
    messages = [e["message"] for e in api(cluster).list(EVENT, "default").items]
    assert any(
        m.startswith('Error creating: pods "web-')
        and m.endswith(
            "is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, "
            "limited: pods=2"
        )
        for m in messages
    ), messages

    api(cluster).delete(DEPLOYMENT, "default", "web")
    cluster = settle(cluster, 60)
    assert not pods(cluster)
    assert _status(cluster)["used"]["pods"] == "0"
