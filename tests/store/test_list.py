"""Store lists: namespaces, label and field selectors, paging with continue tokens."""

from __future__ import annotations

import base64
import json

import pytest

from cluster import store
from cluster.apiserver import errors
from cluster.objects import selectors
from tests.store.conftest import NAMESPACE, POD, pod

pytestmark = pytest.mark.django_db

PODS = [
    pod("web-1", "default", {"app": "web", "tier": "front"}, "node-1", "Running"),
    pod("web-2", "default", {"app": "web", "tier": "front"}, "node-2", "Running"),
    pod("db-1", "default", {"app": "db", "tier": "back"}, "node-1", "Pending"),
    pod("job-1", "default", {"app": "batch"}, "node-2", "Succeeded"),
    pod("api-1", "prod", {"app": "api", "legacy": "yes"}, "node-1", "Running"),
    pod("free", "prod"),
]


@pytest.fixture
def pods(cluster) -> int:
    for obj in PODS:
        store.create(cluster, POD, obj)
    return cluster


def _names(result: store.ListResult) -> list[str]:
    return [o["metadata"]["name"] for o in result.items]


@pytest.mark.parametrize(
    ("namespace", "names"),
    [
        pytest.param(
            None, ["db-1", "job-1", "web-1", "web-2", "api-1", "free"], id="all"
        ),
        pytest.param("default", ["db-1", "job-1", "web-1", "web-2"], id="default"),
        pytest.param("prod", ["api-1", "free"], id="prod"),
        pytest.param("empty", [], id="empty"),
    ],
)
def test_a_list_is_scoped_to_its_namespace_in_key_order(pods, namespace, names):
    assert _names(store.list_objects(pods, POD, namespace)) == names


@pytest.mark.parametrize(
    ("selector", "names"),
    [
        ("app=web", ["web-1", "web-2"]),
        ("app==web", ["web-1", "web-2"]),
        ("app!=web", ["db-1", "job-1", "api-1", "free"]),
        ("app in (db,api)", ["db-1", "api-1"]),
        ("app notin (web,db)", ["job-1", "api-1", "free"]),
        ("tier", ["db-1", "web-1", "web-2"]),
        ("!tier", ["job-1", "api-1", "free"]),
        ("app=web,tier=front", ["web-1", "web-2"]),
        ("app,!legacy", ["db-1", "job-1", "web-1", "web-2"]),
        ("app=nothing", []),
    ],
)
def test_label_selectors_filter_like_the_api_server(pods, selector, names):
    parsed = selectors.parse_label_selector(selector)
    assert _names(store.list_objects(pods, POD, label_selector=parsed)) == names


@pytest.mark.parametrize(
    ("selector", "names"),
    [
        ("metadata.name=web-1", ["web-1"]),
        ("metadata.name!=web-1", ["db-1", "job-1", "web-2", "api-1", "free"]),
        ("metadata.namespace=prod", ["api-1", "free"]),
        ("metadata.namespace!=prod", ["db-1", "job-1", "web-1", "web-2"]),
        ("spec.nodeName=node-1", ["db-1", "web-1", "api-1"]),
        ("spec.nodeName=", ["free"]),
        ("status.phase=Running", ["web-1", "web-2", "api-1"]),
        (
            "spec.nodeName=node-2,status.phase!=Succeeded,status.phase!=Failed",
            ["web-2"],
        ),
    ],
)
def test_field_selectors_filter_like_the_api_server(pods, selector, names):
    parsed = selectors.parse_field_selector(selector)
    assert _names(store.list_objects(pods, POD, field_selector=parsed)) == names


def test_the_list_revision_is_the_cluster_revision(pods):
    assert store.list_objects(pods, POD).revision == len(PODS)
    store.create(pods, NAMESPACE, {"metadata": {"name": "prod"}})
    result = store.list_objects(pods, POD, "prod")
    assert result.revision == len(PODS) + 1


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 6, 7])
@pytest.mark.parametrize("label_selector", ["", "app"])
def test_limit_and_continue_page_through_everything_exactly_once(
    pods, limit, label_selector
):
    parsed = selectors.parse_label_selector(label_selector)
    expected = _names(store.list_objects(pods, POD, label_selector=parsed))
    seen: list[str] = []
    token = ""
    for _page in range(20):
        result = store.list_objects(
            pods, POD, label_selector=parsed, limit=limit, continue_token=token
        )
        assert len(result.items) <= limit
        seen += _names(result)
        token = result.continue_token
        if not token:
            break
    assert seen == expected


def test_the_last_full_page_has_no_continue_token(pods):
    first = store.list_objects(pods, POD, "prod", limit=1)
    assert (_names(first), bool(first.continue_token)) == (["api-1"], True)
    last = store.list_objects(
        pods, POD, "prod", limit=1, continue_token=first.continue_token
    )
    assert (_names(last), last.continue_token) == (["free"], "")


def test_a_raw_list_returns_the_stored_bodies(pods):
    result = store.list_objects(pods, POD, "prod", decode=False)
    assert result.items is None
    assert [json.loads(b)["metadata"]["name"] for b in result.raw] == [
        "api-1",
        "free",
    ]


def _token(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.parametrize(
    ("token", "why"),
    [
        pytest.param("not-a-token", "", id="garbage"),
        pytest.param(_token([1, 2]), "", id="not-an-object"),
        pytest.param(
            _token({"v": "v9", "rv": 3, "start": "default\x00a"}),
            ": server does not recognize this encoded version",
            id="version",
        ),
        pytest.param(
            _token({"v": "meta.k8s.io/v1", "rv": 0, "start": "default\x00a"}),
            ": incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
            id="revision",
        ),
        pytest.param(
            _token({"v": "meta.k8s.io/v1", "rv": 3, "start": ""}),
            ": encoded start key empty (version meta.k8s.io/v1)",
            id="start",
        ),
    ],
)
def test_a_malformed_continue_token_is_a_bad_request(pods, token, why):
    with pytest.raises(errors.ApiError) as caught:
        store.list_objects(pods, POD, continue_token=token)
    assert (caught.value.code, caught.value.reason, caught.value.message) == (
        400,
        "BadRequest",
        "invalid continue token: continue key is not valid" + why,
    )
