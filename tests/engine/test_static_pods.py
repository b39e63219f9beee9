"""The control plane's static pods, as `kubectl get pods -n kube-system` shows them on
a kubeadm cluster: mirror pods named `<component>-<node>`."""

from __future__ import annotations

import pytest

from cluster import operations
from cluster.nodes.static_pods import MIRROR
from tests.engine.kit import EVENT, api, component, new_cluster, pods

pytestmark = pytest.mark.django_db
CONTROL_PLANE = (
    "etcd-control-plane",
    "kube-apiserver-control-plane",
    "kube-controller-manager-control-plane",
    "kube-scheduler-control-plane",
)


def _mirrors(cluster) -> dict[str, dict]:
    return {
        p["metadata"]["name"]: p
        for p in pods(cluster, "kube-system")
        if MIRROR in (p["metadata"].get("annotations") or {})
    }


def test_a_new_control_plane_shows_its_static_pods_running():
    cluster = new_cluster()
    operations.fast_forward(cluster, 20)

    mirrors = _mirrors(cluster)
    assert sorted(mirrors) == list(CONTROL_PLANE)
    apiserver = mirrors["kube-apiserver-control-plane"]
    assert apiserver["metadata"]["labels"] == {
        "component": "kube-apiserver",
        "tier": "control-plane",
    }
    assert apiserver["metadata"]["ownerReferences"][0]["kind"] == "Node"
    assert apiserver["spec"]["nodeName"] == "control-plane"
    assert apiserver["spec"]["priority"] == 2000001000  # system-node-critical
    status = apiserver["status"]
    assert status["phase"] == "Running"
    assert status["podIP"] == status["hostIP"]  # hostNetwork
    assert status["containerStatuses"][0]["ready"] is True


def test_a_stopped_component_loses_its_mirror_and_a_crashed_one_backs_off():
    cluster = new_cluster()
    operations.fast_forward(cluster, 20)
    scheduler = component(cluster, "control-plane", "kube-scheduler")
    operations.set_component_state(scheduler, "stopped")
    operations.fast_forward(cluster, 2)
    assert "kube-scheduler-control-plane" not in _mirrors(cluster)

    operations.set_component_state(scheduler, "running")
    operations.set_component_state(
        component(cluster, "control-plane", "kube-controller-manager"), "crashed"
    )
    operations.fast_forward(cluster, 2)
    mirrors = _mirrors(cluster)
    assert "kube-scheduler-control-plane" in mirrors
    crashed = mirrors["kube-controller-manager-control-plane"]["status"]
    waiting = crashed["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] == "CrashLoopBackOff"
    assert crashed["containerStatuses"][0]["ready"] is False


def test_mirror_pods_are_not_run_again_as_ordinary_pods():
    """The kubelet runs the static pod from its manifest; the mirror is only shown."""
    cluster = new_cluster()
    operations.fast_forward(cluster, 60)
    mirrors = _mirrors(cluster)
    kubelet = component(cluster, "control-plane", "kubelet")
    run_by_kubelet = set((kubelet.memory or {}).get("pods", {}))
    assert mirrors and not run_by_kubelet & {
        p["metadata"]["uid"] for p in mirrors.values()
    }
    pulled = [
        e["message"]
        for e in api(cluster).list(EVENT, "kube-system").items
        if e["reason"] == "Pulling"
    ]
    assert not any("kube-apiserver" in m or "etcd" in m for m in pulled)
