"""autoscaling/v1 HorizontalPodAutoscalers over the stored autoscaling/v2 ones."""

from __future__ import annotations

import pytest

from cluster.k8sapi import hpa_conversion

V1 = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers"
V2 = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers"


def v1_hpa(name="web", cpu=50):
    spec = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
        "minReplicas": 1,
        "maxReplicas": 5,
    }
    if cpu is not None:
        spec["targetCPUUtilizationPercentage"] = cpu
    return {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": spec,
    }


def _cpu_metric(utilization):
    return {
        "type": "Resource",
        "resource": {
            "name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": utilization},
        },
    }


def test_kubectl_autoscale_creates_through_v1_and_reads_as_v2(kube):
    created = kube.post(f"{V1}?fieldManager=kubectl-autoscale", v1_hpa())
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["apiVersion"], body["spec"]["targetCPUUtilizationPercentage"]) == (
        "autoscaling/v1",
        50,
    )
    stored = kube.get(f"{V2}/web").json()
    assert stored["spec"]["metrics"] == [_cpu_metric(50)]
    manager = stored["metadata"]["managedFields"][0]
    assert (manager["manager"], manager["apiVersion"]) == (
        "kubectl-autoscale",
        "autoscaling/v1",
    )


def test_a_v1_hpa_without_a_target_gets_the_default_80_percent(kube):
    kube.post(V1, v1_hpa("bare", cpu=None))
    assert kube.get(f"{V2}/bare").json()["spec"]["metrics"] == [_cpu_metric(80)]
    assert kube.get(f"{V1}/bare").json()["spec"]["targetCPUUtilizationPercentage"] == 80


def test_a_v1_patch_changes_the_cpu_target_and_keeps_other_v2_metrics(kube):
    memory = {
        "type": "Resource",
        "resource": {
            "name": "memory",
            "target": {"type": "AverageValue", "averageValue": "100Mi"},
        },
    }
    v2 = hpa_conversion.to_v2(v1_hpa("mixed"))
    v2["spec"]["metrics"] = [memory, _cpu_metric(50)]
    assert kube.post(V2, v2).status_code == 201
    patched = kube.patch(
        f"{V1}/mixed",
        {"spec": {"targetCPUUtilizationPercentage": 70}},
        "application/merge-patch+json",
    )
    assert patched.status_code == 200, patched.content
    assert kube.get(f"{V2}/mixed").json()["spec"]["metrics"] == [
        memory,
        _cpu_metric(70),
    ]


def test_v1_lists_and_deletes(kube):
    kube.post(V1, v1_hpa("listed"))
    listed = kube.get(V1).json()
    assert listed["kind"] == "HorizontalPodAutoscalerList"
    assert [i["apiVersion"] for i in listed["items"]] == ["autoscaling/v1"]
    assert kube.delete(f"{V1}/listed").status_code == 200
    assert kube.get(f"{V2}/listed").status_code == 404


@pytest.mark.parametrize(
    "metric",
    [
        pytest.param(_cpu_metric(60), id="cpu-utilization"),
        pytest.param(
            {
                "type": "Pods",
                "pods": {
                    "metric": {"name": "rps"},
                    "target": {"type": "AverageValue", "averageValue": "10"},
                },
            },
            id="pods",
        ),
        pytest.param(
            {
                "type": "External",
                "external": {
                    "metric": {"name": "queue"},
                    "target": {"type": "Value", "value": "30"},
                },
            },
            id="external",
        ),
    ],
)
def test_a_v2_metric_survives_a_round_trip_through_v1(metric):
    """What v1 cannot hold travels in the autoscaling.alpha annotation and comes back."""
    v2 = hpa_conversion.to_v2(v1_hpa(cpu=None))
    v2["spec"]["metrics"] = [metric]
    assert hpa_conversion.to_v2(hpa_conversion.to_v1(v2))["spec"]["metrics"] == [metric]


def test_the_v1_view_carries_status_and_conditions():
    v2 = hpa_conversion.to_v2(v1_hpa())
    condition = {
        "type": "AbleToScale",
        "status": "True",
        "lastTransitionTime": "2025-01-01T00:00:00Z",
        "reason": "ReadyForNewScale",
        "message": "recommended size matches current size",
    }
    v2["status"] = {
        "currentReplicas": 2,
        "desiredReplicas": 2,
        "currentMetrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "current": {"averageUtilization": 12, "averageValue": "12m"},
                },
            }
        ],
        "conditions": [condition],
    }
    v1 = hpa_conversion.to_v1(v2)
    assert v1["status"] == {
        "currentReplicas": 2,
        "desiredReplicas": 2,
        "currentCPUUtilizationPercentage": 12,
    }
    annotations = v1["metadata"]["annotations"]
    assert annotations[hpa_conversion.CONDITIONS] == (
        '[{"type":"AbleToScale","status":"True","lastTransitionTime":'
        '"2025-01-01T00:00:00Z","reason":"ReadyForNewScale",'
        '"message":"recommended size matches current size"}]'
    )
    assert annotations[hpa_conversion.CURRENT_METRICS] == (
        '[{"type":"Resource","resource":{"name":"cpu",'
        '"currentAverageUtilization":12,"currentAverageValue":"12m"}}]'
    )
