"""The trails the course notes walk through, end to end on a paused clock:
`kubectl create deployment` from object to running pods, and a worker that dies."""

from __future__ import annotations

import re

import pytest

from cluster import operations
from cluster.kinds import by_kind
from cluster.models import Machine
from cluster.nodes.lifecycle import SANDBOX_CHANGED
from tests.engine.kit import (
    DEPLOYMENT,
    EVENT,
    REPLICASET,
    api,
    component,
    events_about,
    live,
    nodes,
    now,
    paused_cluster,
    pods,
    ready,
    settle,
    step_until,
)

pytestmark = pytest.mark.django_db

HASH = re.compile(r"[4-9bcdf]{1,10}")
POD_SUFFIX = re.compile(r"[bcdfghjklmnpqrstvwxz2456789]{5}")
PULLED = re.compile(
    r'Successfully pulled image "nginx" in [0-9.]+m?s '
    r"\([0-9.]+m?s including waiting\)\. Image size: \d+ bytes\."
)


def _kubectl_create_deployment(name: str, image: str, replicas: int) -> dict:
    """What `kubectl create deployment <name> --image=<image> --replicas=<n>` sends."""
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "strategy": {},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [{"name": image, "image": image, "resources": {}}]
                },
            },
        },
    }


def _conditions(obj: dict) -> list[tuple[str, str, str, str]]:
    return [
        (c["type"], c["status"], c.get("reason", ""), c.get("message", ""))
        for c in obj["status"].get("conditions", [])
    ]


def test_kubectl_create_deployment_leaves_the_documented_trail():
    cluster = paused_cluster()
    settle(cluster, 20)
    api(cluster).create(_kubectl_create_deployment("web", "nginx", 3))
    settle(cluster, 0.1)

    d = api(cluster).get(DEPLOYMENT, "default", "web")
    assert d["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert (
        d["spec"]["revisionHistoryLimit"],
        d["spec"]["progressDeadlineSeconds"],
    ) == (
        10,
        600,
    )
    container = d["spec"]["template"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "Always"  # no tag means latest

    (rs,) = api(cluster).list(REPLICASET, "default").items
    rs_name = rs["metadata"]["name"]
    template_hash = rs_name.removeprefix("web-")
    assert HASH.fullmatch(template_hash)
    assert rs["metadata"]["labels"] == {
        "app": "web",
        "pod-template-hash": template_hash,
    }
    assert rs["spec"]["selector"]["matchLabels"] == rs["metadata"]["labels"]
    assert rs["metadata"]["annotations"] == {
        "deployment.kubernetes.io/revision": "1",
        "deployment.kubernetes.io/desired-replicas": "3",
        "deployment.kubernetes.io/max-replicas": "4",
    }
    # While the pods start: the new ReplicaSet progresses, not yet the minimum
    # available (a changed condition moves to the end of the list).
    assert _conditions(api(cluster).get(DEPLOYMENT, "default", "web")) == [
        ("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
        ("Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.'),
    ]  # fmt: skip

    settle(cluster, 30)
    assert events_about(cluster, "web") == [
        ("ScalingReplicaSet", f"Scaled up replica set {rs_name} from 0 to 3")
    ]
    running = pods(cluster, label="app=web")
    names = sorted(p["metadata"]["name"] for p in running)
    assert len(names) == 3
    assert all(POD_SUFFIX.fullmatch(n.removeprefix(f"{rs_name}-")) for n in names)
    assert sorted(events_about(cluster, rs_name)) == [
        ("SuccessfulCreate", f"Created pod: {n}") for n in names
    ]
    for pod in running:
        name, node = pod["metadata"]["name"], pod["spec"]["nodeName"]
        trail = events_about(cluster, name)
        assert [reason for reason, _ in trail] == [
            "Scheduled",
            "Pulling",
            "Pulled",
            "Created",
            "Started",
        ]
        assert trail[0][1] == f"Successfully assigned default/{name} to {node}"
        assert trail[1][1] == 'Pulling image "nginx"'
        assert PULLED.fullmatch(trail[2][1]), trail[2][1]
        assert trail[3:] == [
            ("Created", "Created container nginx"),
            ("Started", "Started container nginx"),
        ]
        assert pod["status"]["phase"] == "Running"
        assert {c["type"]: c["status"] for c in pod["status"]["conditions"]} == {
            "PodReadyToStartContainers": "True",
            "Initialized": "True",
            "ContainersReady": "True",
            "Ready": "True",
            "PodScheduled": "True",
        }

    d = api(cluster).get(DEPLOYMENT, "default", "web")
    assert _conditions(d) == [
        ("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."),
        ("Progressing", "True", "NewReplicaSetAvailable", f'ReplicaSet "{rs_name}" has successfully progressed.'),
    ]  # fmt: skip
    assert {k: d["status"][k] for k in ("replicas", "readyReplicas", "availableReplicas")} == {
        "replicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
    }  # fmt: skip


def _taints(cluster, node: str) -> list[tuple[str, str]]:
    return sorted(
        (t["key"], t["effect"]) for t in nodes(cluster)[node]["spec"].get("taints", [])
    )


def test_a_dead_worker_goes_unknown_after_the_grace_period_and_loses_its_pods_300s_later():
    cluster = paused_cluster()
    api(cluster).create(_kubectl_create_deployment("web", "nginx", 4))
    api(cluster).create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
        }
    )
    settle(cluster, 30)
    doomed = sorted(
        p["metadata"]["name"]
        for p in pods(cluster, label="app=web")
        if p["spec"]["nodeName"] == "worker1"
    )
    assert doomed, "the scheduler spread the pods over both workers"

    operations.set_power(Machine.objects.get(cluster=cluster, name="worker1"), False)
    off = now(cluster)
    operations.fast_forward(cluster, 40)
    assert ready(nodes(cluster)["worker1"]) == "True"  # inside the 50 s grace period

    # Past 50 s (plus at most one 5 s monitor period): Unknown, tainted, pods not ready.
    operations.fast_forward(cluster, 15)
    node = nodes(cluster)["worker1"]
    assert {
        c["type"]: (c["status"], c["reason"], c["message"])
        for c in node["status"]["conditions"]
    } == dict.fromkeys(
        ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"),
        ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."),
    )
    assert ("node.kubernetes.io/unreachable", "NoExecute") in _taints(
        cluster, "worker1"
    )
    assert ("node.kubernetes.io/unreachable", "NoSchedule") in _taints(
        cluster, "worker1"
    )
    tainted_at = next(
        t["timeAdded"] for t in node["spec"]["taints"] if t["effect"] == "NoExecute"
    )
    assert ("NodeNotReady", "Node worker1 status is now: NodeNotReady") in (
        events_about(cluster, "worker1", namespace="")
    )
    for name in doomed:
        assert events_about(cluster, name)[-1] == ("NodeNotReady", "Node is not ready")
    by_name = {p["metadata"]["name"]: p for p in pods(cluster, label="app=web")}
    assert all(
        c["status"] == "False"
        for name in doomed
        for c in by_name[name]["status"]["conditions"]
        if c["type"] == "Ready"
    )
    assert _endpoints(cluster) == {
        "addresses": sorted(n for n in by_name if n not in doomed),
        "notReadyAddresses": doomed,
    }

    # Nothing is evicted before the 300 s toleration runs out...
    operations.fast_forward(cluster, 280)
    assert len(live(pods(cluster, label="app=web"))) == 4
    assert {p["spec"]["nodeName"] for p in live(pods(cluster, label="app=web"))} == {
        "worker1",
        "worker2",
    }
    # ...then the taint eviction deletes them and the ReplicaSet replaces them.
    operations.fast_forward(cluster, 30)
    for name in doomed:
        assert events_about(cluster, name)[-1] == (
            "TaintManagerEviction",
            f"Marking for deletion Pod default/{name}",
        )
    current = pods(cluster, label="app=web")
    terminating = sorted(
        p["metadata"]["name"] for p in current if p["metadata"].get("deletionTimestamp")
    )
    assert terminating == doomed  # stuck: no kubelet confirms the kill
    assert [p["spec"]["nodeName"] for p in live(current)] == ["worker2"] * 4
    assert _endpoints(cluster) == {
        "addresses": sorted(p["metadata"]["name"] for p in live(current)),
        "notReadyAddresses": [],
    }
    assert [p["status"]["phase"] for p in live(current)] == ["Running"] * 4
    # timeAdded is RFC 3339 to the second, so compare whole seconds.
    assert 49 <= _seconds(tainted_at) - int(off) <= 55

    # The node comes back: its kubelet finishes the deletions and the taints go.
    operations.set_power(Machine.objects.get(cluster=cluster, name="worker1"), True)
    operations.fast_forward(cluster, 30)
    assert ready(nodes(cluster)["worker1"]) == "True"
    assert _taints(cluster, "worker1") == []
    assert sorted(p["metadata"]["name"] for p in pods(cluster, label="app=web")) == (
        sorted(p["metadata"]["name"] for p in live(current))
    )


def _endpoints(cluster) -> dict[str, list[str]]:
    """The pods behind Service web, by where its Endpoints list them."""
    (subset,) = api(cluster).get(by_kind("Endpoints"), "default", "web")["subsets"]
    return {
        key: sorted(a["targetRef"]["name"] for a in subset.get(key, []))
        for key in ("addresses", "notReadyAddresses")
    }


def _seconds(timestamp: str) -> float:
    from cluster.simtime import parse_rfc3339

    return parse_rfc3339(timestamp)


NAMESPACE = by_kind("Namespace")


def test_deleting_a_namespace_terminates_its_pods_then_the_namespace_goes():
    cluster = paused_cluster()
    api(cluster).create(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
    )
    web = _kubectl_create_deployment("web", "nginx", 2)
    web["metadata"]["namespace"] = "team"
    api(cluster).create(web)
    settle(cluster, 30)
    assert [p["status"]["phase"] for p in pods(cluster, "team")] == ["Running"] * 2

    api(cluster).delete(NAMESPACE, None, "team")
    ns = api(cluster).get(NAMESPACE, None, "team")
    assert ns["status"]["phase"] == "Terminating"
    assert ns["metadata"]["deletionTimestamp"]
    assert ns["spec"]["finalizers"] == ["kubernetes"]

    settle(cluster, 0.2)  # content deleted; pods are still stopping
    ns = api(cluster).get(NAMESPACE, None, "team")
    remaining = {c["type"]: c for c in ns["status"]["conditions"]}
    assert remaining["NamespaceContentRemaining"]["message"] == (
        "Some resources are remaining: pods. has 2 resource instances"
    )
    assert all(p["metadata"].get("deletionTimestamp") for p in pods(cluster, "team"))

    def gone():
        return not any(
            n["metadata"]["name"] == "team" for n in api(cluster).list(NAMESPACE).items
        )

    step_until(cluster, gone, max_steps=30)
    assert now(cluster) - _seconds(ns["metadata"]["deletionTimestamp"]) < 15


def test_every_controller_manager_start_registers_each_node_again():
    cluster = paused_cluster()
    settle(cluster, 20)

    def registered() -> dict[str, int]:
        return {
            e["involvedObject"]["name"]: e["count"]
            for e in api(cluster).list(EVENT, "default").items
            if e["reason"] == "RegisteredNode"
        }

    assert registered() == {"control-plane": 1, "worker1": 1, "worker2": 1}
    message = "Node worker1 event: Registered Node worker1 in Controller"
    assert ("RegisteredNode", message) in events_about(cluster, "worker1", namespace="")
    manager = component(cluster, "control-plane", "kube-controller-manager")
    operations.set_component_state(manager, "stopped")
    settle(cluster, 5)
    operations.set_component_state(manager, "running")
    settle(cluster, 30)  # the old leader Lease runs out, the new process takes it
    assert registered() == {"control-plane": 2, "worker1": 2, "worker2": 2}


def test_a_worker_back_within_300s_keeps_its_pods_and_their_evictions_are_cancelled():
    cluster = paused_cluster()
    api(cluster).create(_kubectl_create_deployment("web", "nginx", 4))
    settle(cluster, 30)
    before = sorted(p["metadata"]["name"] for p in pods(cluster, label="app=web"))
    doomed = sorted(
        p["metadata"]["name"]
        for p in pods(cluster, label="app=web")
        if p["spec"]["nodeName"] == "worker1"
    )
    worker = Machine.objects.get(cluster=cluster, name="worker1")
    operations.set_power(worker, False)
    operations.fast_forward(cluster, 120)
    assert ready(nodes(cluster)["worker1"]) == "Unknown"
    operations.set_power(worker, True)
    operations.fast_forward(cluster, 30)

    assert ready(nodes(cluster)["worker1"]) == "True"
    assert _taints(cluster, "worker1") == []
    for name in doomed:
        trail = events_about(cluster, name)
        cancelled = (
            "TaintManagerEviction",
            f"Cancelling deletion of Pod default/{name}",
        )
        assert trail.index(("NodeNotReady", "Node is not ready")) < trail.index(
            cancelled
        )
        assert [m for r, m in trail if r == "TaintManagerEviction"] == [cancelled[1]]
        assert ("SandboxChanged", SANDBOX_CHANGED) in trail  # it rebooted
    assert (
        sorted(p["metadata"]["name"] for p in live(pods(cluster, label="app=web")))
        == before
    )


def test_pods_of_a_removed_machine_are_collected_and_replaced():
    cluster = paused_cluster()
    api(cluster).create(_kubectl_create_deployment("web", "nginx", 4))
    settle(cluster, 30)
    lost = {
        p["metadata"]["name"]
        for p in pods(cluster, label="app=web")
        if p["spec"]["nodeName"] == "worker1"
    }
    assert lost
    operations.remove_machine(Machine.objects.get(cluster=cluster, name="worker1"))

    def node_gone():
        return "worker1" not in nodes(cluster)

    step_until(cluster, node_gone)
    gone_at = now(cluster)
    operations.fast_forward(cluster, 35)  # inside the 40 s quarantine
    assert lost <= {p["metadata"]["name"] for p in pods(cluster, label="app=web")}
    operations.fast_forward(cluster, 30)  # past it, at the next 20 s check
    current = pods(cluster, label="app=web")
    assert not lost & {p["metadata"]["name"] for p in current}
    assert [(p["spec"]["nodeName"], p["status"]["phase"]) for p in current] == [
        ("worker2", "Running")
    ] * 4
    assert now(cluster) - gone_at < 70
