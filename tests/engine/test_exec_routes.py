"""`kubectl exec -- curl` from a pod routes by its node's kube-proxy rules as they are."""

from __future__ import annotations

import pytest

from cluster import operations
from cluster.k8sapi import auth, exec_session
from cluster.nodes import exec_shell
from tests.engine.kit import api, component, deployment, new_cluster, pods

pytestmark = pytest.mark.django_db


def _service(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
    }


def _curl_from(cluster, pod: dict, url: str) -> exec_shell.ExecResult:
    owner = cluster.owner
    request = exec_session.ExecRequest(
        slug=cluster.slug,
        namespace="default",
        pod=pod["metadata"]["name"],
        container="",
        command=["curl", "-sS", url],
        authorization=f"Bearer {auth.token_for(cluster, owner)}",
    )
    return exec_shell.run(exec_session.open_session(request), request.command)


def test_a_service_made_after_a_kube_proxy_stopped_is_unreachable_from_that_node():
    cluster = new_cluster()
    api(cluster).create(deployment("web", 4))
    operations.fast_forward(cluster, 60)
    operations.set_component_state(
        component(cluster, "worker1", "kube-proxy"), "stopped"
    )
    api(cluster).create(_service("late"))
    operations.fast_forward(cluster, 10)

    by_node = {p["spec"]["nodeName"]: p for p in pods(cluster, label="app=web")}
    assert _curl_from(cluster, by_node["worker2"], "http://late").exit_code == 0
    stale = _curl_from(cluster, by_node["worker1"], "http://late")
    # No rule for the new ClusterIP on worker1: the SYN goes nowhere, as on a real node.
    assert (stale.exit_code, stale.stderr) == (
        28,
        "curl: (28) Failed to connect to late port 80 after 130000 ms: "
        "Couldn't connect to server\n",
    )
