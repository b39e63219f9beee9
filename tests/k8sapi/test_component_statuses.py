"""`kubectl get componentstatuses`: the API server's probes of its control plane."""

from __future__ import annotations

import pytest

from cluster.k8sapi import component_statuses

from .conftest import TABLE_ACCEPT

RUNNING, STOPPED = "running", "stopped"
SCHEDULER_REFUSED = (
    'Get "https://127.0.0.1:10259/healthz": dial tcp 127.0.0.1:10259: '
    "connect: connection refused"
)


def _plane(**states):
    """Rows of one control-plane machine, every component running unless named."""
    kinds = ("kube-apiserver", "etcd", "kube-scheduler", "kube-controller-manager")
    return [("cp", k, states.get(k.replace("-", "_"), RUNNING), True) for k in kinds]


def _summary(rows):
    return [
        (s["metadata"]["name"], s["conditions"][0]["status"])
        for s in component_statuses.statuses(rows)
    ]


def test_a_healthy_plane_answers_ok_for_each_component():
    found = component_statuses.statuses(_plane())
    assert [s["metadata"]["name"] for s in found] == [
        "scheduler",
        "controller-manager",
        "etcd-0",
    ]
    assert {c["message"] for s in found for c in s["conditions"]} == {"ok"}


def test_a_stopped_scheduler_is_unhealthy_with_the_refused_probe():
    scheduler = component_statuses.statuses(_plane(kube_scheduler=STOPPED))[0]
    assert scheduler["conditions"] == [
        {"type": "Healthy", "status": "False", "error": SCHEDULER_REFUSED}
    ]


@pytest.mark.parametrize(
    ("rows", "etcd"),
    [
        pytest.param(_plane(etcd=STOPPED), "False", id="local-member-down"),
        pytest.param(
            _plane() + [("cp2", "etcd", STOPPED, True), ("cp3", "etcd", STOPPED, True)],
            "False",
            id="no-quorum",
        ),
        pytest.param(
            _plane() + [("cp2", "etcd", RUNNING, True), ("cp3", "etcd", STOPPED, True)],
            "True",
            id="quorum-kept",
        ),
    ],
)
def test_etcd_is_healthy_with_its_member_up_and_a_quorum(rows, etcd):
    assert _summary(rows)[-1] == ("etcd-0", etcd)


def test_no_running_api_server_answers_nothing():
    assert component_statuses.statuses(_plane(kube_apiserver=STOPPED)) == []


def test_get_cs_is_a_table_with_the_deprecation_warning(kube):
    response = kube.get("/api/v1/componentstatuses", accept=TABLE_ACCEPT)
    assert response.status_code == 200
    assert response.headers["Warning"] == (
        '299 - "v1 ComponentStatus is deprecated in v1.19+"'
    )
    table = response.json()
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name",
        "Status",
        "Message",
        "Error",
    ]
    assert table["rows"][0]["cells"] == ["scheduler", "Healthy", "ok", ""]


def test_one_component_status_and_an_unknown_one(kube):
    one = kube.get("/api/v1/componentstatuses/etcd-0").json()
    assert (one["kind"], one["metadata"]["name"]) == ("ComponentStatus", "etcd-0")
    missing = kube.get("/api/v1/componentstatuses/nope")
    assert missing.status_code == 404
    assert missing.json()["message"] == 'componentstatuses "nope" not found'
