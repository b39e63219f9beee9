"""StatefulSet ordered creation with claims; DaemonSet pods on every eligible node."""

from __future__ import annotations

import random

from cluster.actions import Create, RecordEvent
from cluster.controllers import daemonset, statefulset
from cluster.objects import pods as P
from tests.controllers import fakeapi
from tests.controllers.workload_builders import T0, make_ready, template


def make_sts(replicas=3) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "sts-uid",
            "generation": 1,
        },
        "spec": {
            "replicas": replicas,
            "serviceName": "nginx",
            "selector": {"matchLabels": {"app": "web"}},
            "template": template(),
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "www"},
                    "spec": {"resources": {"requests": {"storage": "1Gi"}}},
                }
            ],
        },
    }


def test_statefulset_creates_pods_in_order_waiting_for_each_to_be_ready():
    view = {"StatefulSet": [make_sts()], "Pod": [], "PersistentVolumeClaim": []}
    created, events = [], []
    for step in range(5):
        actions = statefulset.sync(view, T0 + step, random.Random(0))
        created.append(
            [
                P.name(a.obj)
                for a in actions
                if isinstance(a, Create) and a.obj["kind"] != "ControllerRevision"
            ]
        )
        events += [a.message for a in actions if isinstance(a, RecordEvent)]
        fakeapi.apply(view, actions, T0 + step)
        make_ready(view, T0 + step)
    assert created == [
        ["www-web-0", "web-0"],
        ["www-web-1", "web-1"],
        ["www-web-2", "web-2"],
        [],
        [],
    ]
    assert events[:2] == [
        "create Claim www-web-0 Pod web-0 in StatefulSet web success",
        "create Pod web-0 in StatefulSet web successful",
    ]
    pod = view["Pod"][1]
    assert pod["metadata"]["labels"] == {
        "app": "web",
        "statefulset.kubernetes.io/pod-name": "web-1",
        "apps.kubernetes.io/pod-index": "1",
        "controller-revision-hash": statefulset.update_revision(make_sts()),
    }
    assert (pod["spec"]["hostname"], pod["spec"]["subdomain"]) == ("web-1", "nginx")
    assert pod["spec"]["volumes"] == [
        {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-1"}}
    ]
    assert view["StatefulSet"][0]["status"]["readyReplicas"] == 3


def test_statefulset_scales_down_from_the_highest_ordinal_one_at_a_time():
    view = {"StatefulSet": [make_sts()], "Pod": [], "PersistentVolumeClaim": []}
    for step in range(4):
        fakeapi.apply(
            view, statefulset.sync(view, T0 + step, random.Random(0)), T0 + step
        )
        make_ready(view, T0 + step)
    view["StatefulSet"][0]["spec"]["replicas"] = 1
    deleted = []
    for step in range(3):
        actions = statefulset.sync(view, T0 + 10 + step, random.Random(0))
        deleted.append([a.ref.name for a in actions if type(a).__name__ == "Delete"])
        fakeapi.apply(view, actions, T0 + 10 + step)
    assert deleted == [["web-2"], ["web-1"], []]
    assert len(view["PersistentVolumeClaim"]) == 3


def node(name: str, taints=None, labels=None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "uid": f"uid-{name}", "labels": labels or {}},
        "spec": {"taints": taints or []},
    }


def make_ds() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": "agent",
            "namespace": "default",
            "uid": "ds-uid",
            "generation": 1,
        },
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": template(labels={"app": "agent"}),
        },
    }


def test_daemonset_adds_a_pod_pinned_to_a_new_node_and_skips_untolerated_taints():
    master = node(
        "master",
        taints=[
            {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
        ],
    )
    cordoned = node(
        "cordoned",
        taints=[{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}],
    )
    view = {"DaemonSet": [make_ds()], "Node": [master, node("w1"), cordoned], "Pod": []}
    rng = random.Random(9)
    fakeapi.apply(view, daemonset.sync(view, T0, rng), T0)
    assert sorted(daemonset.pod_node(p) for p in view["Pod"]) == ["cordoned", "w1"]
    view["Node"].append(node("w2"))
    actions = daemonset.sync(view, T0 + 1, rng)
    creates = [a.obj for a in actions if isinstance(a, Create)]
    assert [c["kind"] for c in creates] == ["Pod"]
    assert [daemonset.pod_node(p) for p in creates] == ["w2"]
    affinity = creates[0]["spec"]["affinity"]["nodeAffinity"]
    assert affinity == {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {
                    "matchFields": [
                        {"key": "metadata.name", "operator": "In", "values": ["w2"]}
                    ]
                }
            ]
        }
    }
    keys = [(t["key"], t["effect"]) for t in creates[0]["spec"]["tolerations"]]
    assert keys == [
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ]
    status = actions[-1].obj["status"]
    assert (status["desiredNumberScheduled"], status["currentNumberScheduled"]) == (
        3,
        2,
    )
