"""kube-proxy's DaemonSet pod: its container is the node's kube-proxy process, and a
hostNetwork pod lives on the node's own address."""

from __future__ import annotations

import pytest

from cluster.nodes import agent_pods, images
from cluster.nodes import runtime as rt
from tests.nodes.nodekit import T0, WORKER, Node, make_pod

PROXY = {"kind": "kube-proxy", "state": "running", "started_at": T0}


def _proxy_pod(**meta):
    pod = make_pod(
        {
            "name": "kube-proxy",
            "image": "registry.k8s.io/kube-proxy:v1.32.4",
            "command": [
                "/usr/local/bin/kube-proxy",
                "--config=/var/lib/kube-proxy/config.conf",
            ],
        },
        name="kube-proxy-x7k2q",
        hostNetwork=True,
    )
    pod["metadata"].update(namespace="kube-system", labels={"k8s-app": "kube-proxy"})
    pod["metadata"].update(meta)
    return pod


@pytest.mark.parametrize(
    ("pod", "container", "components", "state"),
    [
        pytest.param(_proxy_pod(), "kube-proxy", [PROXY], "running", id="running"),
        pytest.param(
            _proxy_pod(),
            "kube-proxy",
            [{**PROXY, "state": "stopped"}],
            "stopped",
            id="stopped",
        ),
        pytest.param(_proxy_pod(), "kube-proxy", None, None, id="processes-unknown"),
        pytest.param(
            _proxy_pod(namespace="default"),
            "kube-proxy",
            [PROXY],
            None,
            id="a-look-alike-outside-kube-system",
        ),
        pytest.param(
            _proxy_pod(), "sidecar", [PROXY], None, id="another-container-of-it"
        ),
        pytest.param(make_pod("web=nginx:1.27"), "web", [PROXY], None, id="ordinary"),
    ],
)
def test_only_kube_proxy_s_own_container_follows_the_process(
    pod, container, components, state
):
    assert agent_pods.process_state(pod, container, components) == state


def test_the_image_s_own_binary_with_flags_runs_as_its_server():
    image = images.lookup_name("registry.k8s.io/kube-proxy:v1.32.4")
    proxy = _proxy_pod()["spec"]["containers"][0]
    assert rt.program(proxy, image).duration is None
    bootcamp = images.lookup_name("gcr.io/google-samples/kubernetes-bootcamp:v1")
    exits = {"command": ["sh", "-c", "exit 3"]}
    assert rt.program(exits, bootcamp).exit_code == 3  # a shell is not the server


def _node_running_proxy():
    node = Node()
    node.extra["static"] = [dict(PROXY)]
    node.step(T0)
    node.add(_proxy_pod())
    node.run_until(T0 + 10, start=T0 + 1)
    return node


def test_a_host_network_pod_gets_the_node_s_address():
    node = _node_running_proxy()
    status = node.pod()["status"]
    assert status["podIP"] == status["hostIP"] == WORKER["internal_ip"]
    assert node.cstatus()["ready"] is True
    assert "uid-1" not in node.state["ipam"]["used"].values()


def test_a_stopped_process_leaves_its_container_terminated_until_it_starts_again():
    node = _node_running_proxy()
    node.extra["static"] = [{**PROXY, "state": "stopped"}]
    node.step(T0 + 20)
    node.run_until(T0 + 600)
    stopped = node.cstatus()
    assert stopped["state"]["terminated"]["exitCode"] == 143
    assert stopped["restartCount"] == 0 and stopped["ready"] is False

    node.extra["static"] = [{**PROXY, "started_at": T0 + 700}]
    node.step(T0 + 700)
    back = node.cstatus()
    assert "running" in back["state"] and back["restartCount"] == 1
    assert back["lastState"]["terminated"]["reason"] == "Error"
    assert [e[1] for e in node.events() if e[0] == 700] == [
        "Pulled",
        "Created",
        "Started",
    ]


def test_a_crashed_process_crash_loops_with_back_off():
    node = _node_running_proxy()
    node.extra["static"] = [{**PROXY, "state": "crashed"}]
    node.step(T0 + 20)
    node.run_until(T0 + 60)
    status = node.cstatus()
    assert status["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert status["lastState"]["terminated"]["exitCode"] == 1
    assert status["restartCount"] >= 2
