"""The store's one-query reads (admission's lookups, quota counts, prefix lists) and
what a refused write leaves in the caller's object."""

from __future__ import annotations

import pytest

from cluster import kinds, store
from cluster.apiserver import errors
from tests.store.conftest import NAMESPACE, POD, pod

SERVICE_ACCOUNT = kinds.by_kind("ServiceAccount")
PRIORITY_CLASS = kinds.by_kind("PriorityClass")
EVENT = kinds.by_kind("Event")

pytestmark = pytest.mark.django_db


def _names(objects: list[dict]) -> list[str]:
    return [o["metadata"]["name"] for o in objects]


def _namespace(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def _account(name: str, namespace: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": name, "namespace": namespace},
    }


def _priority_class(name: str) -> dict:
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name},
        "value": 10,
    }


def _event(name: str, namespace: str = "default") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": namespace},
    }


def test_read_many_answers_each_lookup_with_its_own_objects_in_key_order(cluster):
    for name in ("default", "team"):
        store.create(cluster, NAMESPACE, _namespace(name))
    for ns, name in (("team", "robot"), ("team", "default"), ("default", "default")):
        store.create(cluster, SERVICE_ACCOUNT, _account(name, ns))
    for name in ("low", "high"):
        store.create(cluster, PRIORITY_CLASS, _priority_class(name))

    answers = store.read_many(
        cluster,
        [
            (NAMESPACE, None, "team"),
            (NAMESPACE, None, "missing"),
            (SERVICE_ACCOUNT, "team", None),
            (SERVICE_ACCOUNT, "team", "robot"),
            (PRIORITY_CLASS, None, None),
        ],
    )

    assert [_names(a) for a in answers] == [
        ["team"],
        [],
        ["default", "robot"],
        ["robot"],
        ["high", "low"],
    ]
    assert answers[2][1] is not answers[3][0]  # each answer is the caller's to change


def test_read_many_never_reads_another_clusters_keys(cluster, other_cluster):
    store.create(other_cluster, NAMESPACE, _namespace("team"))
    assert store.read_many(cluster, [(NAMESPACE, None, "team")]) == [[]]


def test_count_keys_by_bucket_counts_all_then_each_bucket(cluster):
    for i in range(3):
        store.create(cluster, POD, pod(f"p{i}"))
    store.create(cluster, NAMESPACE, _namespace("default"))
    store.create(cluster, EVENT, _event("p0.1"))

    counted = ["namespaces", "pods"]
    assert store.count_keys_by_bucket(cluster, counted, ["pods", "namespaces"]) == (
        4,
        3,
        1,
    )
    assert store.count_keys_by_bucket(cluster, None, []) == (5,)
    assert store.count_keys_by_bucket(cluster, [], ["pods"]) == (0, 0)
    assert store.count_keys(cluster, ["pods"]) == 3


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        pytest.param("web.", ["web.1", "web.2"], id="the-object's-events"),
        pytest.param("web", ["web-1.1", "web.1", "web.2", "web_1.1"], id="bare"),
        pytest.param("web_", ["web_1.1"], id="underscore-is-literal"),
        pytest.param("web%", [], id="percent-is-literal"),
        pytest.param("WEB.", [], id="case-sensitive"),
    ],
)
def test_a_name_prefix_lists_only_the_names_that_start_with_it(
    cluster, prefix, expected
):
    for name in ("web.1", "web.2", "web-1.1", "web_1.1", "api.1", "w.1"):
        store.create(cluster, EVENT, _event(name))
    store.create(cluster, EVENT, _event("web.9", namespace="other"))

    listed = store.list_objects(cluster, EVENT, "default", name_prefix=prefix)

    assert _names(listed.items) == expected


def test_a_limited_list_pages_through_every_key_once(cluster):
    for i in range(7):
        store.create(cluster, POD, pod(f"p{i}"))
    seen, token = [], ""
    while True:
        page = store.list_objects(
            cluster, POD, "default", limit=3, continue_token=token
        )
        seen += _names(page.items)
        token = page.continue_token
        if not token:
            break
    assert seen == [f"p{i}" for i in range(7)]


def test_a_refused_create_leaves_the_callers_object_as_it_was(cluster):
    store.create(cluster, POD, pod("a"))
    again = pod("a")
    with pytest.raises(errors.ApiError):
        store.create(cluster, POD, again)
    assert "resourceVersion" not in again["metadata"]


@pytest.mark.parametrize(
    ("expect", "reason"),
    [
        pytest.param(99, "Conflict", id="stale"),
        pytest.param(None, "NotFound", id="gone"),
    ],
)
def test_a_refused_update_leaves_the_callers_object_as_it_was(cluster, expect, reason):
    store.create(cluster, POD, pod("a"))
    stale = store.get(cluster, POD, "default", "a")
    if reason == "NotFound":
        store.delete(cluster, POD, "default", "a")
    with pytest.raises(errors.ApiError) as refused:
        store.update(cluster, POD, stale, expect)
    assert refused.value.reason == reason
    assert stale["metadata"]["resourceVersion"] == "1"
