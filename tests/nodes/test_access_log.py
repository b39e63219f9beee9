"""Access logs: the line each image prints for a served request, who the client is as
the pod sees it, and how entries are kept, merged and written for load generators."""

from __future__ import annotations

import random

import pytest

from cluster.nodes import access_log, images, load, logs, traffic
from cluster.nodes import runtime as rt
from tests.nodes.netkit import node, pod, service, slice_for, view
from tests.nodes.nodekit import T0, Node, make_pod

AT = 1_796_052_662.0  # 2026-11-30 15:31:02 UTC
POD = {"metadata": {"name": "web-1"}, "status": {"podIP": "10.244.1.5"}}
CURL = {
    "at": AT,
    "client": "10.244.2.7",
    "method": "GET",
    "path": "/",
    "status": 200,
    "bytes": 615,
    "agent": "curl/7.88.1",
}


@pytest.mark.parametrize(
    ("image", "request_", "line"),
    [
        pytest.param(
            "nginx:1.27",
            CURL,
            '10.244.2.7 - - [30/Nov/2026:15:31:02 +0000] "GET / HTTP/1.1" 200 615 '
            '"-" "curl/7.88.1" "-"',
            id="nginx-main",
        ),
        pytest.param(
            "nginx:1.27",
            {**CURL, "path": "/nope", "status": 404, "bytes": 153, "agent": "Wget"},
            '10.244.2.7 - - [30/Nov/2026:15:31:02 +0000] "GET /nope HTTP/1.1" 404 153 '
            '"-" "Wget" "-"',
            id="nginx-404-from-busybox-wget",
        ),
        pytest.param(
            "nginx:1.27",
            {**CURL, "client": "203.0.113.10", "forwarded": "203.0.113.10"},
            '203.0.113.10 - - [30/Nov/2026:15:31:02 +0000] "GET / HTTP/1.1" 200 615 '
            '"-" "curl/7.88.1" "203.0.113.10"',
            id="nginx-behind-an-ingress",
        ),
        pytest.param(
            "httpd:2.4",
            {**CURL, "bytes": 45},
            '10.244.2.7 - - [30/Nov/2026:15:31:02 +0000] "GET / HTTP/1.1" 200 45',
            id="httpd-common",
        ),
        pytest.param(
            "httpd:2.4",
            {**CURL, "method": "HEAD", "bytes": 0},
            '10.244.2.7 - - [30/Nov/2026:15:31:02 +0000] "HEAD / HTTP/1.1" 200 -',
            id="httpd-empty-body-is-a-dash",
        ),
        pytest.param(
            "registry.k8s.io/hpa-example",
            {**CURL, "bytes": 3, "agent": "Wget"},
            '10.244.2.7 - - [30/Nov/2026:15:31:02 +0000] "GET / HTTP/1.1" 200 195 '
            '"-" "Wget"',
            id="php-apache-combined-counts-headers",
        ),
        pytest.param(
            "gcr.io/google-samples/hello-app:1.0",
            {**CURL, "path": "/hello"},
            "2026/11/30 15:31:02 Serving request: /hello",
            id="hello-app",
        ),
        pytest.param(
            "gcr.io/google-samples/kubernetes-bootcamp:v1",
            {**CURL, "at": AT + 0.25},
            "Running On: web-1 | Total Requests: 4 | App Uptime: 12.25 seconds | "
            "Log Time: 2026-11-30T15:31:02.250Z",
            id="bootcamp",
        ),
        pytest.param("redis:7", CURL, None, id="redis-logs-nothing"),
        pytest.param("traefik:v3", CURL, None, id="traefik-access-log-off"),
    ],
)
def test_each_image_prints_its_own_access_line(image, request_, line):
    start = AT - 12
    catalogued = images.lookup_name(image)
    assert logs.request_line(catalogued, POD, request_, start, 4) == line


@pytest.mark.parametrize(
    ("tool", "image", "agent"),
    [
        ("curl", "nginx:1.27", "curl/7.88.1"),
        ("curl", "nginx:1.27-alpine", "curl/8.12.1"),
        ("curl", "curlimages/curl:8.10.1", "curl/8.10.1"),
        ("curl", "curlimages/curl", "curl/8.11.1"),
        ("wget", "busybox:1.36", "Wget"),
        ("wget", "alpine:3.20", "Wget"),
    ],
)
def test_the_user_agent_is_the_one_the_image_s_tool_sends(tool, image, agent):
    assert access_log.user_agent(tool, image) == agent


PODS = [
    pod("web-a", "10.244.1.2", "worker-1", image="nginx:1.27"),
    pod("web-b", "10.244.2.2", "worker-2", image="nginx:1.27"),
]


def _with_pod_ranges(v):
    for i, n in enumerate(v.nodes, start=1):
        n["spec"] = {"podCIDR": f"10.244.{i}.0/24"}
    return v


def _one_request(source, url, pods=PODS, **svc):
    svc = service(port=80, target=80, **svc)
    v = _with_pod_ranges(view(pods, [svc], [slice_for(svc, pods, port=80)]))
    return traffic.send_request(v, source, url, random.Random(1), AT, agent="x/1")


@pytest.mark.parametrize(
    ("source", "url", "policy", "client"),
    [
        pytest.param(
            {"pod": pod("client", "10.244.3.9", "worker-3")},
            "http://web",
            "Cluster",
            "10.244.3.9",
            id="pod-to-clusterip-keeps-its-ip",
        ),
        pytest.param(
            {"ip": "203.0.113.7"},
            "http://192.168.49.5:30080/",
            "Cluster",
            "10.244.3.0",
            id="nodeport-cluster-policy-masquerades-to-flannel",
        ),
        pytest.param(
            {"ip": "203.0.113.7"},
            "http://192.168.49.3:30080/",
            "Local",
            "203.0.113.7",
            id="nodeport-local-policy-keeps-the-client",
        ),
    ],
)
def test_the_client_address_is_the_one_the_serving_pod_sees(
    source, url, policy, client
):
    trace = _one_request(
        source,
        url,
        node_port=30080,
        type_="NodePort",
        externalTrafficPolicy=policy,
    )
    assert trace.ok and trace.client_ip == client


def test_a_nodeport_answered_on_the_entry_node_is_masqueraded_to_its_bridge():
    trace = _one_request(
        {"ip": "203.0.113.7"},
        "http://192.168.49.3:30080/",
        pods=PODS[:1],
        node_port=30080,
        type_="NodePort",
    )
    assert trace.pod["node"] == "worker-1" and trace.client_ip == "10.244.1.1"


def test_a_pod_reaching_itself_through_its_service_is_hairpinned_by_the_bridge():
    trace = _one_request({"pod": PODS[0]}, "http://web", pods=PODS[:1])
    assert trace.client_ip == "10.244.1.1"


def test_a_served_trace_becomes_one_entry_and_a_failed_one_none():
    ok = _one_request({"pod": pod("c", "10.244.3.9", "worker-3")}, "http://web")
    assert access_log.entry(ok) == {
        "at": AT,
        "client": "10.244.3.9",
        "method": "GET",
        "path": "/",
        "status": 200,
        "bytes": 615,
        "agent": "x/1",
    }
    refused = _one_request(
        {"pod": pod("c", "10.244.3.9", "worker-3")}, "http://web", pods=[]
    )
    assert not refused.ok and access_log.entry(refused) is None


def test_served_entries_are_capped_and_dropped_with_their_pod():
    where = {"uid": "u1", "container": "web"}
    memory = access_log.add_served(
        {"served": {"gone": {"web": [CURL]}}}, [(where, CURL)], live={"u1"}
    )
    assert memory["served"] == {"u1": {"web": [CURL]}} and memory["seq"] == 1
    many = [(where, {**CURL, "at": AT + i}) for i in range(rt.REQUEST_LOG_LIMIT + 5)]
    memory = access_log.add_served(memory, many, live={"u1"})
    kept = memory["served"]["u1"]["web"]
    assert len(kept) == rt.REQUEST_LOG_LIMIT and kept[-1]["at"] == AT + 504
    assert memory["seq"] == 2


def test_merged_state_interleaves_the_runtime_s_entries_with_the_kubelet_s():
    early, late = {**CURL, "at": AT - 5}, {**CURL, "at": AT + 5}
    state = {"pods": {"u1": {"containers": {"web": {"requests": [early, late]}}}}}
    merged = access_log.merged(state, {"served": {"u1": {"web": [CURL]}, "u2": {}}})
    assert merged["pods"]["u1"]["containers"]["web"]["requests"] == [
        early,
        CURL,
        late,
    ]
    assert state["pods"]["u1"]["containers"]["web"]["requests"] == [early, late]
    assert access_log.merged(state, {}) is state


def _generator_view():
    web = make_pod("web=nginx:1.27", name="web", uid="uid-1")
    loop = "while sleep 0.01; do wget -q -O- http://web; done"
    gen = {
        "metadata": {"name": "load", "namespace": "default", "uid": "u-load"},
        "spec": {
            "containers": [
                {"name": "c", "image": "busybox:1.36", "command": ["sh", "-c", loop]}
            ]
        },
        "status": {
            "podIP": "10.244.2.9",
            "containerStatuses": [{"name": "c", "state": {"running": {}}}],
        },
    }
    svc = {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"clusterIP": "10.96.0.50"},
    }
    slices = [slice_for(service(), [pod("web", "10.244.1.2", "worker-1")], port=80)]
    return web, load.streams([web, gen], [svc], slices)


def test_generator_streams_carry_client_rate_path_port_and_agent():
    _, streams = _generator_view()
    assert streams == {
        "uid-1": [
            load.Stream(client="10.244.2.9", rate=50.0, path="/", port=80, agent="Wget")
        ]
    }


def test_a_generator_s_requests_are_logged_a_bounded_number_per_sync():
    web, streams = _generator_view()
    node = Node()
    node.step(T0)
    node.add(web)
    node.run_until(T0 + 10, start=T0 + 1)
    node.extra["load"] = streams
    node.step(T0 + 10)  # the first sync only starts counting
    record = node.state["pods"]["uid-1"]["containers"]["web"]
    assert not record.get("requests") and record["offered_rps"] == 50.0
    node.step(T0 + 20)  # 500 requests came in; the latest 20 are written
    logged = node.state["pods"]["uid-1"]["containers"]["web"]["requests"]
    assert len(logged) == access_log.LOAD_LINES_PER_SYNC
    assert logged[-1] == {
        "at": pytest.approx(T0 + 20),
        "client": "10.244.2.9",
        "method": "GET",
        "path": "/",
        "status": 200,
        "bytes": 615,
        "agent": "Wget",
        "load": True,
    }
    node.step(T0 + 20)  # the same instant again logs nothing more
    assert node.state["pods"]["uid-1"]["containers"]["web"]["requests"] == logged
    text = logs.pod_logs(node.pod(), node.state, "web", now=T0 + 20)
    assert text.endswith(
        '10.244.2.9 - - [14/Nov/2023:22:13:40 +0000] "GET / HTTP/1.1" 200 615 '
        '"-" "Wget" "-"\n'
    )


def test_generator_lines_do_not_count_twice_in_cpu_use():
    from cluster.nodes import usage

    web, streams = _generator_view()
    node = Node()
    node.step(T0)
    node.add(web)
    node.run_until(T0 + 10, start=T0 + 1)
    node.extra["load"] = streams
    node.step(T0 + 10)
    before = usage.container_usage(
        web["spec"]["containers"][0],
        node.state["pods"]["uid-1"]["containers"]["web"],
        T0 + 10,
    )
    node.step(T0 + 20)
    after = usage.container_usage(
        web["spec"]["containers"][0],
        node.state["pods"]["uid-1"]["containers"]["web"],
        T0 + 20,
    )
    assert after == before


def test_nodes_without_a_pod_range_masquerade_to_their_own_address():
    v = view([], [], [])
    v.nodes.append(node("worker-9", "192.168.49.9"))
    assert traffic.masquerade_source(v, "worker-1", "10.244.2.2") == "192.168.49.3"


@pytest.mark.parametrize(
    ("image", "argv", "agent"),
    [
        ("nginx:1.27", ["curl", "-s", "http://web"], "curl/7.88.1"),
        ("busybox:1.36", ["wget", "-qO-", "http://web"], "Wget"),
    ],
)
def test_an_exec_d_request_is_kept_for_the_log_with_its_tool_s_agent(
    image, argv, agent
):
    from cluster.nodes import exec_shell

    svc = service(port=80, target=80)
    client = pod("client", "10.244.3.9", "worker-3", image=image)
    v = view([*PODS, client], [svc], [slice_for(svc, PODS, port=80)])
    ctx = exec_shell.ExecContext(client, "app", v, AT, random.Random(1))

    assert exec_shell.run(ctx, argv).exit_code == 0
    [trace] = ctx.served
    assert trace.pod["name"] in ("web-a", "web-b")
    assert access_log.entry(trace)["agent"] == agent

    assert exec_shell.run(ctx, ["sh", "-c", "curl -s http://nope"]).exit_code
    assert len(ctx.served) == 1  # an unanswered request is not kept


def test_nginx_s_404_page_is_the_153_bytes_its_log_counts():
    trace = _one_request({"pod": pod("c", "10.244.3.9", "worker-3")}, "http://web/x")
    assert trace.status == 404
    assert access_log.entry(trace)["bytes"] == 153
