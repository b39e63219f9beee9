"""The scheduling queue: backoff timings, the unschedulable pool and moves on cluster events."""

import json

import pytest

from cluster.actions import Bind
from cluster.scheduler.queue import (
    ACTIVE,
    BACKOFF,
    UNSCHEDULABLE,
    Queue,
    backoff_duration,
)
from tests.scheduler.scheduler_builders import NOW, make_node, make_pod, schedule


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [
        pytest.param(1, 1.0, id="first"),
        pytest.param(2, 2.0, id="second"),
        pytest.param(3, 4.0, id="third"),
        pytest.param(4, 8.0, id="fourth"),
        pytest.param(5, 10.0, id="capped"),
        pytest.param(9, 10.0, id="stays-capped"),
    ],
)
def test_backoff_doubles_from_one_second_to_ten(attempts, seconds):
    """1 s × 2^(attempts − 1), at most 10 s."""
    assert backoff_duration(attempts) == seconds


def _failed_queue(attempts: int) -> Queue:
    q = Queue()
    q.sync({"u": make_pod("p")}, {"u": 0}, NOW)
    for _ in range(attempts):
        q.pop_ready(NOW + 1000)
        q.failed("u", NOW, ["NodeResourcesFit"])
    return q


def test_node_added_during_backoff_moves_the_pod_to_backoff_then_active():
    """A node event moves the pod out of the pool; it stays in backoffQ until its backoff ends."""
    q = _failed_queue(attempts=3)
    q.observe([{"type": "ADDED", "object": make_node("n1")}], NOW + 1)
    assert q.pods["u"]["queue"] == BACKOFF
    assert q.next_wake(NOW + 1) == NOW + 4
    assert q.pop_ready(NOW + 3.9) == []
    assert q.pop_ready(NOW + 4) == ["u"]


def test_unrelated_events_leave_the_pod_in_the_pool():
    """A pod rejected only for resources is not moved by an assigned pod being added."""
    q = _failed_queue(attempts=1)
    bound = make_pod("other", node="n0")
    q.observe([{"type": "ADDED", "object": bound}], NOW + 5)
    assert q.pods["u"]["queue"] == UNSCHEDULABLE
    q.observe([{"type": "DELETED", "object": bound}], NOW + 5)
    assert q.pods["u"]["queue"] == ACTIVE


def test_pool_is_flushed_after_five_minutes():
    """Without any event, an unschedulable pod is retried after podMaxInUnschedulablePodsDuration."""
    q = _failed_queue(attempts=1)
    assert q.next_wake(NOW + 1) == NOW + 300
    assert q.pop_ready(NOW + 299) == []
    assert q.pop_ready(NOW + 300) == ["u"]


def test_status_only_updates_of_the_pod_do_not_move_it():
    """The scheduler's own condition patch must not requeue the pod; a spec change does."""
    q = _failed_queue(attempts=1)
    pod = make_pod("p")
    pod["metadata"]["uid"] = "u"
    pod["status"]["conditions"] = [{"type": "PodScheduled", "status": "False"}]
    q.observe([{"type": "MODIFIED", "object": pod}], NOW + 5)
    assert q.pods["u"]["queue"] == UNSCHEDULABLE
    pod["spec"]["tolerations"] = [{"operator": "Exists"}]
    q.observe([{"type": "MODIFIED", "object": pod}], NOW + 5)
    assert q.pods["u"]["queue"] == ACTIVE


def test_active_queue_pops_higher_priority_first_then_older():
    """PrioritySort: priority descending, then enqueue time."""
    q = Queue()
    q.sync({"a": make_pod("a")}, {"a": 1}, NOW)
    q.sync(
        {"a": make_pod("a"), "b": make_pod("b"), "c": make_pod("c")},
        {"a": 1, "b": 5, "c": 1},
        NOW + 1,
    )
    assert q.pop_ready(NOW + 2) == ["b", "a", "c"]


def test_unschedulable_pod_is_retried_when_a_node_is_added():
    """Full loop: fail with no room, persist the queue as JSON, add a node, get bound there."""
    pod = make_pod("p", cpu="2")
    first = schedule([pod], [make_node("small", cpu="1")])
    state = json.loads(json.dumps(first.queue_state))
    assert state["pods"]["uid-p"]["queue"] == UNSCHEDULABLE
    assert first.next_wake == NOW + 300
    quiet = schedule(
        [pod], [make_node("small", cpu="1")], queue_state=state, now=NOW + 30
    )
    assert quiet.actions == []
    big = make_node("big", cpu="4")
    second = schedule(
        [pod],
        [make_node("small", cpu="1"), big],
        queue_state=state,
        now=NOW + 30,
        events=[{"type": "ADDED", "object": big}],
    )
    assert [a for a in second.actions if isinstance(a, Bind)] == [
        Bind(first.actions[0].involved, "big")
    ]
    assert second.queue_state["pods"] == {}
    assert second.next_wake is None


def test_start_index_rotates_over_large_clusters():
    """With 200 nodes only 100 feasible are looked for, and the next pod starts where this one stopped."""
    nodes = [make_node(f"n{i:03d}") for i in range(200)]
    result = schedule([make_pod("a", priority=2), make_pod("b", priority=1)], nodes)
    a, b = result.decisions["uid-a"], result.decisions["uid-b"]
    assert (
        a["numFeasibleNodesToFind"],
        a["startIndex"],
        a["evaluatedNodes"],
        len(a["feasible"]),
    ) == (100, 0, 100, 100)
    assert (b["startIndex"], b["feasible"][0]) == (100, "n100")
    assert result.queue_state["nextStartNodeIndex"] == 0
