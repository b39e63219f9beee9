"""The cluster as the course notes describe it: components that run, fail and recover.

Each test drives the simulated clock by hand (fast_forward), never sleeps.
"""

from __future__ import annotations

import pytest

from cluster import operations
from cluster.apiserver import errors
from cluster.kinds import by_kind
from cluster.models import Component, Machine
from cluster.nodes.lifecycle import SANDBOX_CHANGED
from cluster.objects import quantity
from cluster.scheduler import podinfo
from tests.engine.kit import (
    DEPLOYMENT,
    POD,
    api,
    component,
    deployment,
    event_reasons,
    new_cluster,
    nodes,
    phases,
    pods,
    ready,
)

pytestmark = pytest.mark.django_db


def test_a_new_cluster_comes_up_like_kubeadm_left_it():
    cluster = new_cluster()
    operations.fast_forward(cluster, 30)
    assert {name: ready(n) for name, n in nodes(cluster).items()} == {
        "control-plane": "True",
        "worker1": "True",
        "worker2": "True",
    }
    dns = pods(cluster, "kube-system", "k8s-app=kube-dns")
    assert phases(dns) == ["Running", "Running"]
    # The control-plane taint keeps CoreDNS's tolerations honest: both land on workers
    # or the master, never unscheduled.
    assert all(p["spec"]["nodeName"] for p in dns)
    leaders = Component.objects.filter(machine__cluster=cluster, leader=True)
    assert sorted(c.kind for c in leaders) == [
        "cloud-controller-manager",
        "kube-controller-manager",
        "kube-scheduler",
    ]


def test_deployment_pods_get_scheduled_pulled_and_run():
    cluster = new_cluster()
    api(cluster).create(deployment("web", 3))
    operations.fast_forward(cluster, 60)
    running = pods(cluster, label="app=web")
    assert phases(running) == ["Running"] * 3
    for pod in running:
        assert pod["metadata"]["name"].startswith("web-")
        assert pod["status"]["podIP"].startswith("10.244.")
    reasons = event_reasons(cluster)
    for reason in (
        "Scheduled",
        "Pulling",
        "Pulled",
        "Created",
        "Started",
        "SuccessfulCreate",
    ):
        assert reason in reasons


def test_without_a_scheduler_new_pods_stay_pending_until_it_returns():
    cluster = new_cluster()
    operations.set_component_state(
        component(cluster, "control-plane", "kube-scheduler"), "stopped"
    )
    api(cluster).create(deployment("web", 2))
    operations.fast_forward(cluster, 60)
    waiting = pods(cluster, label="app=web")
    assert len(waiting) == 2
    assert all(not p["spec"].get("nodeName") for p in waiting)
    assert phases(waiting) == ["Pending", "Pending"]

    operations.set_component_state(
        component(cluster, "control-plane", "kube-scheduler"), "running"
    )
    operations.fast_forward(cluster, 60)
    assert phases(pods(cluster, label="app=web")) == ["Running", "Running"]


def test_without_the_controller_manager_deleted_pods_are_not_replaced():
    cluster = new_cluster()
    api(cluster).create(deployment("web", 2))
    operations.fast_forward(cluster, 60)
    operations.set_component_state(
        component(cluster, "control-plane", "kube-controller-manager"), "stopped"
    )
    victim = pods(cluster, label="app=web")[0]["metadata"]["name"]
    api(cluster).delete(POD, "default", victim)
    operations.fast_forward(cluster, 60)
    assert len(pods(cluster, label="app=web")) == 1

    operations.set_component_state(
        component(cluster, "control-plane", "kube-controller-manager"), "running"
    )
    operations.fast_forward(cluster, 60)
    assert phases(pods(cluster, label="app=web")) == ["Running", "Running"]


def test_a_powered_off_worker_goes_not_ready_and_its_pods_are_evicted_after_300s():
    cluster = new_cluster()
    api(cluster).create(deployment("web", 4))
    operations.fast_forward(cluster, 60)
    worker = Machine.objects.get(cluster=cluster, name="worker1")
    on_worker1 = [
        p for p in pods(cluster, label="app=web") if p["spec"]["nodeName"] == "worker1"
    ]
    assert on_worker1, "the scheduler spread pods over both workers"

    operations.set_power(worker, False)
    operations.fast_forward(cluster, 30)
    assert ready(nodes(cluster)["worker1"]) == "True"  # within the 40 s grace period
    operations.fast_forward(cluster, 30)
    assert ready(nodes(cluster)["worker1"]) == "Unknown"
    taints = {t["key"] for t in nodes(cluster)["worker1"]["spec"].get("taints", [])}
    assert "node.kubernetes.io/unreachable" in taints

    operations.fast_forward(cluster, 330)  # past the 300 s toleration
    live = [
        p
        for p in pods(cluster, label="app=web")
        if not p["metadata"].get("deletionTimestamp")
    ]
    assert len(live) == 4
    assert {p["spec"]["nodeName"] for p in live} == {"worker2"}
    assert phases(live) == ["Running"] * 4


def test_losing_etcd_quorum_refuses_writes_the_way_etcd_does():
    cluster = new_cluster("ha")
    operations.fast_forward(cluster, 30)
    operations.set_component_state(
        component(cluster, "control-plane2", "etcd"), "stopped"
    )
    api(cluster).create(deployment("still-ok", 1))  # 2 of 3 members: quorum holds
    operations.set_component_state(
        component(cluster, "control-plane3", "etcd"), "stopped"
    )
    with pytest.raises(errors.ApiError) as refused:
        api(cluster).create(deployment("no-quorum", 1))
    assert refused.value.code == 500
    assert refused.value.message == "etcdserver: request timed out"


def test_with_no_api_server_every_call_is_refused():
    cluster = new_cluster()
    operations.set_component_state(
        component(cluster, "control-plane", "kube-apiserver"), "stopped"
    )
    with pytest.raises(errors.ApiError) as refused:
        api(cluster).list(POD)
    assert refused.value.code == 503


def test_ha_scheduler_leadership_moves_when_the_leader_stops():
    cluster = new_cluster("ha")
    operations.fast_forward(cluster, 30)
    leader = Component.objects.get(
        machine__cluster=cluster, kind="kube-scheduler", leader=True
    )
    operations.set_component_state(leader, "stopped")
    operations.fast_forward(cluster, 20)  # the 15 s lease runs out, another takes it
    new_leader = Component.objects.get(
        machine__cluster=cluster, kind="kube-scheduler", leader=True
    )
    assert new_leader.pk != leader.pk
    assert "LeaderElection" in event_reasons(cluster, "kube-system")
    api(cluster).create(deployment("web", 2))
    operations.fast_forward(cluster, 60)
    assert phases(pods(cluster, label="app=web")) == ["Running", "Running"]


def test_snapshot_restore_brings_the_keyspace_back():
    cluster = new_cluster()
    operations.fast_forward(cluster, 10)
    snapshot = operations.take_snapshot(cluster, "before")
    api(cluster).create(deployment("later", 1))
    operations.restore_snapshot(snapshot)
    names = [
        d["metadata"]["name"] for d in api(cluster).list(DEPLOYMENT, "default").items
    ]
    assert names == []


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (lambda c: operations.set_speed(c, 3), "speed must be one of"),
        (lambda c: operations.add_machine(c, "router"), "role must be"),
        (
            lambda c: operations.set_component_state(
                component(c, "worker1", "kubelet"), "paused"
            ),
            "state must be one of",
        ),
        (
            lambda c: operations.remove_machine(
                Machine.objects.get(cluster=c, name="control-plane")
            ),
            "at least one control-plane",
        ),
        (lambda c: operations.fast_forward(c, -5), "seconds must be positive"),
    ],
)
def test_bad_operations_are_refused_with_a_reason(operation, message):
    cluster = new_cluster()
    with pytest.raises(operations.OperationError, match=message):
        operation(cluster)


def test_an_added_worker_registers_and_takes_pods():
    cluster = new_cluster()
    machine = operations.add_machine(cluster, "worker")
    assert machine.name == "worker3"
    operations.fast_forward(cluster, 20)
    assert ready(nodes(cluster)["worker3"]) == "True"


def test_a_stopped_kubelet_stops_heartbeats_and_the_node_goes_unknown():
    cluster = new_cluster()
    operations.fast_forward(cluster, 15)
    operations.set_component_state(component(cluster, "worker2", "kubelet"), "stopped")
    operations.fast_forward(cluster, 70)  # past the node monitor grace period
    node = nodes(cluster)["worker2"]
    assert ready(node) == "Unknown"
    condition = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
    assert condition["reason"] == "NodeStatusUnknown"
    assert condition["message"] == "Kubelet stopped posting node status."


def test_a_stopped_container_runtime_makes_the_node_not_ready_with_its_reason():
    cluster = new_cluster()
    operations.fast_forward(cluster, 15)
    operations.set_component_state(
        component(cluster, "worker1", "container-runtime"), "stopped"
    )
    operations.fast_forward(cluster, 60)
    node = nodes(cluster)["worker1"]
    assert ready(node) == "False"
    condition = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
    assert "container runtime" in condition["message"].lower()


def test_the_kubernetes_service_endpoints_are_the_running_api_servers():
    cluster = new_cluster("ha")
    operations.fast_forward(cluster, 5)
    endpoints_kind = by_kind("Endpoints")

    def addresses():
        ep = api(cluster).get(endpoints_kind, "default", "kubernetes")
        return [
            (a["ip"], s["ports"][0]["port"])
            for s in ep["subsets"]
            for a in s["addresses"]
        ]

    assert addresses() == [
        ("172.18.0.2", 6443),
        ("172.18.0.3", 6443),
        ("172.18.0.4", 6443),
    ]
    operations.set_component_state(
        component(cluster, "control-plane2", "kube-apiserver"), "stopped"
    )
    operations.fast_forward(cluster, 5)
    assert addresses() == [("172.18.0.2", 6443), ("172.18.0.4", 6443)]


def test_kube_proxy_rules_are_rewritten_only_when_services_change():
    cluster = new_cluster()
    operations.fast_forward(cluster, 30)
    proxy = component(cluster, "worker1", "kube-proxy")
    synced = proxy.memory["rules"]["synced_at"]
    operations.fast_forward(cluster, 30)  # heartbeats only
    proxy.refresh_from_db()
    assert proxy.memory["rules"]["synced_at"] == synced

    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
    }
    api(cluster).create(service)
    operations.fast_forward(cluster, 5)
    proxy.refresh_from_db()
    assert proxy.memory["rules"]["synced_at"] > synced
    names = {(e["namespace"], e["name"]) for e in proxy.memory["rules"]["services"]}
    assert ("default", "web") in names


@pytest.mark.parametrize("offset", [0.3, 7.9, 9.6])
def test_a_resting_cluster_ticks_once_per_heartbeat_period(offset):
    """Every kubelet's Lease renewal and node status check, and the leaders' Lease
    renewals, share one tick every 10 s, also when a node joined out of step (the
    kubelet's two loops, or a leader's renewal, used to drift into a second tick)."""
    from cluster.engine.tick import tick
    from cluster.simtime import parse_rfc3339

    cluster = new_cluster()
    operations.fast_forward(cluster, offset)
    operations.add_machine(cluster, "worker")
    api(cluster).create(deployment("web", 3))
    cluster = operations.fast_forward(cluster, 120)
    ticks, now, end = 0, cluster.next_timer, cluster.next_timer + 300
    while now < end:
        tick(cluster.pk, now)
        ticks += 1
        cluster.refresh_from_db()
        now = cluster.next_timer

    assert ticks <= 30  # 6 a sim minute
    leases = api(cluster).list(by_kind("Lease"), "kube-node-lease").items
    renewed = [parse_rfc3339(lease["spec"]["renewTime"]) for lease in leases]
    assert len(renewed) == 4
    assert all(now - t <= 11 for t in renewed)


def _pinned(name: str, node: str, cpu: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "nodeName": node,
            "containers": [
                {
                    "name": "web",
                    "image": "nginx:1.27",
                    "resources": {"requests": {"cpu": cpu}},
                }
            ],
        },
    }


def test_a_pod_pinned_with_node_name_skips_the_scheduler_but_not_the_kubelet():
    cluster = new_cluster()
    operations.set_component_state(
        component(cluster, "control-plane", "kube-scheduler"), "stopped"
    )
    allocatable = nodes(cluster)["worker1"]["status"]["allocatable"]["cpu"]
    api(cluster).create(_pinned("fits", "worker1", "100m"))
    api(cluster).create(_pinned("too-big", "worker1", "64"))
    operations.fast_forward(cluster, 30)

    by_name = {p["metadata"]["name"]: p for p in pods(cluster)}
    assert by_name["fits"]["status"]["phase"] == "Running"
    refused = by_name["too-big"]["status"]
    assert (refused["phase"], refused["reason"]) == ("Failed", "OutOfcpu")
    capacity = quantity.millicores(allocatable)
    used = sum(  # what the kubelet had admitted: "fits" and the system pods there
        podinfo.pod_requests(p["spec"]).get("cpu", 0)
        for p in pods(cluster, namespace=None)
        if p["spec"].get("nodeName") == "worker1" and p["metadata"]["name"] != "too-big"
    )
    assert 100 < used < capacity
    assert refused["message"] == (
        "Pod was rejected: Node didn't have enough resource: cpu, requested: 64000, "
        f"used: {used}, capacity: {capacity}"
    )
    assert "OutOfcpu" in event_reasons(cluster)


def test_a_rebooted_worker_keeps_its_images_and_restarts_its_pods():
    """As on a kubeadm node: the kubelet finds the containers exited (255, Unknown),
    makes each pod a new sandbox with a new address, and starts the containers again,
    so RESTARTS goes to 1."""
    from tests.engine.kit import EVENT, events_about, paused_cluster, settle

    cluster = paused_cluster()
    api(cluster).create(deployment("web", 2))
    settle(cluster, 30)
    before = {
        p["metadata"]["name"]: p
        for p in pods(cluster, label="app=web")
        if p["spec"]["nodeName"] == "worker1"
    }
    on_worker = list(before)
    assert on_worker
    worker = Machine.objects.get(cluster=cluster, name="worker1")
    operations.set_power(worker, False)
    operations.fast_forward(cluster, 20)
    operations.set_power(worker, True)
    operations.fast_forward(cluster, 30)

    for name in on_worker:
        reasons = [reason for reason, _ in events_about(cluster, name)]
        assert reasons.count("Pulling") == 1  # pulled before the reboot only
        pulled_again = [
            message
            for reason, message in events_about(cluster, name)
            if reason == "Pulled"
        ][-1]
        assert "already present on machine" in pulled_again
        (started,) = [
            e
            for e in api(cluster).list(EVENT, "default").items
            if e["involvedObject"]["name"] == name and e["reason"] == "Started"
        ]
        assert started["count"] == 2  # once before the reboot, once after
        assert ("SandboxChanged", SANDBOX_CHANGED) in events_about(cluster, name)
        pod = api(cluster).get(POD, "default", name)
        (status,) = pod["status"]["containerStatuses"]
        (old,) = before[name]["status"]["containerStatuses"]
        assert status["restartCount"] == 1
        assert status["ready"] and "running" in status["state"]
        last = status["lastState"]["terminated"]
        assert (last["exitCode"], last["reason"]) == (255, "Unknown")
        assert last["containerID"] == old["containerID"] != status["containerID"]
        assert pod["status"]["podIP"] != before[name]["status"]["podIP"]
        assert pod["status"]["startTime"] == before[name]["status"]["startTime"]
