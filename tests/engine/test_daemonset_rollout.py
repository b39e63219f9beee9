"""A DaemonSet image change rolling through three nodes one at a time through the
engine: the controller, scheduler and kubelets of a real cluster on a hand-driven clock."""

from __future__ import annotations

import pytest

from cluster import kinds, operations
from tests.engine.kit import api, live, paused_cluster, pods
from tests.engine.test_workloads import CONTROL_PLANE_TOLERATION, daemonset

pytestmark = pytest.mark.django_db
DAEMONSET = kinds.by_kind("DaemonSet")
REVISION = kinds.by_kind("ControllerRevision")
NODES = {"control-plane", "worker1", "worker2"}


def images_by_node(cluster) -> dict[str, set[str]]:
    """The images of the live agent pods on each node."""
    out: dict[str, set[str]] = {}
    for pod in live(pods(cluster, label="app=agent")):
        node = pod["spec"].get("nodeName") or "(unscheduled)"
        out.setdefault(node, set()).add(pod["spec"]["containers"][0]["image"])
    return out


def test_an_image_change_replaces_one_node_at_a_time_and_records_a_revision():
    cluster = paused_cluster()
    api(cluster).create(daemonset("agent", [CONTROL_PLANE_TOLERATION]))
    operations.fast_forward(cluster, 30)
    assert images_by_node(cluster) == dict.fromkeys(NODES, {"busybox:1.36"})

    def change(live_ds):
        live_ds["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:1.37"
        return live_ds

    api(cluster).patch(DAEMONSET, "default", "agent", change)
    seen = [images_by_node(cluster)]
    for _ in range(200):
        cluster = operations.step(cluster)
        now = images_by_node(cluster)
        if now != seen[-1]:
            seen.append(now)
        if now == dict.fromkeys(NODES, {"busybox:1.37"}):
            break
    assert seen[-1] == dict.fromkeys(NODES, {"busybox:1.37"})
    # maxUnavailable 1 and no surge: never two old pods gone at once, never two on a node.
    for state in seen:
        assert len(NODES - state.keys()) <= 1, state
        assert all(len(images) == 1 for images in state.values()), state
    order = [
        node
        for before, after in zip(seen, seen[1:], strict=False)
        for node in NODES
        if before.get(node) == {"busybox:1.36"} and node not in after
    ]
    assert order == ["control-plane", "worker1", "worker2"]
    assert len(seen) == 7  # each node: old pod gone, then new pod up

    operations.fast_forward(cluster, 5)
    ds = api(cluster).get(DAEMONSET, "default", "agent")
    assert (
        ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "2"
    )
    status = ds["status"]
    assert status["observedGeneration"] == ds["metadata"]["generation"] == 2
    assert (
        status["desiredNumberScheduled"],
        status["updatedNumberScheduled"],
        status["numberAvailable"],
    ) == (3, 3, 3)
    revisions = sorted(
        api(cluster).list(REVISION, "default").items, key=lambda r: r["revision"]
    )
    assert [r["revision"] for r in revisions] == [1, 2]
    newest = revisions[-1]
    hash_ = newest["metadata"]["labels"]["controller-revision-hash"]
    assert newest["metadata"]["name"] == f"agent-{hash_}"
    for pod in live(pods(cluster, label="app=agent")):
        labels = pod["metadata"]["labels"]
        assert labels["controller-revision-hash"] == hash_
        assert labels["pod-template-generation"] == "2"
