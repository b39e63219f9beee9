"""ReplicaSets, Deployments and DaemonSets through the engine: a real cluster whose
controllers, scheduler and kubelets run on the simulated clock (paused, moved by hand).
"""

from __future__ import annotations

import re

import pytest

from cluster import kinds, operations
from cluster.controllers import deployment_util as U
from tests.engine.kit import (
    DEPLOYMENT,
    REPLICASET,
    api,
    cordon,
    deployment,
    events_about,
    live,
    paused_cluster,
    pods,
    rollout_undo,
    scale,
    set_image,
    settle,
    step_until,
)

pytestmark = pytest.mark.django_db

DAEMONSET = kinds.by_kind("DaemonSet")
# generateName's five random characters come from this alphabet (no vowels, no 0/1/3).
POD_SUFFIX = "[bcdfghjklmnpqrstvwxz2456789]{5}"
# The pod-template-hash: fnv32a in decimal, each digit mapped into the same alphabet.
TEMPLATE_HASH = re.compile(r"^[4-9bcdf]{1,10}$")
MAX_STEPS = 60


def replicaset(name: str, replicas: int, image: str, cpu: str) -> dict:
    """A bare ReplicaSet whose pods each request `cpu`."""
    rs = deployment(name, replicas, image)
    rs["kind"] = "ReplicaSet"
    (container,) = rs["spec"]["template"]["spec"]["containers"]
    container["resources"] = {"requests": {"cpu": cpu}}
    return rs


def names(items) -> set[str]:
    return {p["metadata"]["name"] for p in items}


def test_scaling_a_replicaset_3_to_10_to_2_deletes_the_least_established_pods_first():
    cluster = paused_cluster()
    # Three pods settle on worker1 and pull mongo there. Each pod asks for 900m, so a
    # 4-CPU worker holds four of them whatever CoreDNS (100m a pod) has taken.
    cordon(cluster, "worker2")
    api(cluster).create(replicaset("db", 3, "mongo:7.0", "900m"))
    operations.fast_forward(cluster, 60)
    first = pods(cluster, label="app=db")
    assert {(p["spec"]["nodeName"], p["status"]["phase"]) for p in first} == {
        ("worker1", "Running")
    }
    first = names(first)

    cordon(cluster, "worker2", False)
    scale(cluster, REPLICASET, "db", 10)
    settle(cluster)
    now = pods(cluster, label="app=db")
    assert len(now) == 10
    assert all(re.fullmatch(f"db-{POD_SUFFIX}", name) for name in names(now))
    new = [p for p in now if p["metadata"]["name"] not in first]
    # The seven creates were one sync: same second, one SuccessfulCreate each.
    assert len({p["metadata"]["creationTimestamp"] for p in new}) == 1
    created = [m for r, m in events_about(cluster, "db") if r == "SuccessfulCreate"]
    assert sorted(created[3:]) == sorted(f"Created pod: {n}" for n in names(new))
    # Room for one more on worker1, four on worker2, two left unscheduled.
    placed = [p["spec"].get("nodeName") for p in new]
    assert sorted(placed, key=str) == [None, None] + ["worker1"] + ["worker2"] * 4

    def new_pods() -> list[dict]:
        every = pods(cluster, label="app=db")
        return [p for p in every if p["metadata"]["name"] not in first]

    def worker1_runs_its_new_pod() -> bool:
        return any(
            (p["spec"].get("nodeName"), p["status"]["phase"]) == ("worker1", "Running")
            for p in new_pods()
        )

    # worker1 has the image and starts its new pod at once; worker2 pulls one at a time.
    step_until(cluster, worker1_runs_its_new_pod)
    new = new_pods()
    unscheduled = names(p for p in new if not p["spec"].get("nodeName"))
    pending = names(
        p
        for p in new
        if p["spec"].get("nodeName") and p["status"]["phase"] == "Pending"
    )
    running = names(p for p in new if p["status"]["phase"] == "Running")
    assert (len(unscheduled), len(pending), len(running)) == (2, 4, 1)

    scale(cluster, REPLICASET, "db", 2)
    settle(cluster)
    deleted = [
        m.removeprefix("Deleted pod: ")
        for r, m in events_about(cluster, "db")
        if r == "SuccessfulDelete"
    ]
    # Unscheduled before scheduled, Pending before Running, and of the Running ones
    # the one Ready for seconds before those Ready for a minute.
    assert set(deleted[:2]) == unscheduled
    assert set(deleted[2:6]) == pending
    assert set(deleted[6:7]) == running
    assert deleted[7] in first
    assert names(live(pods(cluster, label="app=db"))) == first - {deleted[7]}
    status = api(cluster).get(REPLICASET, "default", "db")["status"]
    assert status == {
        "replicas": 2,
        "fullyLabeledReplicas": 2,
        "readyReplicas": 2,
        "availableReplicas": 2,
        "observedGeneration": 3,
    }


# (old, new) spec.replicas seen step by step: the new ReplicaSet is scaled up in the
# tick the template changes; each later step waits for a new pod to be available, and
# then the old ReplicaSet goes down and the new one up within that tick.
ONE_POD_AT_A_TIME = [(3, 1), (2, 2), (1, 3), (0, 3)]


def rolling_deployment() -> dict:
    d = deployment("web", 3, image="nginx:1.26")
    d["spec"]["strategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    return d


def replicasets(cluster) -> dict[str, dict]:
    """The Deployment's ReplicaSets by the image of their template."""
    return {
        rs["spec"]["template"]["spec"]["containers"][0]["image"]: rs
        for rs in api(cluster).list(REPLICASET, "default").items
    }


def roll_to_rest(cluster, old_image: str, new_image: str) -> list[tuple[int, int]]:
    """Step the clock until the rollout is over; (old, new) spec.replicas at each step.

    Every step also checks the rollout's promise: never more than 3 + maxSurge pods
    asked for, never fewer than 3 - maxUnavailable available."""
    seen: list[tuple[int, int]] = []
    for _ in range(MAX_STEPS):
        rss = replicasets(cluster)
        sizes = (rss[old_image]["spec"]["replicas"], rss[new_image]["spec"]["replicas"])
        if not seen or seen[-1] != sizes:
            seen.append(sizes)
        assert sum(sizes) <= 4
        available = sum(rs["status"].get("availableReplicas", 0) for rs in rss.values())
        assert available >= 3
        status = api(cluster).get(DEPLOYMENT, "default", "web")["status"]
        if sizes == (0, 3) and status.get("updatedReplicas") == status["replicas"]:
            return seen
        cluster = operations.step(cluster)
    raise AssertionError(f"the rollout did not finish: {seen}")


def scaling_events(cluster) -> list[str]:
    return [m for r, m in events_about(cluster, "web") if r == "ScalingReplicaSet"]


def test_a_rolling_update_with_surge_1_unavailable_0_moves_one_pod_at_a_time():
    cluster = paused_cluster()
    api(cluster).create(rolling_deployment())
    operations.fast_forward(cluster, 60)
    (old,) = replicasets(cluster).values()
    old_name = old["metadata"]["name"]
    old_hash = old["spec"]["template"]["metadata"]["labels"][U.HASH_LABEL]
    assert TEMPLATE_HASH.match(old_hash)
    assert old_name == f"web-{old_hash}"
    assert old["spec"]["selector"]["matchLabels"] == {
        "app": "web",
        U.HASH_LABEL: old_hash,
    }
    assert {p["metadata"]["labels"][U.HASH_LABEL] for p in pods(cluster)} == {old_hash}

    set_image(cluster, "web", "web", "nginx:1.27")
    settle(cluster)
    assert roll_to_rest(cluster, "nginx:1.26", "nginx:1.27") == ONE_POD_AT_A_TIME
    rss = replicasets(cluster)
    new_name = rss["nginx:1.27"]["metadata"]["name"]
    new_hash = rss["nginx:1.27"]["metadata"]["labels"][U.HASH_LABEL]
    assert new_name == f"web-{new_hash}" != old_name
    # Every scaling, in order: the pairs (old, new) go (3,1) (2,1) (2,2) (1,2) (1,3) (0,3).
    assert scaling_events(cluster) == [
        f"Scaled up replica set {old_name} from 0 to 3",
        f"Scaled up replica set {new_name} from 0 to 1",
        f"Scaled down replica set {old_name} from 3 to 2",
        f"Scaled up replica set {new_name} from 1 to 2",
        f"Scaled down replica set {old_name} from 2 to 1",
        f"Scaled up replica set {new_name} from 2 to 3",
        f"Scaled down replica set {old_name} from 1 to 0",
    ]
    annotations = {
        image: {
            k: v
            for k, v in rs["metadata"]["annotations"].items()
            if k.startswith("deployment.kubernetes.io/")
        }
        for image, rs in rss.items()
    }
    assert annotations == {
        "nginx:1.26": {U.REVISION: "1", U.DESIRED_REPLICAS: "3", U.MAX_REPLICAS: "4"},
        "nginx:1.27": {U.REVISION: "2", U.DESIRED_REPLICAS: "3", U.MAX_REPLICAS: "4"},
    }
    web = api(cluster).get(DEPLOYMENT, "default", "web")
    assert web["metadata"]["annotations"][U.REVISION] == "2"
    running = live(pods(cluster))
    assert {p["metadata"]["labels"][U.HASH_LABEL] for p in running} == {new_hash}
    assert all(re.fullmatch(f"{new_name}-{POD_SUFFIX}", n) for n in names(running))
    progressing = next(
        c for c in web["status"]["conditions"] if c["type"] == "Progressing"
    )
    assert (progressing["reason"], progressing["message"]) == (
        "NewReplicaSetAvailable",
        f'ReplicaSet "{new_name}" has successfully progressed.',
    )


def test_rollout_undo_scales_the_old_replicaset_back_up_under_a_new_revision():
    cluster = paused_cluster()
    api(cluster).create(rolling_deployment())
    operations.fast_forward(cluster, 60)
    set_image(cluster, "web", "web", "nginx:1.27")
    settle(cluster)
    roll_to_rest(cluster, "nginx:1.26", "nginx:1.27")
    rss = replicasets(cluster)
    old_name = rss["nginx:1.26"]["metadata"]["name"]
    new_name = rss["nginx:1.27"]["metadata"]["name"]
    before = len(scaling_events(cluster))

    rollout_undo(cluster, "web")
    settle(cluster)
    assert roll_to_rest(cluster, "nginx:1.27", "nginx:1.26") == ONE_POD_AT_A_TIME
    rss = replicasets(cluster)
    # No third ReplicaSet: the one whose template matches is reused.
    assert {image: rs["metadata"]["name"] for image, rs in rss.items()} == {
        "nginx:1.26": old_name,
        "nginx:1.27": new_name,
    }
    old_annotations = rss["nginx:1.26"]["metadata"]["annotations"]
    assert (old_annotations[U.REVISION], old_annotations[U.REVISION_HISTORY]) == (
        "3",
        "1",
    )
    assert rss["nginx:1.27"]["metadata"]["annotations"][U.REVISION] == "2"
    web = api(cluster).get(DEPLOYMENT, "default", "web")
    assert web["metadata"]["annotations"][U.REVISION] == "3"
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"
    assert scaling_events(cluster)[before:] == [
        f"Scaled up replica set {old_name} from 0 to 1",
        f"Scaled down replica set {new_name} from 3 to 2",
        f"Scaled up replica set {old_name} from 1 to 2",
        f"Scaled down replica set {new_name} from 2 to 1",
        f"Scaled up replica set {old_name} from 2 to 3",
        f"Scaled down replica set {new_name} from 1 to 0",
    ]
    images = {p["spec"]["containers"][0]["image"] for p in live(pods(cluster))}
    assert images == {"nginx:1.26"}


def daemonset(name: str, tolerations: list[dict]) -> dict:
    ds = deployment(name, 1, image="busybox:1.36")
    ds["kind"] = "DaemonSet"
    del ds["spec"]["replicas"]
    template = ds["spec"]["template"]["spec"]
    template["tolerations"] = tolerations
    template["containers"][0]["command"] = ["sh", "-c", "sleep infinity"]
    return ds


CONTROL_PLANE_TOLERATION = {
    "key": "node-role.kubernetes.io/control-plane",
    "operator": "Exists",
    "effect": "NoSchedule",
}


@pytest.mark.parametrize(
    ("tolerations", "first_nodes"),
    [
        pytest.param([], {"worker1", "worker2"}, id="workers-only"),
        pytest.param(
            [CONTROL_PLANE_TOLERATION],
            {"control-plane", "worker1", "worker2"},
            id="tolerating-the-control-plane-taint",
        ),
    ],
)
def test_a_daemonset_runs_one_pod_per_eligible_node_and_on_a_new_worker(
    tolerations, first_nodes
):
    cluster = paused_cluster()
    api(cluster).create(daemonset("agent", tolerations))
    operations.fast_forward(cluster, 30)

    def placed() -> dict[str, str]:
        return {
            p["spec"]["nodeName"]: p["status"]["phase"]
            for p in pods(cluster, label="app=agent")
        }

    assert placed() == dict.fromkeys(first_nodes, "Running")
    operations.add_machine(cluster, "worker")
    operations.fast_forward(cluster, 30)
    assert placed() == dict.fromkeys(first_nodes | {"worker3"}, "Running")
    (pod,) = [
        p
        for p in pods(cluster, label="app=agent")
        if p["spec"]["nodeName"] == "worker3"
    ]
    assert re.fullmatch(f"agent-{POD_SUFFIX}", pod["metadata"]["name"])
    # Pinned by node affinity, not by nodeName: the default scheduler binds it.
    terms = pod["spec"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]["nodeSelectorTerms"]
    assert terms == [
        {
            "matchFields": [
                {"key": "metadata.name", "operator": "In", "values": ["worker3"]}
            ]
        }
    ]
    unreachable = next(
        t
        for t in pod["spec"]["tolerations"]
        if t["key"] == "node.kubernetes.io/unreachable"
    )
    assert unreachable == {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
    }
    want = len(first_nodes) + 1
    status = api(cluster).get(DAEMONSET, "default", "agent")["status"]
    assert (
        status["desiredNumberScheduled"],
        status["currentNumberScheduled"],
        status["numberReady"],
        status["numberMisscheduled"],
    ) == (want, want, want, 0)
