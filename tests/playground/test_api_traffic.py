"""Send traffic through the REST API: each request's path hop by hop, and clear refusals."""

from __future__ import annotations

import pytest

from cluster import kinds, operations
from cluster.access import api_for
from cluster.models import Cluster, Machine
from cluster.nodes import responses
from cluster.send_traffic import NO_NODE_PORT
from playground.manifests import apply_documents
from tests.playground.manifests import (
    SHOP_INGRESS,
    WEB_NODE_PORT,
    WEB_SERVICE,
    documents,
    web_deployment,
)

pytestmark = pytest.mark.django_db
WEB = documents(
    web_deployment(2, one_per_node=True), WEB_SERVICE, WEB_NODE_PORT, SHOP_INGRESS
)


@pytest.fixture
def running(cluster):
    """alice's cluster with two nginx pods (one per worker) behind both services."""
    outcome = apply_documents(api_for(cluster), WEB, False)
    assert not outcome.failures, outcome.failures
    operations.fast_forward(cluster, 60)
    pods = api_for(cluster).list(kinds.by_kind("Pod"), "default").items
    assert sorted(p["status"]["phase"] for p in pods) == ["Running", "Running"]
    return cluster


def send(alice_api, cluster, **body):
    return alice_api.post(f"/api/clusters/{cluster.slug}/traffic/", body, format="json")


def node_ip(cluster: Cluster, name: str) -> str:
    node = api_for(cluster).get(kinds.by_kind("Node"), None, name)
    return next(
        a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP"
    )


def steps(trace: dict) -> list[tuple[str, bool]]:
    return [(hop["step"], hop["ok"]) for hop in trace["hops"]]


def test_a_request_from_a_pod_goes_dns_clusterip_kube_proxy_endpoint_pod(
    alice_api, running
):
    response = send(alice_api, running, kind="Service", name="web")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["url"] == "http://web.default.svc.cluster.local:80/"
    client = body["client"]
    assert client["pod"].startswith("default/web-")
    [trace] = body["requests"]
    assert steps(trace) == [
        ("dns", True),
        ("service", True),
        ("kube-proxy", True),
        ("endpoint", True),
        ("container", True),
    ]
    cluster_ip = api_for(running).get(kinds.by_kind("Service"), "default", "web")[
        "spec"
    ]["clusterIP"]
    assert trace["hops"][0]["detail"] == f"web.default.svc.cluster.local → {cluster_ip}"
    assert trace["hops"][1]["detail"] == f"default/web: ClusterIP {cluster_ip}:80"
    # The client's own node routes the packet, with the rules its kube-proxy wrote.
    assert trace["hops"][2]["node"] == client["node"]
    assert trace["hops"][3]["pod"] == trace["pod"]["name"]
    assert (trace["status"], trace["body"]) == (200, responses.NGINX_WELCOME)


def test_many_requests_through_a_nodeport_spread_over_both_pods(alice_api, running):
    response = send(
        alice_api, running, kind="Service", name="web-np", node="worker2", count=40
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["url"] == f"http://{node_ip(running, 'worker2')}:30080/"
    assert body["client"] == {"ip": "203.0.113.10"}
    assert len(body["requests"]) == 40
    assert all(r["ok"] and r["status"] == 200 for r in body["requests"])
    assert sorted(body["spread"]) == sorted(
        p["metadata"]["name"]
        for p in api_for(running).list(kinds.by_kind("Pod"), "default").items
    )
    assert sum(body["spread"].values()) == 40
    assert {r["hops"][1]["node"] for r in body["requests"]} == {"worker2"}
    assert [s for s, _ in steps(body["requests"][0])] == [
        "service",
        "kube-proxy",
        "endpoint",
        "container",
    ]


def test_an_ingress_host_routes_to_the_pods_of_its_service(alice_api, running):
    response = send(alice_api, running, kind="Ingress", name="shop", path="/cart")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["url"] == "http://shop.example.com/cart"
    [trace] = body["requests"]
    assert [s for s, _ in steps(trace)] == [
        "ingress",
        "service",
        "endpoint",
        "container",
    ]
    assert (trace["hops"][0]["ingress"], trace["hops"][1]["service"]) == (
        "default/shop",
        "default/web",
    )


def test_a_nodeport_on_a_powered_off_worker_times_out_as_curl_does(alice_api, running):
    operations.set_power(Machine.objects.get(cluster=running, name="worker1"), False)

    response = send(alice_api, running, kind="Service", name="web-np", node="worker1")

    assert response.status_code == 200, response.json()
    [trace] = response.json()["requests"]
    assert (trace["ok"], trace["exit_code"]) == (False, 28)
    assert trace["error"] == (
        f"curl: (28) Failed to connect to {node_ip(running, 'worker1')} port 30080 "
        "after 130000 ms: Couldn't connect to server"
    )
    assert steps(trace) == [("node", False)]


def test_a_service_without_endpoints_is_refused_at_the_nodes_rules(alice_api, running):
    api = api_for(running)
    api.merge_patch(
        kinds.by_kind("Service"),
        "default",
        "web-np",
        {"spec": {"selector": {"app": "x"}}},
    )
    operations.fast_forward(running, 5)

    response = send(alice_api, running, kind="Service", name="web-np", node="worker1")

    [trace] = response.json()["requests"]
    assert trace["error"] == (
        f"curl: (7) Failed to connect to {node_ip(running, 'worker1')} port 30080 "
        "after 0 ms: Couldn't connect to server"
    )
    assert steps(trace) == [("service", True), ("kube-proxy", False)]
    assert trace["hops"][-1]["detail"] == "default/web-np has no endpoints (REJECT)"


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        pytest.param(
            {"kind": "Service", "name": "web", "via": "node"},
            400,
            NO_NODE_PORT.format(name="web", type="ClusterIP"),
            id="clusterip-has-no-node-port",
        ),
        pytest.param(
            {"kind": "Service", "name": "nope"},
            404,
            'services "nope" not found',
            id="unknown-service",
        ),
        pytest.param(
            {"kind": "Service", "name": "web-np", "node": "worker9", "via": "node"},
            400,
            'node "worker9" not found',
            id="unknown-node",
        ),
        pytest.param(
            {"kind": "Service", "name": "web", "count": 101},
            400,
            "count",
            id="too-many",
        ),
        pytest.param(
            {"kind": "Service", "name": "web", "path": "no slash"},
            400,
            "path",
            id="bad-path",
        ),
        pytest.param({"kind": "Pod", "name": "web"}, 400, "kind", id="bad-kind"),
    ],
)
def test_bad_requests_get_a_clear_4xx(alice_api, cluster, body, code, says):
    apply_documents(api_for(cluster), WEB, False)

    response = send(alice_api, cluster, **body)

    assert response.status_code == code
    assert says in str(response.json())


def test_another_students_cluster_is_not_found(bob_api, cluster):
    response = send(bob_api, cluster, kind="Service", name="kubernetes")
    assert response.status_code == 404
