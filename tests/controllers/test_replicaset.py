"""ReplicaSet controller: creation batches, victim order, adoption, status."""

from __future__ import annotations

import random

import pytest

from cluster.actions import Create, Delete, Patch, RecordEvent, UpdateStatus
from cluster.controllers import replicaset
from cluster.objects import pods as P
from cluster.objects.names import generate_name
from tests.controllers import fakeapi
from tests.controllers.workload_builders import T0, make_ready, pod
from tests.controllers.workload_builders import replicaset as make_rs


def _names(seed: int, count: int, base: str = "web-") -> list[str]:
    rng = random.Random(seed)
    return [generate_name(base, rng) for _ in range(count)]


def _creates(rs, names):
    """The creates of a reconcile at T0 of a ReplicaSet reporting no failure yet."""
    reported = {
        "type": "ReplicaFailure",
        "status": "True",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
        "reason": "FailedCreate",
        "message": "{error}",
    }
    status = Patch(P.ref(rs), {"status": {"conditions": [reported]}}, "status")
    failed = RecordEvent(
        P.ref(rs),
        "Warning",
        "FailedCreate",
        "Error creating: {error}",
        "replicaset-controller",
    )
    out = []
    for i, n in enumerate(names):
        batch = [1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4][i]  # 1, 2, 4, 8 pods
        pod = P.pod_from_template(rs["spec"]["template"], rs, n)
        out.append(Create(pod, batch=batch, on_failure=failed, failure_status=status))
        out.append(
            RecordEvent(
                P.ref(rs),
                "Normal",
                "SuccessfulCreate",
                f"Created pod: {n}",
                "replicaset-controller",
                reports_previous=True,
            )
        )
    return out


@pytest.mark.parametrize(
    ("count", "batches"),
    [
        pytest.param(1, [1], id="one"),
        pytest.param(3, [1, 2], id="three"),
        pytest.param(10, [1, 2, 4, 3], id="ten"),
        pytest.param(0, [], id="none"),
    ],
)
def test_slow_start_batches_double_with_the_remainder_last(count, batches):
    assert replicaset.slow_start_batches(count) == batches


def test_scale_up_creates_named_pods_owned_by_the_replicaset_then_writes_status():
    rs = make_rs(replicas=3)
    actions = replicaset.reconcile(rs, [], T0, random.Random(7))
    status = {"replicas": 0, "observedGeneration": 1}
    assert actions == [
        *_creates(rs, _names(7, 3)),
        UpdateStatus({**rs, "status": status}),
    ]
    created = actions[0].obj
    assert created["metadata"]["generateName"] == "web-"
    assert created["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "web",
            "uid": "rs-uid",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert created["metadata"]["labels"] == {"app": "web"}


def test_reconcile_twice_on_the_same_view_creates_nothing_more():
    rs = make_rs(replicas=2)
    view = {"ReplicaSet": [rs], "Pod": []}
    fakeapi.apply(view, replicaset.sync(view, T0, random.Random(1)), T0)
    assert replicaset.sync(view, T0, random.Random(1)) == [
        UpdateStatus(
            {
                **view["ReplicaSet"][0],
                "status": {
                    "replicas": 2,
                    "fullyLabeledReplicas": 2,
                    "observedGeneration": 1,
                },
            }
        )
    ]


def test_scale_from_3_to_10_to_2_keeps_the_oldest_ready_pods():
    rng = random.Random(3)
    rs = make_rs(replicas=3)
    view = {"ReplicaSet": [rs], "Pod": []}
    fakeapi.apply(view, replicaset.sync(view, T0, rng), T0)
    make_ready(view, T0 + 5)
    fakeapi.apply(view, replicaset.sync(view, T0 + 10, rng), T0 + 10)
    first = sorted(P.name(p) for p in view["Pod"])
    assert len(first) == 3

    view["ReplicaSet"][0]["spec"]["replicas"] = 10
    actions = replicaset.sync(view, T0 + 20, rng)
    creates = [a for a in actions if isinstance(a, Create)]
    assert len(creates) == 7
    fakeapi.apply(view, actions, T0 + 20)
    make_ready(view, T0 + 3600)

    view["ReplicaSet"][0]["spec"]["replicas"] = 2
    actions = replicaset.sync(view, T0 + 7200, rng)
    deleted = [a.ref.name for a in actions if isinstance(a, Delete)]
    assert len(deleted) == 8
    # The 7 newest pods (ready for the shortest time) go first, then 1 of the first 3.
    newest = {P.name(p) for p in view["Pod"]} - set(first)
    assert set(deleted[:7]) == newest
    assert deleted[7] in first
    events = [a.message for a in actions if isinstance(a, RecordEvent)]
    assert events == [f"Deleted pod: {n}" for n in deleted]


def test_scale_down_deletes_by_active_pods_rank():
    rs = make_rs(replicas=1)
    pods = [
        pod(
            "running-ready-old",
            rs,
            node="n1",
            ready_at=T0 - 10_000,
            created=T0 - 20_000,
        ),
        pod("running-ready-new", rs, node="n1", ready_at=T0 - 10, created=T0 - 20),
        pod("running-not-ready", rs, node="n1"),
        pod("pending-on-node", rs, node="n1", phase="Pending"),
        pod("unknown-on-node", rs, node="n2", phase="Unknown"),
        pod("unscheduled", rs, phase="Pending"),
    ]
    actions = replicaset.reconcile(rs, pods, T0, random.Random(0))
    deletes = [a for a in actions if isinstance(a, Delete)]
    assert [d.ref.name for d in deletes] == [
        "unscheduled",
        "pending-on-node",
        "unknown-on-node",
        "running-not-ready",
        "running-ready-new",
    ]
    assert deletes[0] == Delete(P.ref(pods[5]), uid="uid-unscheduled")


def test_scale_down_prefers_pods_doubled_up_on_a_node():
    rs = make_rs(replicas=2)
    pods = [
        pod("alone", rs, node="n1", ready_at=T0 - 100, created=T0 - 100),
        pod("crowded-a", rs, node="n2", ready_at=T0 - 100, created=T0 - 100),
        pod("crowded-b", rs, node="n2", ready_at=T0 - 100, created=T0 - 100),
    ]
    actions = replicaset.reconcile(rs, pods, T0, random.Random(0))
    assert [a.ref.name for a in actions if isinstance(a, Delete)] == ["crowded-a"]


def test_scale_down_prefers_pods_with_more_restarts():
    rs = make_rs(replicas=1)
    pods = [
        pod("steady", rs, node="n1", ready_at=T0 - 100, created=T0 - 100),
        pod("flaky", rs, node="n2", ready_at=T0 - 100, created=T0 - 100, restarts=4),
    ]
    actions = replicaset.reconcile(rs, pods, T0, random.Random(0))
    assert [a.ref.name for a in actions if isinstance(a, Delete)] == ["flaky"]


def test_orphans_matching_the_selector_are_adopted_and_strays_released():
    rs = make_rs(replicas=1)
    orphan = pod("orphan", node="n1", ready_at=T0 - 5)
    stray = pod("stray", rs, node="n1", labels={"app": "other"})
    actions = replicaset.reconcile(rs, [orphan, stray], T0, random.Random(0))
    ref = P.owner_reference(rs)
    status = {
        "replicas": 1,
        "fullyLabeledReplicas": 1,
        "readyReplicas": 1,
        "availableReplicas": 1,
        "observedGeneration": 1,
    }
    assert actions == [
        Patch(P.ref(orphan), {"metadata": {"ownerReferences": [ref]}}),
        Patch(P.ref(stray), {"metadata": {"ownerReferences": None}}),
        UpdateStatus({**rs, "status": status}),
    ]


@pytest.mark.parametrize(
    ("now", "available"),
    [
        pytest.param(T0 + 10, 0, id="ready-exactly-min-ready-seconds"),
        pytest.param(T0 + 11, 1, id="ready-longer"),
    ],
)
def test_available_replicas_wait_for_min_ready_seconds(now, available):
    rs = make_rs(replicas=1, minReadySeconds=10)
    p = pod("a", rs, node="n1", ready_at=T0)
    status = replicaset.calculate_status(rs, [p], now)
    assert status.get("availableReplicas", 0) == available
    assert replicaset.next_wake({"ReplicaSet": [rs], "Pod": [p]}, T0 + 1) == T0 + 10.001


def test_terminating_and_finished_pods_do_not_count():
    rs = make_rs(replicas=1)
    gone = pod("gone", rs, node="n1")
    gone["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    done = pod("done", rs, node="n1", phase="Succeeded")
    actions = replicaset.reconcile(rs, [gone, done], T0, random.Random(5))
    assert [type(a).__name__ for a in actions] == [
        "Create",
        "RecordEvent",
        "UpdateStatus",
    ]
    assert actions[-1].obj["status"] == {"replicas": 0, "observedGeneration": 1}
