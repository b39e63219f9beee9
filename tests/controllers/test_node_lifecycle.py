"""Node lifecycle: health from leases, Unknown conditions, taints and taint-based eviction."""

import random

import pytest

from cluster.actions import Delete, Patch, RecordEvent, Ref
from cluster.controllers import node_lifecycle as nl
from cluster.simtime import rfc3339, rfc3339_micro
from tests.controllers import fakeapi
from tests.controllers.infra_builders import T0, default_tolerations, lease, node, pod

NODE_REF = Ref("Node", None, "worker-1", "v1", "worker-1-uid")
POD_REF = Ref("Pod", "default", "web-xyz", "v1", "web-xyz-uid")


def unknown(type_, now):
    return {
        "type": type_,
        "status": "Unknown",
        "lastHeartbeatTime": rfc3339(T0),
        "lastTransitionTime": rfc3339(now),
        "reason": "NodeStatusUnknown",
        "message": "Kubelet stopped posting node status.",
    }


def test_healthy_node_needs_nothing():
    """A node whose lease was renewed within the grace period is left alone."""
    view = {"Node": [node()], "Lease": [lease(renewed=T0 + 40)], "Pod": [pod()]}
    assert nl.sync(view, T0 + 80, random.Random(1)) == []


def test_silent_node_goes_unknown_taints_and_marks_pods_not_ready():
    """Past the 50 s grace the node turns Unknown, is tainted and its pods go not ready."""
    now = T0 + 50
    view = {
        "Node": [node()],
        "Lease": [lease()],
        "Pod": [pod(tolerations=default_tolerations())],
    }
    actions = nl.sync(view, now, random.Random(1))
    assert actions == [
        Patch(
            NODE_REF,
            {
                "status": {
                    "conditions": [
                        unknown(t, now)
                        for t in (
                            "MemoryPressure",
                            "DiskPressure",
                            "PIDPressure",
                            "Ready",
                        )
                    ]
                }
            },
            "status",
        ),
        Patch(
            NODE_REF,
            {
                "spec": {
                    "taints": [
                        {
                            "key": "node.kubernetes.io/unreachable",
                            "effect": "NoSchedule",
                        },
                        {
                            "key": "node.kubernetes.io/unreachable",
                            "effect": "NoExecute",
                            "timeAdded": rfc3339(now),
                        },
                    ]
                }
            },
        ),
        RecordEvent(
            NODE_REF,
            "Normal",
            "NodeNotReady",
            "Node worker-1 status is now: NodeNotReady",
            "node-controller",
        ),
        Patch(
            POD_REF,
            {
                "status": {
                    "conditions": [
                        {
                            "type": "PodScheduled",
                            "status": "True",
                            "lastTransitionTime": rfc3339(T0 - 600),
                        },
                        {
                            "type": "Ready",
                            "status": "False",
                            "lastTransitionTime": rfc3339(now),
                        },
                    ]
                }
            },
            "status",
        ),
        RecordEvent(
            POD_REF, "Warning", "NodeNotReady", "Node is not ready", "node-controller"
        ),
    ]


def test_node_failure_timeline_unknown_at_50s_evicted_300s_later():
    """kubelet stops at t=0: Unknown at +50 s (not before), pods deleted at +350 s."""
    view = {
        "Node": [node()],
        "Lease": [lease()],
        "Pod": [pod(tolerations=default_tolerations())],
    }
    rng = random.Random(1)
    assert nl.sync(view, T0 + 49, rng) == []
    assert nl.next_wake(view, T0 + 49) == T0 + 50
    events = []
    fakeapi.apply(view, nl.sync(view, T0 + 50, rng), T0 + 50, events)
    assert nl.sync(view, T0 + 51, rng) == []
    assert nl.next_wake(view, T0 + 51) == T0 + 350
    assert nl.sync(view, T0 + 349, rng) == []
    actions = nl.sync(view, T0 + 350, rng)
    fakeapi.apply(view, actions, T0 + 350, events)
    assert [a for a in actions if isinstance(a, Delete)] == [Delete(POD_REF)]
    assert events == [
        ("NodeNotReady", "Node worker-1 status is now: NodeNotReady"),
        ("NodeNotReady", "Node is not ready"),
        ("TaintManagerEviction", "Marking for deletion Pod default/web-xyz"),
    ]
    assert view["Pod"] == []


def leader_lease(acquired: float) -> dict:
    """The kube-controller-manager's leader Lease, taken at `acquired`."""
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "kube-controller-manager", "namespace": "kube-system"},
        "spec": {
            "holderIdentity": "control-plane_4f2b",
            "leaseDurationSeconds": 15,
            "acquireTime": rfc3339_micro(acquired),
            "renewTime": rfc3339_micro(acquired),
        },
    }


def test_a_controller_manager_just_started_gives_silent_nodes_a_whole_grace_period():
    """Its node monitor first sees every node when it takes its Lease, so a node silent
    since long before is marked Unknown 50 s after that, not at once."""
    started = T0 + 600
    view = {"Node": [node()], "Lease": [lease(), leader_lease(started)], "Pod": []}
    rng = random.Random(1)
    assert nl.sync(view, started, rng) == []
    assert nl.next_wake(view, started) == started + 50
    assert nl.sync(view, started + 49, rng) == []
    status, taints, event = nl.sync(view, started + 50, rng)
    conditions = status.patch["status"]["conditions"]
    assert {c["type"]: c["status"] for c in conditions} == dict.fromkeys(
        ("MemoryPressure", "DiskPressure", "PIDPressure", "Ready"), "Unknown"
    )
    assert event.reason == "NodeNotReady"


def test_recovered_node_loses_its_taints():
    """A node posting Ready again has the unreachable taints removed."""
    taints = [
        {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"},
        {
            "key": "node.kubernetes.io/unreachable",
            "effect": "NoExecute",
            "timeAdded": rfc3339(T0),
        },
        {"key": "dedicated", "value": "db", "effect": "NoSchedule"},
    ]
    view = {
        "Node": [node(taints=taints, heartbeat=T0 + 100)],
        "Lease": [lease(renewed=T0 + 100)],
    }
    assert nl.sync(view, T0 + 101, random.Random(1)) == [
        Patch(
            NODE_REF,
            {
                "spec": {
                    "taints": [
                        {"key": "dedicated", "value": "db", "effect": "NoSchedule"}
                    ]
                }
            },
        )
    ]


@pytest.mark.parametrize(
    ("ready", "unschedulable", "taints"),
    [
        pytest.param(
            "False",
            False,
            [
                {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"},
                {
                    "key": "node.kubernetes.io/not-ready",
                    "effect": "NoExecute",
                    "timeAdded": rfc3339(T0 + 10),
                },
            ],
            id="kubelet-reports-not-ready",
        ),
        pytest.param(
            "True",
            True,
            [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}],
            id="cordoned",
        ),
    ],
)
def test_taints_follow_conditions_and_cordon(ready, unschedulable, taints):
    """TaintNodesByCondition: not-ready taints for Ready=False, unschedulable for a cordon."""
    view = {
        "Node": [node(ready=ready, unschedulable=unschedulable)],
        "Lease": [lease()],
    }
    assert nl.sync(view, T0 + 10, random.Random(1)) == [
        Patch(NODE_REF, {"spec": {"taints": taints}})
    ]


@pytest.mark.parametrize(
    ("tolerations", "due"),
    [
        pytest.param([], T0, id="no-toleration-evicts-at-once"),
        pytest.param(default_tolerations(300), T0 + 300, id="default-300s"),
        pytest.param(default_tolerations(30), T0 + 30, id="short-toleration"),
        pytest.param(
            [
                {
                    "key": "node.kubernetes.io/unreachable",
                    "operator": "Exists",
                    "effect": "NoExecute",
                }
            ],
            None,
            id="tolerates-forever",
        ),
    ],
)
def test_eviction_time_counts_from_taint_added(tolerations, due):
    """Eviction is due tolerationSeconds after the taint's timeAdded; never without a limit."""
    taints = [
        {
            "key": "node.kubernetes.io/unreachable",
            "effect": "NoExecute",
            "timeAdded": rfc3339(T0),
        }
    ]
    assert nl.eviction_time(pod(tolerations=tolerations), taints) == due


def test_evicted_pod_gets_disruption_target_before_deletion():
    """The taint-eviction controller records the event, sets DisruptionTarget, then deletes."""
    taints = [
        {
            "key": "node.kubernetes.io/unreachable",
            "effect": "NoExecute",
            "timeAdded": rfc3339(T0),
        }
    ]
    actions = nl.evict_pods(
        node(ready="Unknown", taints=taints), [pod(tolerations=[])], T0 + 1
    )
    assert actions == [
        RecordEvent(
            POD_REF,
            "Normal",
            "TaintManagerEviction",
            "Marking for deletion Pod default/web-xyz",
            "taint-eviction-controller",
        ),
        Patch(
            POD_REF,
            {
                "status": {
                    "conditions": [
                        {
                            "type": "PodScheduled",
                            "status": "True",
                            "lastTransitionTime": rfc3339(T0 - 600),
                        },
                        {
                            "type": "Ready",
                            "status": "True",
                            "lastTransitionTime": rfc3339(T0 - 600),
                        },
                        {
                            "type": "DisruptionTarget",
                            "status": "True",
                            "lastTransitionTime": rfc3339(T0 + 1),
                            "reason": "DeletionByTaintManager",
                            "message": "Taint manager: deleting due to NoExecute taint",
                        },
                    ]
                }
            },
            "status",
        ),
        Delete(POD_REF),
    ]


def test_terminating_pods_are_not_evicted_twice():
    """A pod already being deleted is skipped."""
    taints = [
        {
            "key": "node.kubernetes.io/unreachable",
            "effect": "NoExecute",
            "timeAdded": rfc3339(T0),
        }
    ]
    assert (
        nl.evict_pods(node(taints=taints), [pod(tolerations=[], deleting=True)], T0 + 1)
        == []
    )


def _registered(name):
    return RecordEvent(
        Ref("Node", None, name, "v1", f"{name}-uid"),
        "Normal",
        "RegisteredNode",
        f"Node {name} event: Registered Node {name} in Controller",
        "node-controller",
    )


def test_the_monitor_registers_each_node_it_first_sees_and_notes_removed_ones():
    view = {"Node": [node("a"), node("b")], "Lease": [leader_lease(T0)]}
    actions, memory = nl.remembered(view, None, T0)
    assert actions == [_registered("a"), _registered("b")]
    assert nl.remembered(view, memory, T0) == ([], memory)  # seen already

    view["Node"] = [node("b"), node("c")]
    actions, memory = nl.remembered(view, memory, T0)
    assert actions == [
        _registered("c"),
        RecordEvent(
            Ref("Node", None, "a", "v1", "a-uid"),
            "Normal",
            "RemovingNode",
            "Node a event: Removing Node a from Controller",
            "node-controller",
        ),
    ]
    # A new leader (a restarted process) registers every node again.
    view["Lease"] = [leader_lease(T0 + 60)]
    actions, _ = nl.remembered(view, memory, T0)
    assert actions == [_registered("b"), _registered("c")]


UNREACHABLE = {
    "key": "node.kubernetes.io/unreachable",
    "effect": "NoExecute",
    "timeAdded": rfc3339(T0),
}


def _cancelled(name):
    return RecordEvent(
        Ref("Pod", "default", name, "v1", f"{name}-uid"),
        "Normal",
        "TaintManagerEviction",
        f"Cancelling deletion of Pod default/{name}",
        "taint-eviction-controller",
    )


@pytest.mark.parametrize(
    ("pods_after", "taints_after", "now", "expected"),
    [
        pytest.param(["a", "b"], [], T0 + 60, ["a", "b"], id="taint-removed"),
        pytest.param(["a", "b"], [UNREACHABLE], T0 + 60, [], id="still-pending"),
        pytest.param(["b"], [UNREACHABLE], T0 + 60, ["a"], id="deleted-before-due"),
        pytest.param(["b"], [UNREACHABLE], T0 + 300, [], id="gone-after-due"),
    ],
)
def test_a_pending_eviction_that_will_not_happen_is_reported_cancelled(
    pods_after, taints_after, now, expected
):
    """A pod tolerating forever has nothing pending, so nothing to cancel."""
    forever = [
        {k: v for k, v in t.items() if k != "tolerationSeconds"}
        for t in default_tolerations()
    ]
    view = {
        "Node": [node(ready="Unknown", taints=[UNREACHABLE])],
        "Lease": [leader_lease(T0 - 600)],
        "Pod": [
            pod("a", tolerations=default_tolerations()),
            pod("b", tolerations=default_tolerations(600)),
            pod("agent", tolerations=forever),
        ],
    }
    _, memory = nl.remembered(view, None, T0)
    assert sorted(memory["evicting"]) == ["a-uid", "b-uid"]
    view["Node"] = [node(ready="Unknown", taints=taints_after)]
    view["Pod"] = [
        p for p in view["Pod"] if p["metadata"]["name"] in pods_after + ["agent"]
    ]
    actions, _ = nl.remembered(view, memory, now)
    assert actions == [_cancelled(name) for name in expected]


def test_a_carried_out_eviction_is_not_reported_cancelled():
    view = {
        "Node": [node(ready="Unknown", taints=[UNREACHABLE])],
        "Lease": [leader_lease(T0 - 600)],
        "Pod": [pod("a", tolerations=default_tolerations(), deleting=True)],
    }
    _, memory = nl.remembered(
        {**view, "Pod": [pod("a", tolerations=default_tolerations())]}, None, T0 + 299
    )
    assert nl.remembered(view, memory, T0 + 300)[0] == []
