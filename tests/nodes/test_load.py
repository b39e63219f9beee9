"""Load generator pods: what rate their loops send, and which pods it reaches."""

from __future__ import annotations

import pytest

from cluster.nodes import images, load
from cluster.nodes import runtime as rt


@pytest.mark.parametrize(
    ("script", "period", "urls"),
    [
        pytest.param(
            "while sleep 0.01; do wget -q -O- http://php-apache; done",
            0.02,
            ["http://php-apache"],
            id="hpa-walkthrough",
        ),
        pytest.param(
            "while true; do curl -s web.shop.svc:8080/; sleep 1; done",
            1.01,
            ["web.shop.svc:8080/"],
            id="curl-with-sleep",
        ),
        pytest.param(
            "while true; do echo hi; sleep 5; done", 5.0, [], id="no-requests"
        ),
    ],
)
def test_a_shell_loop_requests_its_urls_once_a_period(script, period, urls):
    busybox = images.lookup_name("busybox:1.36")
    prog = rt.program({"command": ["/bin/sh", "-c", script]}, busybox)
    assert prog.loop[0] == pytest.approx(period)
    assert prog.requests == urls


def _pod(name, uid, command=None, running=True, namespace="default"):
    container = {"name": "c", "image": "busybox:1.36" if command else "nginx:1.27"}
    if command:
        container["command"] = ["/bin/sh", "-c", command]
    state = {"running": {}} if running else {"waiting": {"reason": "ContainerCreating"}}
    return {
        "metadata": {"name": name, "namespace": namespace, "uid": uid},
        "spec": {"containers": [container]},
        "status": {"containerStatuses": [{"name": "c", "state": state}]},
    }


SERVICE = {
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {"clusterIP": "10.96.0.50"},
}


def _slice(*ready_and_names):
    return {
        "metadata": {
            "namespace": "default",
            "labels": {"kubernetes.io/service-name": "web"},
        },
        "endpoints": [
            {
                "conditions": {"ready": ready},
                "targetRef": {"kind": "Pod", "namespace": "default", "name": name},
            }
            for ready, name in ready_and_names
        ],
    }


LOOP = "while sleep 0.01; do wget -q -O- http://{host}; done"


@pytest.mark.parametrize(
    ("host", "generator_running", "expected"),
    [
        pytest.param("web", True, {"u-a": 25.0, "u-b": 25.0}, id="short-name"),
        pytest.param("web.default.svc.cluster.local", True, {"u-a": 25.0, "u-b": 25.0}),
        pytest.param("10.96.0.50", True, {"u-a": 25.0, "u-b": 25.0}, id="cluster-ip"),
        pytest.param("web.other", True, {}, id="another-namespace"),
        pytest.param("web", False, {}, id="generator-not-running"),
    ],
)
def test_generators_load_the_ready_endpoints_evenly(host, generator_running, expected):
    pods = [
        _pod("web-a", "u-a"),
        _pod("web-b", "u-b"),
        _pod("web-c", "u-c"),  # not ready: kube-proxy sends it nothing
        _pod("load", "u-load", LOOP.format(host=host), running=generator_running),
    ]
    slices = [_slice((True, "web-a"), (True, "web-b"), (False, "web-c"))]
    rates = load.offered(pods, [SERVICE], slices)
    assert rates == pytest.approx(expected)
