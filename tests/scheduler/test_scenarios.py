"""Whole scheduling runs: the actions, messages and explanations kube-scheduler would produce."""

import pytest

from cluster.actions import Bind, Delete, Patch, RecordEvent, Ref
from cluster.scheduler import explain
from cluster.scheduler.plugins import default_preemption as dp
from cluster.scheduler.plugins import (
    node_unschedulable,
    taint_toleration,
    volume_binding,
)
from cluster.scheduler.scheduler import COMPONENT, MSG_PREEMPTED, MSG_SCHEDULED
from tests.scheduler.scheduler_builders import NOW, make_node, make_pod, schedule

CONTROL_PLANE_TAINT = {
    "key": "node-role.kubernetes.io/control-plane",
    "effect": "NoSchedule",
}
RS = {
    "kind": "ReplicaSet",
    "metadata": {"name": "web-1", "namespace": "default"},
    "spec": {"selector": {"matchLabels": {"app": "web"}}},
}
RS_OWNER = {"kind": "ReplicaSet", "name": "web-1", "apiVersion": "apps/v1"}


def ref(name):
    return Ref("Pod", "default", name, "v1", f"uid-{name}")


def bound_node(result, name):
    return next(
        a.node for a in result.actions if isinstance(a, Bind) and a.pod.name == name
    )


def failure_message(result):
    return next(
        a.message
        for a in result.actions
        if isinstance(a, RecordEvent) and a.reason == "FailedScheduling"
    )


def test_worked_example_scores_match_the_spec_and_pick_node_b():
    """Spec §10.1: totals 624 and 661, with every plugin's raw and normalised score."""
    nodes = [
        make_node("a", cpu="2", memory="4Gi"),
        make_node("b", cpu="4", memory="8Gi"),
    ]
    pods = [
        make_pod("ea", cpu="1", memory="2Gi", node="a"),
        make_pod("eb", cpu="1", memory="1Gi", node="b"),
        make_pod(
            "web-1-x", cpu="500m", memory="512Mi", labels={"app": "web"}, owner=RS_OWNER
        ),
    ]
    result = schedule(pods, nodes, controllers=[RS])
    table = explain.node_table(result.decisions["uid-web-1-x"])
    assert {
        n: {p: s["weighted"] for p, s in row["scores"].items()}
        for n, row in table.items()
    } == {
        "a": {
            "TaintToleration": 300,
            "NodeResourcesFit": 31,
            "PodTopologySpread": 200,
            "NodeResourcesBalancedAllocation": 93,
            "ImageLocality": 0,
        },
        "b": {
            "TaintToleration": 300,
            "NodeResourcesFit": 71,
            "PodTopologySpread": 200,
            "NodeResourcesBalancedAllocation": 90,
            "ImageLocality": 0,
        },
    }
    assert (table["a"]["total"], table["b"]["total"]) == (624, 661)
    assert result.actions == [
        Bind(ref("web-1-x"), "b"),
        RecordEvent(
            ref("web-1-x"),
            "Normal",
            "Scheduled",
            "Successfully assigned default/web-1-x to b",
            COMPONENT,
            extra={"action": "Binding"},
        ),
    ]


def test_too_big_pod_gets_the_exact_failed_scheduling_message_and_condition():
    """One tainted control plane and two small workers: the spec's example message, event then patch."""
    nodes = [
        make_node("cp", taints=[CONTROL_PLANE_TAINT]),
        make_node("w1", cpu="1"),
        make_node("w2", cpu="1"),
    ]
    result = schedule([make_pod("big", cpu="2")], nodes)
    msg = (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
        "2 No preemption victims found for incoming pod."
    )
    condition = {
        "type": "PodScheduled",
        "status": "False",
        "lastProbeTime": None,
        "lastTransitionTime": "2023-11-14T22:13:20Z",
        "reason": "Unschedulable",
        "message": msg,
    }
    assert result.actions == [
        RecordEvent(
            ref("big"),
            "Warning",
            "FailedScheduling",
            msg,
            COMPONENT,
            extra={"action": "Scheduling"},
        ),
        Patch(ref("big"), {"status": {"conditions": [condition]}}, "status"),
    ]


def test_an_unchanged_condition_is_not_patched_again():
    """A retry with the same verdict records the event but leaves the status alone."""
    nodes = [make_node("w1", cpu="1")]
    first = schedule([make_pod("big", cpu="2")], nodes)
    pod = make_pod("big", cpu="2")
    pod["status"]["conditions"] = first.actions[1].patch["status"]["conditions"]
    again = schedule([pod], nodes, queue_state=first.queue_state, now=NOW + 400)
    assert [type(a) for a in again.actions] == [RecordEvent]


@pytest.mark.parametrize(
    ("tolerations", "expected_node"),
    [
        pytest.param([], "w1", id="untolerated-goes-to-worker"),
        pytest.param(
            [
                {
                    "key": "node-role.kubernetes.io/control-plane",
                    "operator": "Exists",
                    "effect": "NoSchedule",
                }
            ],
            None,
            id="tolerated-any",
        ),
    ],
)
def test_taints_keep_pods_off_nodes_unless_tolerated(tolerations, expected_node):
    """A NoSchedule taint rejects pods without a matching toleration."""
    nodes = [make_node("cp", taints=[CONTROL_PLANE_TAINT]), make_node("w1")]
    result = schedule([make_pod("p", tolerations=tolerations)], nodes)
    feasible = result.decisions["uid-p"]["feasible"]
    assert feasible == (["w1"] if expected_node else ["cp", "w1"])


def test_prefer_no_schedule_taint_lowers_the_score():
    """TaintToleration scores an untolerated PreferNoSchedule taint 0 against 100."""
    nodes = [
        make_node(
            "soft", taints=[{"key": "k", "value": "v", "effect": "PreferNoSchedule"}]
        ),
        make_node("plain"),
    ]
    result = schedule([make_pod("p")], nodes)
    plugins = {p["name"]: p for p in result.decisions["uid-p"]["scores"]["plugins"]}
    assert result.decisions["uid-p"]["scores"]["nodes"] == ["plain", "soft"]
    assert plugins["TaintToleration"]["raw"] == [0, 1]
    assert plugins["TaintToleration"]["normalized"] == [100, 0]
    assert bound_node(result, "p") == "plain"


def test_node_affinity_and_selector_reject_nodes_with_the_affinity_reason():
    """Required node affinity keeps the pod on ssd nodes; the others get the NodeAffinity reason."""
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": "disk", "operator": "In", "values": ["ssd"]}
                        ]
                    }
                ]
            }
        }
    }
    nodes = [
        make_node("hdd", labels={"disk": "hdd"}),
        make_node("ssd", labels={"disk": "ssd"}),
        make_node("none"),
    ]
    result = schedule(
        [
            make_pod("p", affinity=affinity),
            make_pod("q", nodeSelector={"disk": "nvme"}),
        ],
        nodes,
    )
    assert bound_node(result, "p") == "ssd"
    assert failure_message(result).startswith(
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."
    )


def test_preferred_node_affinity_picks_the_heavier_term():
    """Preferred terms add their weights; normalised to 100 for the best node."""
    affinity = {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 20,
                    "preference": {
                        "matchExpressions": [
                            {"key": "zone", "operator": "In", "values": ["a"]}
                        ]
                    },
                },
                {
                    "weight": 80,
                    "preference": {
                        "matchExpressions": [
                            {"key": "zone", "operator": "In", "values": ["b"]}
                        ]
                    },
                },
            ]
        }
    }
    nodes = [
        make_node("na", labels={"zone": "a"}),
        make_node("nb", labels={"zone": "b"}),
    ]
    result = schedule([make_pod("p", affinity=affinity)], nodes)
    plugin = next(
        p
        for p in result.decisions["uid-p"]["scores"]["plugins"]
        if p["name"] == "NodeAffinity"
    )
    assert (plugin["raw"], plugin["normalized"]) == ([20, 80], [25, 100])
    assert bound_node(result, "p") == "nb"


def test_required_anti_affinity_spreads_a_deployment_one_pod_per_node():
    """Three replicas with hostname anti-affinity land on three nodes; the fourth cannot fit."""
    anti = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchLabels": {"app": "web"}},
                    "topologyKey": "kubernetes.io/hostname",
                }
            ]
        }
    }
    nodes = [make_node(f"n{i}") for i in range(3)]
    pods = [
        make_pod(f"web-{i}", labels={"app": "web"}, affinity=anti) for i in range(4)
    ]
    result = schedule(pods, nodes)
    placed = sorted(a.node for a in result.actions if isinstance(a, Bind))
    assert placed == ["n0", "n1", "n2"]
    assert failure_message(result) == (
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. "
        "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
    )


def test_existing_pods_anti_affinity_repels_matching_newcomers():
    """A running pod's anti-affinity rejects nodes for pods it selects."""
    anti = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchLabels": {"role": "noisy"}},
                    "topologyKey": "kubernetes.io/hostname",
                }
            ]
        }
    }
    nodes = [make_node("n0"), make_node("n1")]
    pods = [
        make_pod("loner", node="n0", affinity=anti),
        make_pod("noisy", labels={"role": "noisy"}),
    ]
    result = schedule(pods, nodes)
    rejected = result.decisions["uid-noisy"]["rejected"]
    assert rejected == [
        {
            "plugin": "InterPodAffinity",
            "code": "Unschedulable",
            "reasons": ["node(s) didn't satisfy existing pods anti-affinity rules"],
            "nodes": ["n0"],
        }
    ]
    assert bound_node(result, "noisy") == "n1"


def test_hard_topology_spread_balances_zones():
    """maxSkew 1 over zones: six pods split 2/2/2 across three zones."""
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": "zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "db"}},
        }
    ]
    nodes = [make_node(f"n{z}{i}", labels={"zone": z}) for z in "abc" for i in range(2)]
    pods = [
        make_pod(f"db-{i}", labels={"app": "db"}, topologySpreadConstraints=spread)
        for i in range(6)
    ]
    result = schedule(pods, nodes)
    zones = sorted(a.node[1] for a in result.actions if isinstance(a, Bind))
    assert zones == ["a", "a", "b", "b", "c", "c"]


def test_topology_spread_rejects_nodes_missing_the_key():
    """A node without the topology label fails with the missing-label reason."""
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": "zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {},
        }
    ]
    result = schedule(
        [make_pod("p", topologySpreadConstraints=spread)], [make_node("bare")]
    )
    assert failure_message(result).startswith(
        "0/1 nodes are available: 1 node(s) didn't match pod topology spread constraints (missing required label)."
    )


def test_system_default_spread_prefers_the_emptier_node():
    """With equal resources, a ReplicaSet's pods spread across nodes through the system defaults."""
    nodes = [make_node("n0"), make_node("n1")]
    pods = [
        make_pod(f"web-1-{i}", labels={"app": "web"}, owner=RS_OWNER) for i in range(2)
    ]
    result = schedule(pods, nodes, controllers=[RS])
    assert sorted(a.node for a in result.actions if isinstance(a, Bind)) == ["n0", "n1"]


def test_preemption_evicts_a_low_priority_pod_and_nominates_the_node():
    """The preemptor is nominated; the victim gets DisruptionTarget, is deleted and gets a Preempted event."""
    nodes = [make_node("n0", cpu="1")]
    victim = make_pod("low", cpu="800m", node="n0", priority=0)
    result = schedule([victim, make_pod("high", cpu="500m", priority=1000)], nodes)
    msg = "0/1 nodes are available: 1 Insufficient cpu."
    assert result.actions == [
        Patch(
            ref("low"),
            {
                "status": {
                    "conditions": [
                        {
                            "type": "DisruptionTarget",
                            "status": "True",
                            "lastProbeTime": None,
                            "lastTransitionTime": "2023-11-14T22:13:20Z",
                            "reason": "PreemptionByScheduler",
                            "message": "default-scheduler: preempting to accommodate a higher priority pod",
                        }
                    ]
                }
            },
            "status",
        ),
        Delete(ref("low"), uid="uid-low"),
        RecordEvent(
            ref("low"),
            "Normal",
            "Preempted",
            MSG_PREEMPTED.format(uid="uid-high", node="n0"),
            COMPONENT,
            extra={"action": "Preempting", "related": ref("high").__dict__},
        ),
        RecordEvent(
            ref("high"),
            "Warning",
            "FailedScheduling",
            msg,
            COMPONENT,
            extra={"action": "Scheduling"},
        ),
        Patch(
            ref("high"),
            {
                "status": {
                    "conditions": [
                        {
                            "type": "PodScheduled",
                            "status": "False",
                            "lastProbeTime": None,
                            "lastTransitionTime": "2023-11-14T22:13:20Z",
                            "reason": "Unschedulable",
                            "message": msg,
                        }
                    ],
                    "nominatedNodeName": "n0",
                }
            },
            "status",
        ),
    ]
    assert result.decisions["uid-high"]["preemption"] == {
        "message": "",
        "nominatedNode": "n0",
        "victims": ["default/low"],
    }


def test_preemption_keeps_victims_minimal():
    """Of two low-priority pods, only the one that must go is chosen (the more important one is reprieved)."""
    nodes = [make_node("n0", cpu="1")]
    pods = [
        make_pod("a", cpu="400m", node="n0", priority=10),
        make_pod("b", cpu="400m", node="n0", priority=5),
        make_pod("high", cpu="500m", priority=100),
    ]
    result = schedule(pods, nodes)
    assert [a.ref.name for a in result.actions if isinstance(a, Delete)] == ["b"]


def test_preemption_policy_never_is_not_eligible():
    """A pod with preemptionPolicy Never says so in the preemption part."""
    nodes = [make_node("n0", cpu="1")]
    pods = [
        make_pod("low", cpu="800m", node="n0"),
        make_pod("high", cpu="500m", priority=9, preemptionPolicy="Never"),
    ]
    result = schedule(pods, nodes)
    assert (
        failure_message(result)
        == f"0/1 nodes are available: 1 Insufficient cpu. preemption: {dp.MSG_POLICY_NEVER}"
    )


def test_cordoned_node_is_unschedulable():
    """spec.unschedulable rejects the node before any other plugin runs."""
    result = schedule([make_pod("p")], [make_node("n0", unschedulable=True)])
    assert failure_message(result) == (
        f"0/1 nodes are available: 1 {node_unschedulable.ERR_REASON_UNSCHEDULABLE}. "
        "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    )


@pytest.mark.parametrize(
    "pod",
    [
        pytest.param(make_pod("pinned", node="n0"), id="pinned-with-nodeName"),
        pytest.param(
            make_pod("other", schedulerName="my-scheduler"), id="other-scheduler"
        ),
        pytest.param(
            {
                **make_pod("gone"),
                "metadata": {
                    **make_pod("gone")["metadata"],
                    "deletionTimestamp": "2023-11-14T22:00:00Z",
                },
            },
            id="deleting",
        ),
    ],
)
def test_pods_not_for_this_scheduler_are_ignored(pod):
    """Pods with a nodeName, another schedulerName or a deletionTimestamp produce no actions."""
    result = schedule([pod], [make_node("n0")])
    assert (result.actions, result.decisions, result.queue_state["pods"]) == (
        [],
        {},
        {},
    )


def test_pods_bound_in_the_same_run_are_assumed():
    """Two pods wanting the last 600m of a node: the second must go elsewhere."""
    nodes = [make_node("n0", cpu="1"), make_node("n1", cpu="600m")]
    pods = [
        make_pod("p1", cpu="600m", priority=2),
        make_pod("p2", cpu="600m", priority=1),
    ]
    result = schedule(pods, nodes)
    assert (
        sorted((a.pod.name, a.node) for a in result.actions if isinstance(a, Bind))[0][
            0
        ]
        == "p1"
    )
    assert {bound_node(result, "p1"), bound_node(result, "p2")} == {"n0", "n1"}


def test_unbound_immediate_claim_is_rejected_at_prefilter():
    """A pod whose PVC is unbound with no class fails with the VolumeBinding PreFilter message."""
    pvc = {
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": "default"},
        "spec": {"accessModes": ["ReadWriteOnce"]},
    }
    pod = make_pod(
        "p", volumes=[{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]
    )
    result = schedule([pod], [make_node("n0"), make_node("n1")], pvcs=[pvc])
    assert failure_message(result) == (
        f"0/2 nodes are available: {volume_binding.ERR_REASON_UNBOUND_IMMEDIATE}. "
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )


def test_missing_claim_is_named_in_the_message():
    """A PVC that does not exist is reported by name."""
    pod = make_pod(
        "p", volumes=[{"name": "d", "persistentVolumeClaim": {"claimName": "nope"}}]
    )
    result = schedule([pod], [make_node("n0")])
    assert failure_message(result).startswith(
        '0/1 nodes are available: persistentvolumeclaim "nope" not found.'
    )


def test_wait_for_first_consumer_claim_is_provisioned_on_the_chosen_node():
    """A delayed-binding claim with a provisioner gets the selected-node annotation before Bind."""
    sc = {
        "kind": "StorageClass",
        "metadata": {"name": "standard"},
        "provisioner": "rancher.io/local-path",
        "volumeBindingMode": "WaitForFirstConsumer",
    }
    pvc = {
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": "default", "uid": "pvc-1"},
        "spec": {"storageClassName": "standard", "accessModes": ["ReadWriteOnce"]},
    }
    pod = make_pod(
        "p", volumes=[{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]
    )
    result = schedule([pod], [make_node("n0")], pvcs=[pvc], storage_classes=[sc])
    assert result.actions[:2] == [
        Patch(
            Ref("PersistentVolumeClaim", "default", "data", "v1", "pvc-1"),
            {
                "metadata": {
                    "annotations": {volume_binding.SELECTED_NODE_ANNOTATION: "n0"}
                }
            },
        ),
        Bind(ref("p"), "n0"),
    ]


def test_host_port_conflict_rejects_the_node():
    """A hostPort already used on a node rejects it with the NodePorts reason."""
    ports = [
        {
            "name": "c",
            "image": "nginx",
            "ports": [{"containerPort": 80, "hostPort": 8080}],
        }
    ]
    pods = [make_pod("a", node="n0", containers=ports), make_pod("b", containers=ports)]
    result = schedule(pods, [make_node("n0"), make_node("n1")])
    assert result.decisions["uid-b"]["rejected"][0]["reasons"] == [
        "node(s) didn't have free ports for the requested pod ports"
    ]
    assert bound_node(result, "b") == "n1"


def test_untolerated_taint_reason_includes_key_and_value():
    """The taint reason prints {key: value}."""
    assert (
        taint_toleration.untolerated_reason("node.kubernetes.io/unreachable", "")
        == "node(s) had untolerated taint {node.kubernetes.io/unreachable: }"
    )
    assert (
        MSG_SCHEDULED.format(namespace="ns", name="p", node="n")
        == "Successfully assigned ns/p to n"
    )
