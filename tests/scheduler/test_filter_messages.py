"""The FailedScheduling message: one plugin's reasons per node, counted, sorted as strings."""

import pytest

from cluster.actions import RecordEvent
from tests.scheduler.scheduler_builders import make_node, make_pod, schedule

NO_VICTIMS = "No preemption victims found for incoming pod"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
TAINT = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}


def failure_message(result) -> str:
    (event,) = [
        a
        for a in result.actions
        if isinstance(a, RecordEvent) and a.reason == "FailedScheduling"
    ]
    return event.message


@pytest.mark.parametrize(
    ("nodes", "existing", "pod", "message"),
    [
        pytest.param(
            [
                make_node("small", cpu="1", memory="1Gi"),
                make_node("wide", memory="1Gi"),
            ],
            [],
            make_pod("p", cpu="2", memory="2Gi"),
            "0/2 nodes are available: 1 Insufficient cpu, 2 Insufficient memory. "
            f"preemption: 0/2 nodes are available: 2 {NO_VICTIMS}.",
            id="one-node-gives-two-reasons-each-counted",
        ),
        pytest.param(
            [make_node("full", pods="1")],
            [make_pod("there", node="full")],
            make_pod("p"),
            "0/1 nodes are available: 1 Too many pods. "
            f"preemption: 0/1 nodes are available: 1 {NO_VICTIMS}.",
            id="too-many-pods",
        ),
        pytest.param(
            [make_node("tainted", cpu="1", taints=[TAINT])],
            [],
            make_pod("p", cpu="2"),
            "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}. "
            f"preemption: 0/1 nodes are available: 1 {NOT_HELPFUL}.",
            id="taint-stops-before-resources",
        ),
        pytest.param(
            [make_node("cordoned", taints=[TAINT], unschedulable=True)],
            [],
            make_pod("p"),
            "0/1 nodes are available: 1 node(s) were unschedulable. "
            f"preemption: 0/1 nodes are available: 1 {NOT_HELPFUL}.",
            id="unschedulable-stops-before-taints",
        ),
        pytest.param(
            [make_node("a"), make_node("b")],
            [],
            make_pod("p", nodeSelector={"disk": "ssd"}),
            "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. "
            f"preemption: 0/2 nodes are available: 2 {NOT_HELPFUL}.",
            id="selector",
        ),
    ],
)
def test_failed_scheduling_message_counts_the_first_failing_plugin_per_node(
    nodes, existing, pod, message
):
    result = schedule([*existing, pod], nodes)
    assert failure_message(result) == message


def test_with_no_nodes_the_pod_is_unschedulable_with_no_nodes_available():
    result = schedule([make_pod("p")], [])
    assert failure_message(result) == "no nodes available to schedule pods"
    (patch,) = [a for a in result.actions if getattr(a, "subresource", "") == "status"]
    (condition,) = patch.patch["status"]["conditions"]
    assert (condition["reason"], condition["message"]) == (
        "Unschedulable",
        "no nodes available to schedule pods",
    )


def test_a_single_feasible_node_is_chosen_without_scoring():
    result = schedule(
        [make_pod("p", cpu="2")], [make_node("small", cpu="1"), make_node("big")]
    )
    (decision,) = result.decisions.values()
    assert decision["feasible"] == ["big"]
    assert not decision.get("scores")


def _pinned(*terms_fields):
    """Required node affinity with one term per list of `metadata.name In` values."""
    terms = [
        {
            "matchFields": [
                {"key": "metadata.name", "operator": "In", "values": values}
                for values in fields
            ]
        }
        for fields in terms_fields
    ]
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": terms
            }
        }
    }


@pytest.mark.parametrize(
    ("affinity", "message"),
    [
        pytest.param(
            _pinned([["a"]]),
            "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy "
            "plugin(s) [NodeAffinity]. preemption: 0/3 nodes are available: 1 No "
            f"preemption victims found for incoming pod, 2 {NOT_HELPFUL}.",
            id="daemonset-pod-pinned-to-a-full-node",
        ),
        pytest.param(
            _pinned([["a"], ["b"]]),
            "0/3 nodes are available: pod affinity terms conflict. preemption: 0/3 "
            f"nodes are available: 3 {NOT_HELPFUL}.",
            id="anded-names-conflict",
        ),
    ],
)
def test_node_names_from_node_affinity_leave_the_other_nodes_out(affinity, message):
    nodes = [make_node("a", cpu="1"), make_node("b"), make_node("c")]
    result = schedule([make_pod("p", cpu="2", affinity=affinity)], nodes)
    assert failure_message(result) == message


def test_a_pinned_pod_is_bound_to_its_node_without_filtering_the_others():
    nodes = [make_node("a"), make_node("b"), make_node("c")]
    result = schedule([make_pod("p", affinity=_pinned([["b"]]))], nodes)
    (decision,) = result.decisions.values()
    assert decision["feasible"] == ["b"]
