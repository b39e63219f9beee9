"""The kubelet's own admission: what it refuses, with the reason and message it writes."""

from __future__ import annotations

import pytest

from cluster.nodes.admission import rejection

NODE = {
    "metadata": {"name": "worker1", "labels": {"disk": "ssd"}},
    "status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "3"}},
}


def pod(cpu="100m", memory="128Mi", **spec) -> dict:
    requests = {"cpu": cpu, "memory": memory}
    return {
        "metadata": {"name": "p"},
        "spec": {
            "containers": [{"name": "c", "resources": {"requests": requests}}],
            **spec,
        },
    }


@pytest.mark.parametrize(
    ("new", "admitted", "expected"),
    [
        pytest.param(pod(), [], None, id="fits"),
        pytest.param(
            pod(cpu="3"),
            [],
            (
                "OutOfcpu",
                "Node didn't have enough resource: cpu, requested: 3000, used: 0, "
                "capacity: 2000",
            ),
            id="cpu",
        ),
        pytest.param(
            pod(cpu="1"),
            [pod(cpu="600m"), pod(cpu="500m")],
            (
                "OutOfcpu",
                "Node didn't have enough resource: cpu, requested: 1000, used: 1100, "
                "capacity: 2000",
            ),
            id="cpu-used-by-admitted-pods",
        ),
        pytest.param(
            pod(memory="5Gi"),
            [],
            (
                "OutOfmemory",
                "Node didn't have enough resource: memory, requested: 5368709120, "
                "used: 0, capacity: 4294967296",
            ),
            id="memory",
        ),
        pytest.param(
            pod(cpu="5", memory="5Gi"),
            [pod(), pod(), pod()],
            (
                "OutOfpods",
                "Node didn't have enough resource: pods, requested: 1, used: 3, "
                "capacity: 3",
            ),
            id="pods-first",
        ),
        pytest.param(
            pod(nodeSelector={"disk": "hdd"}),
            [],
            ("NodeAffinity", "Predicate NodeAffinity failed"),
            id="node-selector",
        ),
        pytest.param(
            pod(cpu="3", nodeSelector={"disk": "hdd"}),
            [],
            (
                "OutOfcpu",
                "Node didn't have enough resource: cpu, requested: 3000, used: 0, "
                "capacity: 2000",
            ),
            id="resources-before-affinity",
        ),
        pytest.param(pod(nodeSelector={"disk": "ssd"}), [], None, id="selector-ok"),
    ],
)
def test_the_kubelet_admits_or_rejects_with_kubernetes_reasons(new, admitted, expected):
    assert rejection(new, admitted, NODE) == expected
