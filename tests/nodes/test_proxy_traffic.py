"""kube-proxy rules, DNS, ingress routing and requests through them."""

import random

import pytest

from cluster.nodes import dns, ingress, proxy, responses, traffic
from tests.nodes.netkit import pod, service, slice_for, view

PODS = [
    pod("web-a", "10.244.1.2", "worker-1"),
    pod("web-b", "10.244.2.2", "worker-2"),
    pod("web-c", "10.244.2.3", "worker-2"),
]


def test_endpoint_rules_carry_iptables_probabilities_one_over_n_minus_i():
    svc = service(node_port=30080, type_="NodePort")
    rules = proxy.build_rules("worker-1", [svc], [slice_for(svc, PODS)])
    entry = rules["services"][0]
    assert [e["probability"] for e in entry["endpoints"]] == [0.3333333333, 0.5, None]
    assert entry["chain"] == proxy.chain("KUBE-SVC", "default/web", "TCP")
    assert entry["chain"].startswith("KUBE-SVC-") and len(entry["chain"]) == 25
    assert "--probability 0.3333333333" in proxy.iptables_save(rules)


def test_a_thousand_nodeport_requests_spread_evenly_over_ready_pods():
    svc = service(node_port=30080, type_="NodePort")
    v = view(PODS, [svc], [slice_for(svc, PODS)])
    traces = traffic.load(
        v, {"ip": "203.0.113.7"}, "http://192.168.49.5:30080/", random.Random(42), 1000
    )
    counts = traffic.spread(traces)
    assert set(counts) == {"web-a", "web-b", "web-c"}
    # Chi-square with 2 degrees of freedom stays under 13.8 (p = 0.001).
    chi2 = sum((n - 1000 / 3) ** 2 / (1000 / 3) for n in counts.values())
    assert chi2 < 13.8
    assert traces[0].body.startswith("Hello Kubernetes bootcamp! | Running on: web-")
    assert (
        traces[0].client_ip == "192.168.49.5"
    )  # Cluster policy masquerades to the entry node


def test_stale_rules_on_a_node_whose_kube_proxy_stopped_time_out_there_only():
    svc = service(node_port=30080, type_="NodePort")
    old_slice = slice_for(svc, PODS)
    v = view(PODS[:1], [svc], [slice_for(svc, PODS[:1])])
    # worker-2's kube-proxy stopped before web-b and web-c went away.
    v.node_rules["worker-2"] = proxy.build_rules("worker-2", [svc], [old_slice])
    rng = random.Random(3)
    good = traffic.load(v, {"ip": "203.0.113.7"}, "http://192.168.49.3:30080/", rng, 50)
    stale = traffic.load(
        v, {"ip": "203.0.113.7"}, "http://192.168.49.4:30080/", rng, 50
    )
    assert traffic.spread(good) == {"web-a": 50}
    failures = [t for t in stale if not t.ok]
    assert failures and all(
        t.error
        == "curl: (28) Failed to connect to 192.168.49.4 port 30080 after 130000 ms: Couldn't connect to server"
        for t in failures
    )
    assert failures[0].hops[-1]["step"] == "endpoint"


def test_a_service_scaled_to_zero_rejects_connections():
    svc = service()
    client = pod(
        "client",
        "10.244.1.9",
        "worker-1",
        image="curlimages/curl:8.5.0",
        labels={"run": "client"},
    )
    v = view([client], [svc], [slice_for(svc, [])])
    t = traffic.send_request(v, {"pod": client}, "http://web", random.Random(1))
    assert (t.ok, t.exit_code, t.error) == (
        False,
        7,
        "curl: (7) Failed to connect to web port 80 after 0 ms: Couldn't connect to server",
    )
    assert [h["step"] for h in t.hops] == ["dns", "service", "kube-proxy"]
    assert t.hops[-1]["detail"] == "default/web has no endpoints (REJECT)"


def test_an_unknown_name_fails_dns():
    client = pod("client", "10.244.1.9", "worker-1", labels={"run": "client"})
    t = traffic.send_request(
        view([client], [], []), {"pod": client}, "http://nope/", random.Random(1)
    )
    assert (t.exit_code, t.error) == (6, "curl: (6) Could not resolve host: nope")


def test_a_pod_curling_a_service_name_reaches_nginx_through_its_nodes_rules():
    nginx = [
        pod(
            "nginx-1",
            "10.244.2.7",
            "worker-2",
            image="nginx:1.27",
            labels={"app": "web"},
        )
    ]
    svc = service(target=80)
    client = pod("client", "10.244.1.9", "worker-1", labels={"run": "client"})
    v = view(nginx + [client], [svc], [slice_for(svc, nginx, port=80)])
    t = traffic.send_request(v, {"pod": client}, "web", random.Random(1))
    assert (t.ok, t.status, t.body) == (True, 200, responses.NGINX_WELCOME)
    assert [(h["step"], h["ok"]) for h in t.hops] == [
        ("dns", True),
        ("service", True),
        ("kube-proxy", True),
        ("endpoint", True),
        ("container", True),
    ]
    assert t.hops[0]["detail"] == "web.default.svc.cluster.local → 10.96.100.10"
    assert t.hops[1]["detail"] == "default/web: ClusterIP 10.96.100.10:80"
    assert t.hops[2]["node"] == "worker-1"  # the client's node routes it
    assert t.hops[3] == {
        "step": "endpoint",
        "detail": "10.244.2.7:80 is pod default/nginx-1 on worker-2",
        "ok": True,
        "pod": "nginx-1",
        "namespace": "default",
        "node": "worker-2",
    }
    assert t.pod == {
        "namespace": "default",
        "name": "nginx-1",
        "uid": "uid-nginx-1",
        "node": "worker-2",
        "container": "app",
    }


def test_target_port_that_nothing_listens_on_is_refused():
    svc = service(target=9999)
    client = pod("client", "10.244.1.9", "worker-1", labels={"run": "client"})
    v = view(PODS + [client], [svc], [slice_for(svc, PODS, port=9999)])
    t = traffic.send_request(v, {"pod": client}, "web", random.Random(1))
    assert (t.exit_code, t.hops[-1]["step"]) == (7, "container")


def test_local_external_traffic_policy_drops_on_nodes_without_endpoints():
    svc = service(node_port=30080, type_="NodePort", externalTrafficPolicy="Local")
    v = view(PODS, [svc], [slice_for(svc, PODS)])
    rng = random.Random(5)
    assert traffic.spread(
        traffic.load(v, {"ip": "203.0.113.7"}, "192.168.49.3:30080", rng, 20)
    ) == {"web-a": 20}
    t = traffic.send_request(v, {"ip": "203.0.113.7"}, "192.168.49.5:30080", rng)
    assert (t.ok, t.exit_code) == (False, 28)
    ok = traffic.send_request(v, {"ip": "203.0.113.7"}, "192.168.49.3:30080", rng)
    assert ok.client_ip == "203.0.113.7"  # Local keeps the client's address


def test_client_ip_session_affinity_sticks_to_one_endpoint():
    svc = service(sessionAffinity="ClientIP")
    client = pod("client", "10.244.1.9", "worker-1", labels={"run": "client"})
    v = view(PODS + [client], [svc], [slice_for(svc, PODS)])
    affinity: dict = {}
    traces = traffic.load(
        v, {"pod": client}, "web", random.Random(9), 30, affinity=affinity
    )
    assert len(traffic.spread(traces)) == 1


def test_network_policy_denying_ingress_times_out():
    svc = service()
    client = pod("client", "10.244.1.9", "worker-1", labels={"run": "client"})
    deny = {
        "metadata": {"name": "deny", "namespace": "default"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "web"}},
            "policyTypes": ["Ingress"],
        },
    }
    v = view(PODS + [client], [svc], [slice_for(svc, PODS)], network_policies=[deny])
    t = traffic.send_request(v, {"pod": client}, "web", random.Random(1))
    assert (t.exit_code, t.hops[-1]["step"]) == (28, "network-policy")


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        pytest.param("web", ["10.96.100.10"], id="short-name"),
        pytest.param("web.default", ["10.96.100.10"], id="name-namespace"),
        pytest.param("web.default.svc.cluster.local", ["10.96.100.10"], id="fqdn"),
        pytest.param("db", ["10.244.1.2", "10.244.2.2"], id="headless"),
        pytest.param("nope", None, id="nxdomain"),
    ],
)
def test_dns_answers_services_from_the_pods_search_path(name, answer):
    web = service()
    db = service(name="db", ip="None")
    db_pods = PODS[:2]
    result = dns.resolve(name, "default", [web, db], [slice_for(db, db_pods)], PODS)
    assert (result.addresses if result else None) == answer


def test_nslookup_prints_the_busybox_answer():
    text, code = dns.nslookup("web", "default", [service()], [], [])
    assert (text, code) == (
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tweb.default.svc.cluster.local\nAddress: 10.96.100.10\n\n",
        0,
    )


def _ing(name, host, paths, default=None):
    spec = {
        "ingressClassName": "nginx",
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": p,
                            "pathType": t,
                            "backend": {"service": {"name": s, "port": {"number": 80}}},
                        }
                        for p, t, s in paths
                    ]
                },
            }
        ],
    }
    if default:
        spec["defaultBackend"] = {"service": {"name": default, "port": {"number": 80}}}
    return {"metadata": {"name": name, "namespace": "default"}, "spec": spec}


INGRESSES = [
    _ing(
        "shop",
        "shop.example.com",
        [
            ("/", "Prefix", "shop-front"),
            ("/api", "Prefix", "shop-api"),
            ("/api/v2", "Exact", "shop-api-v2"),
        ],
    ),
    _ing("blog", "*.blog.example.com", [("/", "Prefix", "blog")]),
]


@pytest.mark.parametrize(
    ("host", "path", "backend"),
    [
        pytest.param("shop.example.com", "/", "shop-front", id="root"),
        pytest.param(
            "shop.example.com", "/api/orders", "shop-api", id="longest-prefix"
        ),
        pytest.param(
            "shop.example.com", "/apiary", "shop-front", id="prefix-whole-segments"
        ),
        pytest.param("shop.example.com", "/api/v2", "shop-api-v2", id="exact"),
        pytest.param(
            "shop.example.com", "/api/v2/x", "shop-api", id="exact-not-prefix"
        ),
        pytest.param("me.blog.example.com", "/post", "blog", id="wildcard-one-label"),
        pytest.param("a.me.blog.example.com", "/", None, id="wildcard-not-two-labels"),
        pytest.param("other.example.com", "/", None, id="no-host"),
    ],
)
def test_ingress_routes_by_host_then_longest_path(host, path, backend):
    match = ingress.route(INGRESSES, host, path)
    assert (match.backend["service"]["name"] if match else None) == backend


def test_exact_beats_prefix_of_the_same_length():
    ings = [
        _ing("a", "x.com", [("/foo", "Prefix", "prefix"), ("/foo", "Exact", "exact")])
    ]
    assert ingress.route(ings, "x.com", "/foo").backend["service"]["name"] == "exact"


@pytest.mark.parametrize(
    ("rule", "path", "matches"),
    [
        pytest.param("/foo/bar", "/foo/bar/", True, id="request-trailing-slash"),
        pytest.param("/foo/bar/", "/foo/bar", True, id="rule-trailing-slash"),
        pytest.param("/foo/bar", "/foo/bar/baz", True, id="sub-path"),
        pytest.param("/foo/bar", "/foo/barbaz", False, id="not-a-segment"),
        pytest.param("/foo", "/FOO", False, id="case-sensitive"),
        pytest.param("/", "/anything/at/all", True, id="root-matches-all"),
    ],
)
def test_prefix_paths_match_whole_segments(rule, path, matches):
    assert ingress.path_matches("Prefix", rule, path) is matches


def test_no_matching_rule_falls_back_to_the_default_backend():
    ings = [_ing("a", "x.com", [("/api", "Exact", "api")], default="fallback")]
    match = ingress.route(ings, "x.com", "/api/v1")
    assert (match.backend["service"]["name"], match.default) == ("fallback", True)


def test_requests_through_the_ingress_reach_each_hosts_service():
    front = [
        pod(
            "front-1",
            "10.244.1.5",
            "worker-1",
            image="nginx:1.27",
            labels={"app": "shop-front"},
        )
    ]
    api = [
        pod(
            "api-1",
            "10.244.2.5",
            "worker-2",
            image="gcr.io/google-samples/hello-app:2.0",
            labels={"app": "shop-api"},
        )
    ]
    svcs = [
        service("shop-front", "10.96.1.1", target=80),
        service("shop-api", "10.96.1.2", target=8080),
        service("blog", "10.96.1.3"),
    ]
    slices = [
        slice_for(svcs[0], front, port=80),
        slice_for(svcs[1], api),
        slice_for(svcs[2], []),
    ]
    v = view(front + api, svcs, slices, ingresses=INGRESSES)
    rng = random.Random(2)
    home = traffic.send_request(
        v, {"ip": "203.0.113.7"}, "http://shop.example.com/", rng
    )
    orders = traffic.send_request(
        v, {"ip": "203.0.113.7"}, "http://shop.example.com/api/orders", rng
    )
    blog = traffic.send_request(
        v, {"ip": "203.0.113.7"}, "http://me.blog.example.com/", rng
    )
    missing = traffic.send_request(
        v, {"ip": "203.0.113.7"}, "http://nothing.example.com/", rng
    )
    assert (home.status, home.body) == (200, responses.NGINX_WELCOME)
    assert (orders.status, orders.body) == (
        200,
        "Hello, world!\nVersion: 2.0.0\nHostname: api-1\n",
    )
    assert (blog.status, missing.status) == (503, 404)
    assert [h["step"] for h in home.hops] == [
        "ingress",
        "service",
        "endpoint",
        "container",
    ]
    assert (home.hops[0]["ingress"], home.hops[1]["service"]) == (
        "default/shop",
        "default/shop-front",
    )
    assert (blog.hops[-1]["service"], blog.hops[-1]["ok"]) == ("default/blog", False)


def test_a_nodeport_on_a_powered_off_node_times_out_there():
    svc = service(node_port=30080, type_="NodePort")
    v = view(PODS, [svc], [slice_for(svc, PODS)], down_nodes={"worker-2"})
    t = traffic.send_request(
        v, {"ip": "203.0.113.7"}, "http://192.168.49.4:30080/", random.Random(1)
    )
    assert (t.ok, t.exit_code) == (False, 28)
    assert t.error == (
        "curl: (28) Failed to connect to 192.168.49.4 port 30080 after 130000 ms: "
        "Couldn't connect to server"
    )
    assert [(h["step"], h["ok"]) for h in t.hops] == [("node", False)]


def test_an_endpoint_on_a_powered_off_node_times_out_until_endpoints_drop_it():
    svc = service(node_port=30080, type_="NodePort")
    v = view(PODS[:1], [svc], [slice_for(svc, PODS[:1])], down_nodes={"worker-1"})
    t = traffic.send_request(
        v, {"ip": "203.0.113.7"}, "http://192.168.49.5:30080/", random.Random(1)
    )
    assert (t.ok, t.exit_code) == (False, 28)
    assert [(h["step"], h["ok"]) for h in t.hops] == [
        ("service", True),
        ("kube-proxy", True),
        ("endpoint", False),
    ]
    assert t.hops[-1]["detail"] == (
        "10.244.1.2 is pod web-a on worker-1, which is powered off"
    )
