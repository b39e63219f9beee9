"""Node registration, Lease renewal and node status posting."""

import pytest

from cluster.actions import Create, RecordEvent, Update, UpdateStatus
from cluster.nodes import node_status
from tests.nodes.nodekit import T0, WORKER, Node


def test_a_new_kubelet_registers_its_node_with_capacity_labels_and_events():
    node = Node()
    node.step(T0)
    created = [a for _, a in node.log if isinstance(a, Create)]
    assert len(created) == 1
    obj = created[0].obj
    assert obj["metadata"]["labels"] == {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": "worker-1",
        "kubernetes.io/os": "linux",
    }
    assert obj["status"]["capacity"] == {
        "cpu": "2",
        "ephemeral-storage": "104857600Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": "4194304Ki",
        "pods": "110",
    }
    assert (
        obj["status"]["allocatable"]["memory"] == "4091904Ki"
    )  # minus memory.available<100Mi
    assert obj["status"]["allocatable"]["ephemeral-storage"] == str(
        int(100 * 2**30 * 0.9)
    )
    assert obj["status"]["nodeInfo"]["kubeletVersion"] == "v1.32.4"
    assert obj["status"]["nodeInfo"]["containerRuntimeVersion"].startswith(
        "containerd://1.7."
    )
    assert obj["status"]["addresses"] == [
        {"type": "InternalIP", "address": "192.168.49.3"},
        {"type": "Hostname", "address": "worker-1"},
    ]
    assert obj["spec"] == {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"]}
    ready = obj["status"]["conditions"][-1]
    assert (ready["type"], ready["status"], ready["reason"], ready["message"]) == (
        "Ready",
        "True",
        "KubeletReady",
        "kubelet is posting ready status",
    )
    assert [a.reason for _, a in node.log if isinstance(a, RecordEvent)] == [
        "Starting",
        "NodeHasSufficientMemory",
        "NodeHasNoDiskPressure",
        "NodeHasSufficientPID",
        "NodeAllocatableEnforced",
    ]


def test_control_plane_nodes_get_the_role_label_and_no_schedule_taint():
    node = Node(machine={**WORKER, "name": "cp-1", "role": "control-plane"})
    node.step(T0)
    obj = node.node
    assert obj["metadata"]["labels"]["node-role.kubernetes.io/control-plane"] == ""
    assert obj["spec"]["taints"] == [
        {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
    ]


def test_lease_is_created_then_renewed_every_ten_seconds():
    node = Node()
    node.step(T0)
    node.run_until(T0 + 45, start=T0 + 1)
    lease_writes = [
        (round(t - T0, 3), type(a).__name__)
        for t, a in node.log
        if isinstance(a, (Create, Update)) and a.obj["kind"] == "Lease"
    ]
    assert lease_writes == [
        (1.0, "Create"),
        (11.0, "Update"),
        (21.0, "Update"),
        (31.0, "Update"),
        (41.0, "Update"),
    ]
    spec = node.lease["spec"]
    assert (
        spec["holderIdentity"],
        spec["leaseDurationSeconds"],
        spec["renewTime"],
    ) == ("worker-1", 40, "2023-11-14T22:14:01.000000Z")
    assert node.lease["metadata"]["namespace"] == "kube-node-lease"


def test_unchanged_node_status_is_posted_only_every_five_minutes():
    node = Node()
    node.step(T0)
    node.run_until(T0 + 700, start=T0 + 1)
    posts = [
        round(t - T0)
        for t, a in node.log
        if isinstance(a, UpdateStatus) and a.obj["kind"] == "Node"
    ]
    # Registration carried a fresh status, so the first re-post waits for the report
    # period; each post comes at the first 10 s status check after it is due.
    period = node_status.STATUS_REPORT_PERIOD
    gaps = [b - a for a, b in zip([0, *posts], posts)]
    assert len(posts) == 2
    assert all(
        period <= gap < period + node_status.STATUS_UPDATE_PERIOD for gap in gaps
    )


def test_a_stopped_container_runtime_turns_the_node_not_ready():
    node = Node()
    node.step(T0)
    node.run_until(T0 + 15, start=T0 + 1)
    node.runtime_up = False
    node.run_until(T0 + 250, start=T0 + 20)
    changes = [
        (
            round(t - T0),
            a.obj["status"]["conditions"][-1]["status"],
            a.obj["status"]["conditions"][-1]["message"],
        )
        for t, a in node.log
        if isinstance(a, UpdateStatus) and a.obj["kind"] == "Node"
    ]
    # Each change shows at the first 10 s status check after it happens: 30 s after the
    # runtime stopped (at +20), then at the PLEG threshold, 3 min after it stopped.
    first_time, status, message = changes[0]
    assert 50 <= first_time < 60
    assert (status, message) == ("False", "container runtime is down")
    assert 200 <= changes[1][0] < 210
    assert changes[-1][2].startswith(
        "[container runtime is down, PLEG is not healthy: pleg was last seen active 3m"
    )
    assert ("NodeNotReady", "Node worker-1 status is now: NodeNotReady") in [
        (a.reason, a.message) for _, a in node.log if isinstance(a, RecordEvent)
    ]


@pytest.mark.parametrize(
    ("down_for", "message"),
    [
        pytest.param(None, None, id="up"),
        pytest.param(10.0, None, id="grace"),
        pytest.param(60.0, node_status.RUNTIME_DOWN_MESSAGE, id="down"),
    ],
)
def test_ready_message_follows_the_runtime(down_for, message):
    since = None if down_for is None else 1000.0 - down_for
    assert node_status.ready_message(since, 1000.0) == message


def test_cordon_and_uncordon_are_reported_at_the_next_status_check():
    node = Node()
    node.step(T0)
    node.run_until(T0 + 15, start=T0 + 1)
    node.node["spec"]["unschedulable"] = True  # kubectl cordon
    node.run_until(T0 + 40)
    node.node["spec"].pop("unschedulable")  # kubectl uncordon
    node.run_until(T0 + 60)
    events = [
        (t, r, m)
        for t, r, m in node.events(kinds=("Node",))
        if r in ("NodeNotSchedulable", "NodeSchedulable")
    ]
    assert [(r, m) for _, r, m in events] == [
        ("NodeNotSchedulable", "Node worker-1 status is now: NodeNotSchedulable"),
        ("NodeSchedulable", "Node worker-1 status is now: NodeSchedulable"),
    ]
    assert 15 < events[0][0] <= 15 + node_status.STATUS_UPDATE_PERIOD
    assert 40 < events[1][0] <= 40 + node_status.STATUS_UPDATE_PERIOD
