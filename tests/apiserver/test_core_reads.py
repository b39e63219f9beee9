"""What a create reads before it writes: one query for everything admission needs,
one for the quota, then the write itself; and events folded by a key-range read."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cluster import kinds
from cluster.actions import RecordEvent, Ref
from cluster.apiserver import errors, recorder
from tests.apiserver.core_kit import POD, bare_pod, new_cluster, system_api

pytestmark = pytest.mark.django_db
EVENT = kinds.by_kind("Event")


@pytest.fixture
def api():
    return system_api(new_cluster())


def _statements(queries) -> list[str]:
    """The first word of each SQL statement run (transaction control left out)."""
    words = [q["sql"].split(None, 1)[0].upper() for q in queries]
    return [w for w in words if w in ("SELECT", "INSERT", "UPDATE", "DELETE")]


def test_a_pod_create_reads_once_counts_once_then_writes(api):
    with CaptureQueriesContext(connection) as queries:
        api.create(bare_pod("web"))
    assert _statements(queries.captured_queries) == [
        "SELECT",  # namespace, LimitRanges, ServiceAccounts, PriorityClasses
        "SELECT",  # quota: objects and pods
        "UPDATE",  # the revision
        "INSERT",  # the key
        "INSERT",  # the watch log
    ]


@pytest.mark.parametrize(
    ("objects", "check"),
    [
        pytest.param(
            [
                {
                    "apiVersion": "v1",
                    "kind": "LimitRange",
                    "metadata": {"name": "limits", "namespace": "default"},
                    "spec": {
                        "limits": [
                            {"type": "Container", "defaultRequest": {"cpu": "250m"}}
                        ]
                    },
                }
            ],
            lambda pod: (
                pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "250m"}
            ),
            id="limit-range-defaults",
        ),
        pytest.param(
            [
                {
                    "apiVersion": "scheduling.k8s.io/v1",
                    "kind": "PriorityClass",
                    "metadata": {"name": "normal"},
                    "value": 1000,
                    "globalDefault": True,
                }
            ],
            lambda pod: (
                (pod["spec"]["priorityClassName"], pod["spec"]["priority"])
                == ("normal", 1000)
            ),
            id="global-default-priority",
        ),
        pytest.param(
            [
                {
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": {"name": "robot", "namespace": "default"},
                    "automountServiceAccountToken": False,
                }
            ],
            lambda pod: (
                pod["spec"]["serviceAccountName"] == "default"
                and any(
                    v["name"].startswith("kube-api-access-")
                    for v in pod["spec"]["volumes"]
                )
            ),
            id="default-account-among-others",
        ),
    ],
)
def test_admission_sees_the_clusters_objects(api, objects, check):
    for obj in objects:
        api.create(obj)
    assert check(api.create(bare_pod("web")))


def test_a_pod_in_a_missing_namespace_is_not_found_before_any_write(api):
    with pytest.raises(errors.ApiError) as refused:
        api.create(bare_pod("web", namespace="nowhere"))
    assert refused.value.code == 404
    assert api.list(POD, "nowhere").items == []


def test_a_missing_service_account_is_still_forbidden(api):
    pod = bare_pod("web")
    pod["spec"]["serviceAccountName"] = "ghost"
    with pytest.raises(errors.ApiError) as refused:
        api.create(pod)
    assert refused.value.code == 403
    assert 'serviceaccount "ghost" not found' in refused.value.message


def test_the_pod_quota_counts_pods_only(api, settings):
    settings.KUBELAB_QUOTA_PODS_PER_CLUSTER = 2
    api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    api.create(bare_pod("a"))
    api.create(bare_pod("b"))
    with pytest.raises(errors.ApiError) as refused:
        api.create(bare_pod("c"))
    assert refused.value.message == (
        'pods "c" is forbidden: exceeded quota: kubelab-cluster-quota, '
        "requested: pods=1, used: pods=2, limited: pods=2"
    )


def _event_about(name: str, reason: str = "Pulled") -> RecordEvent:
    return RecordEvent(
        involved=Ref("Pod", "default", name, "v1", f"uid-{name}"),
        type="Normal",
        reason=reason,
        message=f"{reason} {name}",
        component="kubelet",
    )


def test_a_repeated_event_folds_into_its_count_among_many_others(api):
    for i in range(30):
        recorder.record(api, _event_about(f"other-{i}"))
    recorder.record(api, _event_about("web"))
    recorder.record(api, _event_about("web.1"))  # a name that starts like "web."
    api.now += 60
    folded = recorder.record(api, _event_about("web"))

    assert folded["count"] == 2
    about_web = [
        e
        for e in api.list(EVENT, "default").items
        if e["involvedObject"]["name"] in ("web", "web.1")
    ]
    assert sorted((e["involvedObject"]["name"], e["count"]) for e in about_web) == [
        ("web", 2),
        ("web.1", 1),
    ]


def test_events_of_one_instant_are_named_in_the_order_they_happened(api):
    """`describe` lists events in name order: Pulled, Created, Started."""
    for reason in ("Pulled", "Created", "Started"):
        recorder.record(api, _event_about("web", reason))
    listed = sorted(
        api.list(EVENT, "default").items, key=lambda e: e["metadata"]["name"]
    )
    assert [e["reason"] for e in listed] == ["Pulled", "Created", "Started"]
