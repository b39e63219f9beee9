"""ResourceQuota controller: status.hard mirrors spec.hard and status.used is what the
namespace uses of each, formatted as resource.Quantity prints it."""

import random
from decimal import Decimal

import pytest

from cluster.actions import Patch, Ref
from cluster.controllers import resourcequota as rq_ctl
from cluster.objects import quantity

NOW = 1_767_225_600.0
QUOTA_REF = Ref("ResourceQuota", "default", "q", "v1", "q-uid")


def quota(hard, status=None, scopes=None, namespace="default"):
    obj = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "q", "namespace": namespace, "uid": "q-uid"},
        "spec": {"hard": hard},
    }
    if scopes:
        obj["spec"]["scopes"] = scopes
    if status is not None:
        obj["status"] = status
    return obj


def pod(
    name, requests=None, limits=None, phase="Running", namespace="default", **extra
):
    container = {"name": "c", "image": "nginx"}
    if requests or limits:
        container["resources"] = {
            k: v for k, v in (("requests", requests), ("limits", limits)) if v
        }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, **extra.pop("meta", {})},
        "spec": {"containers": [container], **extra},
        "status": {"phase": phase},
    }


def obj(kind, name, namespace="default", api_version="v1", **fields):
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        **fields,
    }


def used_of(view, hard, **kw):
    return rq_ctl.quota_status(quota(hard, **kw), view, NOW)["used"]


@pytest.mark.parametrize(
    ("value", "binary", "text"),
    [
        pytest.param(Decimal("0"), False, "0", id="zero"),
        pytest.param(Decimal("0.1"), False, "100m", id="millicores"),
        pytest.param(Decimal("1.5"), False, "1500m", id="fractional-cores"),
        pytest.param(Decimal("2"), False, "2", id="whole-cores"),
        pytest.param(Decimal("2000"), False, "2k", id="decimal-suffix"),
        pytest.param(Decimal(256 * 2**20), True, "256Mi", id="binary"),
        pytest.param(Decimal(2**30), True, "1Gi", id="binary-up"),
        pytest.param(Decimal(1536), True, "1536", id="binary-not-divisible"),
        pytest.param(Decimal(1000), True, "1k", id="binary-under-1024"),
    ],
)
def test_quantities_print_as_kubernetes_prints_them(value, binary, text):
    assert quantity.to_string(value, binary) == text


def test_counts_only_non_terminal_pods_of_the_namespace():
    """Succeeded, Failed, other namespaces' and past-grace deleted pods do not count."""
    view = {
        "Pod": [
            pod("a"),
            pod("b", phase="Pending"),
            pod("done", phase="Succeeded"),
            pod("failed", phase="Failed"),
            pod("elsewhere", namespace="other"),
            pod(
                "gone",
                meta={
                    "deletionTimestamp": "2026-01-01T00:00:00Z",
                    "deletionGracePeriodSeconds": 30,
                },
            ),
            pod(
                "leaving",
                meta={
                    "deletionTimestamp": "2026-01-01T00:00:30Z",
                    "deletionGracePeriodSeconds": 30,
                },
            ),
        ]
    }
    # NOW is 2026-01-01T00:00:00Z, so "gone" is 30 s past its deadline only later.
    at = NOW + 31
    status = rq_ctl.quota_status(quota({"pods": "10", "count/pods": "10"}), view, at)
    assert status["used"] == {"pods": "3", "count/pods": "3"}


def test_sums_requests_and_limits_of_pods():
    """cpu and memory are the requests; limits are summed apart; init containers count
    when larger than the regular ones."""
    view = {
        "Pod": [
            pod("a", requests={"cpu": "100m", "memory": "128Mi"}, limits={"cpu": "1"}),
            pod("b", requests={"cpu": "200m", "memory": "128Mi"}),
            {
                **pod("c", requests={"cpu": "100m"}),
                "spec": {
                    "containers": [
                        {"name": "c", "resources": {"requests": {"cpu": "100m"}}}
                    ],
                    "initContainers": [
                        {"name": "i", "resources": {"requests": {"cpu": "500m"}}}
                    ],
                },
            },
        ]
    }
    hard = {
        "requests.cpu": "2",
        "cpu": "2",
        "requests.memory": "1Gi",
        "memory": "1Gi",
        "limits.cpu": "4",
        "limits.memory": "2Gi",
    }
    assert used_of(view, hard) == {
        "requests.cpu": "800m",
        "cpu": "800m",
        "requests.memory": "256Mi",
        "memory": "256Mi",
        "limits.cpu": "1",
        "limits.memory": "0",
    }


def test_counts_objects_storage_and_service_ports():
    view = {
        "ConfigMap": [obj("ConfigMap", "a"), obj("ConfigMap", "b", "other")],
        "Secret": [obj("Secret", "s")],
        "PersistentVolumeClaim": [
            obj(
                "PersistentVolumeClaim",
                n,
                spec={"resources": {"requests": {"storage": size}}},
            )
            for n, size in (("x", "1Gi"), ("y", "512Mi"))
        ],
        "Service": [
            obj("Service", "np", spec={"type": "NodePort", "ports": [{}, {}]}),
            obj("Service", "lb", spec={"type": "LoadBalancer", "ports": [{}]}),
            obj("Service", "ip", spec={"ports": [{}]}),
        ],
        "Deployment": [obj("Deployment", "web", api_version="apps/v1")],
    }
    hard = {
        "configmaps": "5",
        "count/secrets": "5",
        "persistentvolumeclaims": "5",
        "requests.storage": "10Gi",
        "services": "5",
        "services.nodeports": "5",
        "services.loadbalancers": "1",
        "count/deployments.apps": "2",
        "count/widgets.example.com": "1",
    }
    assert used_of(view, hard) == {
        "configmaps": "1",
        "count/secrets": "1",
        "persistentvolumeclaims": "2",
        "requests.storage": "1536Mi",
        "services": "3",
        "services.nodeports": "3",
        "services.loadbalancers": "1",
        "count/deployments.apps": "1",
    }


def test_a_scoped_quota_counts_only_matching_pods():
    view = {"Pod": [pod("idle"), pod("sized", requests={"cpu": "100m"})]}
    assert used_of(view, {"pods": "5"}, scopes=["BestEffort"]) == {"pods": "1"}
    assert used_of(view, {"pods": "5"}, scopes=["NotBestEffort"]) == {"pods": "1"}


def test_sync_writes_hard_and_used_once_then_rests():
    """The first sync writes the status; one already true asks for nothing."""
    view = {"Pod": [pod("a")], "ResourceQuota": [quota({"pods": "2", "cpu": "1000m"})]}
    assert rq_ctl.sync(view, NOW, random.Random(1)) == [
        Patch(
            QUOTA_REF,
            {
                "status": {
                    "hard": {"pods": "2", "cpu": "1"},
                    "used": {"pods": "1", "cpu": "0"},
                }
            },
            "status",
        )
    ]
    current = {"hard": {"pods": "2", "cpu": "1"}, "used": {"pods": "1", "cpu": "0"}}
    view["ResourceQuota"] = [quota({"pods": "2", "cpu": "1000m"}, status=current)]
    assert rq_ctl.sync(view, NOW, random.Random(1)) == []


def test_a_resource_dropped_from_hard_is_dropped_from_status():
    stale = {
        "hard": {"pods": "2", "secrets": "1"},
        "used": {"pods": "0", "secrets": "0"},
    }
    view = {"Pod": [], "Secret": [], "ResourceQuota": [quota({"pods": "2"}, stale)]}
    assert rq_ctl.sync(view, NOW, random.Random(1)) == [
        Patch(
            QUOTA_REF,
            {
                "status": {
                    "hard": {"pods": "2", "secrets": None},
                    "used": {"pods": "0", "secrets": None},
                }
            },
            "status",
        )
    ]


def test_a_malformed_hard_value_is_not_tracked():
    """A value that is no quantity gets no usage, and the rest are still counted."""
    view = {"Pod": [pod("a")]}
    status = rq_ctl.quota_status(quota({"pods": "lots", "count/pods": "2"}), view, NOW)
    assert status == {
        "hard": {"pods": "lots", "count/pods": "2"},
        "used": {"count/pods": "1"},
    }
