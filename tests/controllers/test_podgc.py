"""Pod GC: pods bound to a node that is gone are failed and force-deleted."""

import pytest

from cluster.actions import Delete, Patch, Ref
from cluster.controllers import podgc
from cluster.simtime import rfc3339
from tests.controllers.infra_builders import T0, node, pod

GONE = Ref("Pod", "default", "on-gone", "v1", "on-gone-uid")


def _view():
    return {
        "Node": [node("worker-1")],
        "Pod": [pod("on-live", node_name="worker-1"), pod("on-gone", node_name="gone")],
    }


def test_a_pod_on_a_missing_node_waits_out_the_quarantine_then_is_force_deleted():
    view = _view()
    actions, memory = podgc.remembered(view, None, T0)
    assert (actions, memory) == ([], {"since": None, "missing_since": {"gone": T0}})
    assert podgc.next_wake(view, T0) == T0 + 20
    assert podgc.remembered(view, memory, T0 + 39)[0] == []

    actions, _ = podgc.remembered(view, memory, T0 + 40)
    (patch, delete) = actions
    assert isinstance(patch, Patch) and patch.ref == GONE
    status = patch.patch["status"]
    assert status["phase"] == "Failed"
    assert status["conditions"][-1] == {
        "type": "DisruptionTarget",
        "status": "True",
        "lastTransitionTime": rfc3339(T0 + 40),
        "reason": "DeletionByPodGC",
        "message": "PodGC: node no longer exists",
    }
    assert delete == Delete(GONE, grace_period_seconds=0, uid="on-gone-uid")


@pytest.mark.parametrize(
    ("pods", "wake"),
    [
        pytest.param([pod("a", node_name="worker-1")], None, id="all-on-live-nodes"),
        pytest.param([pod("a", node_name="")], None, id="unscheduled"),
    ],
)
def test_nothing_to_collect_means_no_timer(pods, wake):
    view = {"Node": [node("worker-1")], "Pod": pods}
    assert podgc.next_wake(view, T0) == wake
    assert podgc.remembered(view, None, T0) == (
        [],
        {"since": None, "missing_since": {}},
    )


def test_a_node_that_comes_back_is_forgotten():
    view = _view()
    _, memory = podgc.remembered(view, None, T0)
    view["Node"].append(node("gone"))
    assert podgc.remembered(view, memory, T0 + 60)[1]["missing_since"] == {}


def test_a_new_leader_starts_the_quarantine_afresh():
    view = _view()
    view["Lease"] = [
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "kube-controller-manager", "namespace": "kube-system"},
            "spec": {"acquireTime": rfc3339(T0)},
        }
    ]
    stale = {"since": T0 - 600, "missing_since": {"gone": T0 - 600}}
    actions, memory = podgc.remembered(view, stale, T0 + 10)
    assert (actions, memory["missing_since"]) == ([], {"gone": T0 + 10})
