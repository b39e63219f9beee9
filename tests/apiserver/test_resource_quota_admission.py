"""ResourceQuota admission: a create past a quota's hard limit is forbidden with
kube-apiserver's message, an admitted one is charged to status.used at once, and
`kubectl get quota` prints NAME AGE REQUEST LIMIT."""

from __future__ import annotations

import pytest

from cluster import kinds
from cluster.apiserver import errors, tables
from tests.apiserver.core_kit import (
    CONFIGMAP,
    NOW,
    POD,
    bare_pod,
    new_cluster,
    system_api,
)

pytestmark = pytest.mark.django_db
QUOTA = kinds.by_kind("ResourceQuota")


def _quota(api, hard: dict, used: dict | None = None) -> None:
    api.create(
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "q", "namespace": "default"},
            "spec": {"hard": hard},
        }
    )
    if used is not None:  # what the resourcequota controller would have written
        api.merge_patch(
            QUOTA, "default", "q", {"status": {"hard": hard, "used": used}}, "status"
        )


def _sized_pod(name: str, cpu: str) -> dict:
    pod = bare_pod(name)
    pod["spec"]["containers"][0]["resources"] = {"requests": {"cpu": cpu}}
    return pod


def test_pods_past_the_hard_limit_are_forbidden_with_the_quota_message():
    api = system_api(new_cluster())
    _quota(api, {"pods": "2"}, {"pods": "0"})
    api.create(bare_pod("a"))
    api.create(bare_pod("b"))
    assert api.get(QUOTA, "default", "q")["status"]["used"] == {"pods": "2"}
    with pytest.raises(errors.ApiError) as refused:
        api.create(bare_pod("c"))
    assert refused.value.code == 403
    assert refused.value.message == (
        'pods "c" is forbidden: exceeded quota: q, requested: pods=1, '
        "used: pods=2, limited: pods=2"
    )


def test_requests_are_charged_and_checked_as_quantities():
    api = system_api(new_cluster())
    _quota(api, {"requests.cpu": "1", "pods": "10"}, {"requests.cpu": "0", "pods": "0"})
    api.create(_sized_pod("a", "600m"))
    assert api.get(QUOTA, "default", "q")["status"]["used"] == {
        "requests.cpu": "600m",
        "pods": "1",
    }
    with pytest.raises(errors.ApiError) as refused:
        api.create(_sized_pod("b", "500m"))
    assert refused.value.message.endswith(
        "exceeded quota: q, requested: requests.cpu=500m, used: requests.cpu=600m, "
        "limited: requests.cpu=1"
    )


def test_a_quota_not_yet_counted_refuses_what_it_limits():
    api = system_api(new_cluster())
    _quota(api, {"configmaps": "1"}, {})
    with pytest.raises(errors.ApiError) as refused:
        api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    assert refused.value.message == (
        'configmaps "x" is forbidden: status unknown for quota: q, '
        "resources: configmaps"
    )


def test_a_quota_without_status_or_on_other_resources_lets_creates_through():
    api = system_api(new_cluster())
    _quota(api, {"pods": "0"})  # hard not yet in status: nothing enforced
    api.create(bare_pod("a"))
    api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    assert api.get(CONFIGMAP, "default", "x")


def test_a_dry_run_is_checked_but_not_charged():
    api = system_api(new_cluster())
    _quota(api, {"pods": "1"}, {"pods": "0"})
    api.create(bare_pod("a"), dry_run=True)
    assert api.get(QUOTA, "default", "q")["status"]["used"] == {"pods": "0"}
    assert not api.list(POD, "default").items


def test_the_quota_table_prints_name_age_request_limit():
    rq = {
        "metadata": {"name": "q", "creationTimestamp": "2023-11-14T22:12:20Z"},
        "status": {
            "hard": {"pods": "2", "requests.cpu": "1", "limits.memory": "1Gi"},
            "used": {"pods": "1", "requests.cpu": "100m"},
        },
    }
    table = tables.to_table(QUOTA, [rq], NOW)
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name",
        "Age",
        "Request",
        "Limit",
    ]
    assert table["rows"][0]["cells"] == [
        "q",
        "60s",
        "pods: 1/2, requests.cpu: 100m/1",
        "limits.memory: 0/1Gi",
    ]


def test_a_malformed_hard_value_limits_nothing():
    api = system_api(new_cluster())
    _quota(api, {"pods": "lots"}, {"pods": "0"})
    api.create(bare_pod("a"))
    assert api.get(QUOTA, "default", "q")["status"]["used"] == {"pods": "0"}


def test_a_compute_quota_makes_every_container_state_its_resources():
    api = system_api(new_cluster())
    _quota(
        api,
        {"requests.cpu": "1", "limits.memory": "1Gi"},
        {"requests.cpu": "0", "limits.memory": "0"},
    )
    with pytest.raises(errors.ApiError) as refused:
        api.create(_sized_pod("a", "100m"))
    assert refused.value.message == (
        'pods "a" is forbidden: failed quota: q: must specify limits.memory for: app'
    )
    with pytest.raises(errors.ApiError) as refused:
        api.create(bare_pod("b"))
    assert refused.value.message.endswith(
        "must specify limits.memory for: app; requests.cpu for: app"
    )
