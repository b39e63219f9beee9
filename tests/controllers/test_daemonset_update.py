"""DaemonSet update strategies, revisions and status (pkg/controller/daemon/update.go)."""

from __future__ import annotations

import random

import pytest

from cluster.actions import Create, Delete, RecordEvent, Update, UpdateStatus
from cluster.controllers import daemonset, history
from cluster.simtime import rfc3339
from tests.controllers import fakeapi
from tests.controllers.workload_builders import T0, template

NODES = ("w1", "w2", "w3")
GENERATION = "deprecated.daemonset.template.generation"


def node(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "uid": f"uid-{name}"},
        "spec": {},
    }


def make_ds(strategy: dict | None = None, **spec) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": "agent",
            "namespace": "default",
            "uid": "ds-uid",
            "generation": 1,
            "annotations": {GENERATION: "1"},
        },
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": template(image="agent:1", labels={"app": "agent"}),
            "updateStrategy": strategy
            or {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
            },
            "revisionHistoryLimit": 10,
            **spec,
        },
    }


def run_and_bind(view: dict, now: float) -> list:
    """One controller sync, then what the scheduler and kubelet do: bind each new pod
    to its node, run it and make it Ready. Returns the writes of the sync."""
    actions = daemonset.sync(view, now, random.Random(now))
    done = writes(actions, view)
    fakeapi.apply(view, actions, now)
    for pod in view["Pod"]:
        if not pod["spec"].get("nodeName"):
            pod["spec"]["nodeName"] = daemonset.pod_node(pod)
            pod["status"] = {
                "phase": "Running",
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "lastTransitionTime": rfc3339(now),
                    }
                ],
            }
    return done


def converged(strategy: dict | None = None) -> dict:
    view = {"DaemonSet": [make_ds(strategy)], "Node": [node(n) for n in NODES]}
    view["Pod"] = []
    for step in range(3):
        run_and_bind(view, T0 + step)
    return view


def change_image(view: dict, image: str) -> None:
    """`kubectl set image`: the API server bumps generation and template generation."""
    ds = view["DaemonSet"][0]
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = image
    ds["metadata"]["generation"] += 1
    annotations = ds["metadata"]["annotations"]
    annotations[GENERATION] = str(int(annotations[GENERATION]) + 1)


def writes(actions, view: dict) -> list[tuple[str, str, str]]:
    """(verb, kind, node or revision number) of each write, events and status left
    out."""
    nodes = {p["metadata"]["name"]: daemonset.pod_node(p) for p in view["Pod"]}
    out = []
    for a in actions:
        if isinstance(a, (RecordEvent, UpdateStatus)):
            continue
        if isinstance(a, Create):
            obj = a.obj
            where = daemonset.pod_node(obj) if obj["kind"] == "Pod" else "revision"
            out.append(("create", obj["kind"], where))
        elif isinstance(a, Delete):
            out.append(("delete", a.ref.kind, nodes.get(a.ref.name, a.ref.name)))
        elif isinstance(a, Update):
            out.append(("update", a.obj["kind"], str(a.obj["revision"])))
    return out


def images(view: dict) -> dict[str, str]:
    return {
        p["spec"]["nodeName"]: p["spec"]["containers"][0]["image"] for p in view["Pod"]
    }


def test_first_sync_snapshots_the_template_as_revision_one():
    view = {"DaemonSet": [make_ds()], "Node": [node("w1")], "Pod": []}
    actions = daemonset.sync(view, T0, random.Random(1))
    revision = actions[0].obj
    ds = make_ds()
    hash_ = revision["metadata"]["labels"]["controller-revision-hash"]
    assert len(hash_) <= 10 and set(hash_) <= set("bcdfghjklmnpqrstvwxz2456789")
    assert revision == {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": f"agent-{hash_}",
            "namespace": "default",
            "labels": {"app": "agent", "controller-revision-hash": hash_},
            "annotations": {GENERATION: "1"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "DaemonSet",
                    "name": "agent",
                    "uid": "ds-uid",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        # Go marshals a template's zero creationTimestamp as null.
        "data": {
            "spec": {
                "template": {
                    "$patch": "replace",
                    "metadata": {"creationTimestamp": None, "labels": {"app": "agent"}},
                    "spec": ds["spec"]["template"]["spec"],
                }
            }
        },
        "revision": 1,
    }
    pod = actions[1].obj
    assert pod["metadata"]["labels"] == {
        "app": "agent",
        "pod-template-generation": "1",
        "controller-revision-hash": hash_,
    }


def test_rolling_update_deletes_one_old_pod_then_recreates_it_next_sync():
    view = converged()
    change_image(view, "agent:2")
    steps = [run_and_bind(view, T0 + 10 + i) for i in range(7)]
    assert steps == [
        [("create", "ControllerRevision", "revision"), ("delete", "Pod", "w1")],
        [("create", "Pod", "w1")],
        [("delete", "Pod", "w2")],
        [("create", "Pod", "w2")],
        [("delete", "Pod", "w3")],
        [("create", "Pod", "w3")],
        [],
    ]
    assert images(view) == {"w1": "agent:2", "w2": "agent:2", "w3": "agent:2"}
    status = view["DaemonSet"][0]["status"]
    assert status["updatedNumberScheduled"] == 3
    assert status["observedGeneration"] == 2


def test_an_old_pod_still_terminating_holds_its_node_until_it_is_gone():
    view = converged()
    change_image(view, "agent:2")
    view["Pod"][0]["metadata"]["deletionTimestamp"] = rfc3339(T0 + 10)
    actions = daemonset.sync(view, T0 + 10, random.Random(2))
    # The terminating pod counts as unavailable, so no other pod may go either.
    assert writes(actions, view) == [("create", "ControllerRevision", "revision")]
    status = actions[-1].obj["status"]
    assert (status["desiredNumberScheduled"], status["currentNumberScheduled"]) == (
        3,
        3,
    )


def test_an_unready_new_pod_counts_against_max_unavailable():
    view = converged()
    change_image(view, "agent:2")
    run_and_bind(view, T0 + 10)
    run_and_bind(view, T0 + 11)
    new = next(p for p in view["Pod"] if p["spec"]["nodeName"] == "w1")
    new["status"] = {"phase": "Running"}
    actions = daemonset.sync(view, T0 + 12, random.Random(3))
    assert writes(actions, view) == []
    status = actions[-1].obj["status"]
    assert (status["numberAvailable"], status["numberUnavailable"]) == (2, 1)
    assert status["updatedNumberScheduled"] == 1


@pytest.mark.parametrize(
    ("max_unavailable", "deleted"),
    [
        pytest.param(2, 2, id="two-at-once"),
        pytest.param("100%", 3, id="all-nodes"),
        pytest.param("34%", 2, id="percent-rounds-up"),
    ],
)
def test_max_unavailable_bounds_how_many_old_pods_go_at_once(max_unavailable, deleted):
    view = converged(
        {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": max_unavailable}}
    )
    change_image(view, "agent:2")
    actions = daemonset.sync(view, T0 + 10, random.Random(4))
    assert sum(1 for w in writes(actions, view) if w[0] == "delete") == deleted


def test_max_surge_starts_the_new_pod_beside_the_old_one_then_deletes_the_old():
    view = converged(
        {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
        }
    )
    change_image(view, "agent:2")
    assert run_and_bind(view, T0 + 10) == [
        ("create", "ControllerRevision", "revision"),
        ("create", "Pod", "w1"),
    ]
    # The new pod is available one sync later, so the old one goes.
    assert run_and_bind(view, T0 + 11) == [("delete", "Pod", "w1")]
    assert run_and_bind(view, T0 + 12) == [("create", "Pod", "w2")]


def test_on_delete_replaces_only_pods_a_user_deleted():
    view = converged({"type": "OnDelete"})
    change_image(view, "agent:2")
    assert (run_and_bind(view, T0 + 10)) == [
        ("create", "ControllerRevision", "revision")
    ]
    assert (run_and_bind(view, T0 + 11)) == []
    view["Pod"] = [p for p in view["Pod"] if p["spec"]["nodeName"] != "w2"]
    assert run_and_bind(view, T0 + 12) == [("create", "Pod", "w2")]
    assert run_and_bind(view, T0 + 13) == []
    assert images(view) == {"w1": "agent:1", "w2": "agent:2", "w3": "agent:1"}
    assert view["DaemonSet"][0]["status"]["updatedNumberScheduled"] == 1


def test_a_pod_with_the_current_template_generation_counts_as_updated():
    view = converged()
    for pod in view["Pod"]:
        pod["metadata"]["labels"]["controller-revision-hash"] = "stale"
    actions = daemonset.sync(view, T0 + 10, random.Random(5))
    assert writes(actions, view) == []


def test_rolling_back_renumbers_the_old_revision_instead_of_copying_it():
    view = converged()
    change_image(view, "agent:2")
    for i in range(8):
        run_and_bind(view, T0 + 10 + i)
    change_image(view, "agent:1")
    first = min(view["ControllerRevision"], key=lambda r: r["revision"])
    actions = daemonset.sync(view, T0 + 30, random.Random(6))
    assert writes(actions, view)[0] == ("update", "ControllerRevision", "3")
    assert actions[0].obj["metadata"]["name"] == first["metadata"]["name"]


def test_old_revisions_past_the_history_limit_are_deleted_oldest_first():
    view = converged()
    view["DaemonSet"][0]["spec"]["revisionHistoryLimit"] = 1
    names = []
    for version in (2, 3):
        change_image(view, f"agent:{version}")
        for i in range(8):
            run_and_bind(view, T0 + 10 * version + i)
        names = [
            r["metadata"]["name"]
            for r in history.owned(view["DaemonSet"][0], view["ControllerRevision"])
        ]
    assert [
        r["revision"]
        for r in history.owned(view["DaemonSet"][0], view["ControllerRevision"])
    ] == [2, 3]
    assert len(names) == 2
