"""kube-proxy as kubeadm runs it: a DaemonSet pod on every node, on the node's own
network, whose container is the node's kube-proxy process."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from cluster import kinds, operations
from cluster.k8sapi import auth
from cluster.nodes import agent_pods
from tests.engine.kit import (
    NODE,
    POD,
    api,
    component,
    new_cluster,
    nodes,
    pods,
    settle,
    step_until,
)

pytestmark = pytest.mark.django_db
NAME = re.compile(r"^kube-proxy-[a-z0-9]{5}$")
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def _proxies(cluster) -> dict[str, dict]:
    """The kube-proxy pods by node, ignoring ones being deleted."""
    return {
        p["spec"]["nodeName"]: p
        for p in pods(cluster, "kube-system", "k8s-app=kube-proxy")
        if not p["metadata"].get("deletionTimestamp")
    }


def _internal_ip(node: dict) -> str:
    return next(
        a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP"
    )


def _ready(pod: dict) -> str:
    return next(
        c["status"] for c in pod["status"]["conditions"] if c["type"] == "Ready"
    )


def test_every_node_runs_one_kube_proxy_pod_on_its_own_address():
    cluster = new_cluster()
    operations.fast_forward(cluster, 20)

    proxies = _proxies(cluster)
    by_node = nodes(cluster)
    assert sorted(proxies) == sorted(by_node) == ["control-plane", "worker1", "worker2"]
    daemonset = api(cluster).get(
        kinds.by_kind("DaemonSet"), "kube-system", "kube-proxy"
    )
    for name, pod in proxies.items():
        assert NAME.match(pod["metadata"]["name"])
        assert (
            pod["metadata"]["ownerReferences"][0]["uid"]
            == (daemonset["metadata"]["uid"])
        )
        assert pod["spec"]["hostNetwork"] is True
        assert pod["spec"]["priority"] == 2000001000  # system-node-critical
        assert pod["spec"]["containers"][0]["image"] == (
            "registry.k8s.io/kube-proxy:v1.32.4"
        )
        status = pod["status"]
        assert status["phase"] == "Running" and _ready(pod) == "True"
        assert status["podIP"] == status["hostIP"] == _internal_ip(by_node[name])
    assert daemonset["status"]["numberReady"] == 3


def test_a_new_worker_gets_its_kube_proxy_pod():
    cluster = new_cluster()
    operations.fast_forward(cluster, 20)
    operations.add_machine(cluster, "worker")
    operations.fast_forward(cluster, 30)

    proxies = _proxies(cluster)
    assert sorted(proxies) == ["control-plane", "worker1", "worker2", "worker3"]
    assert proxies["worker3"]["status"]["podIP"] == _internal_ip(
        nodes(cluster)["worker3"]
    )


def test_stopping_kube_proxy_terminates_its_container_and_starting_brings_it_back():
    cluster = new_cluster()
    operations.fast_forward(cluster, 20)
    proxy = component(cluster, "worker1", "kube-proxy")

    operations.set_component_state(proxy, "stopped")
    settle(cluster)
    stopped = _proxies(cluster)["worker1"]
    [status] = stopped["status"]["containerStatuses"]
    assert _ready(stopped) == "False" and status["ready"] is False
    assert status["state"]["terminated"]["exitCode"] == agent_pods.STOPPED_EXIT_CODE
    assert status["state"]["terminated"]["reason"] == "Error"
    assert _ready(_proxies(cluster)["worker2"]) == "True"
    operations.fast_forward(cluster, 120)  # nothing restarts it while it is stopped
    [status] = _proxies(cluster)["worker1"]["status"]["containerStatuses"]
    assert "terminated" in status["state"] and status["restartCount"] == 0

    operations.set_component_state(proxy, "running")
    settle(cluster)
    started = _proxies(cluster)["worker1"]
    [status] = started["status"]["containerStatuses"]
    assert _ready(started) == "True" and "running" in status["state"]
    assert status["restartCount"] == 1
    assert status["lastState"]["terminated"]["exitCode"] == 143
    assert started["metadata"]["uid"] == stopped["metadata"]["uid"]


def test_a_crashed_kube_proxy_backs_off_like_any_crashing_container():
    cluster = new_cluster()
    operations.fast_forward(cluster, 20)
    operations.set_component_state(
        component(cluster, "worker2", "kube-proxy"), "crashed"
    )

    def backing_off():
        [status] = _proxies(cluster)["worker2"]["status"]["containerStatuses"]
        waiting = status["state"].get("waiting") or {}
        return waiting.get("reason") == "CrashLoopBackOff" and status

    status = step_until(cluster, backing_off)
    assert status["restartCount"] >= 1 and status["ready"] is False


def test_a_deleted_kube_proxy_pod_is_replaced_by_its_daemonset():
    cluster = new_cluster()
    operations.fast_forward(cluster, 20)
    old = _proxies(cluster)["worker1"]["metadata"]["name"]

    api(cluster).delete(POD, "kube-system", old)
    operations.fast_forward(cluster, 40)

    new = _proxies(cluster)["worker1"]
    assert new["metadata"]["name"] != old and NAME.match(new["metadata"]["name"])
    assert new["status"]["phase"] == "Running"


def test_kubectl_get_pods_in_kube_system_lists_kubeadm_s_pods():
    cluster = new_cluster()
    operations.fast_forward(cluster, 60)
    token = auth.token_for(cluster, cluster.owner)

    response = Client().get(
        f"/k8s/clusters/{cluster.slug}/api/v1/namespaces/kube-system/pods",
        HTTP_ACCEPT=TABLE,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 200
    table = response.json()
    columns = [c["name"] for c in table["columnDefinitions"]][:3]
    assert columns == ["Name", "Ready", "Status"]
    rows = {r["cells"][0]: r["cells"][1:3] for r in table["rows"]}
    proxies = sorted(name for name in rows if name.startswith("kube-proxy"))
    assert len(proxies) == len(api(cluster).list(NODE).items) == 3
    assert all(
        NAME.match(name) and rows[name] == ["1/1", "Running"] for name in proxies
    )
    assert {
        "etcd-control-plane",
        "kube-apiserver-control-plane",
        "kube-controller-manager-control-plane",
        "kube-scheduler-control-plane",
    } <= set(rows)
    assert sum(name.startswith("coredns-") for name in rows) == 2
    assert len(rows) == 4 + 2 + 3
