"""Deployment controller: rollouts step by step, Recreate, undo, pause, deadlines, history."""

from __future__ import annotations

import copy
import random

import pytest

from cluster.actions import Create, Patch, RecordEvent, UpdateStatus
from cluster.controllers import deployment, replicaset
from cluster.controllers import deployment_util as U
from cluster.objects import pods as P
from cluster.simtime import rfc3339
from tests.controllers import fakeapi
from tests.controllers.workload_builders import T0, make_ready, template


def make_deployment(replicas=3, image="nginx:1.26", strategy=None, **spec) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "deploy-uid",
            "generation": 1,
            "creationTimestamp": rfc3339(T0),
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": template(image),
            "strategy": strategy
            or {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            **spec,
        },
    }


class Cluster:
    """The deployment and replicaset controllers over an in-memory view, pods turning Ready."""

    def __init__(self, d: dict, pods_ready: bool = True):
        self.view = {"Deployment": [d], "ReplicaSet": [], "Pod": []}
        self.now = T0
        self.rng = random.Random(42)
        self.events: list[tuple[str, str]] = []
        self.pods_ready = pods_ready

    @property
    def d(self) -> dict:
        return self.view["Deployment"][0]

    def set_template(self, image: str) -> None:
        self.d["spec"]["template"] = template(image)
        self.d["metadata"]["generation"] += 1

    def tick(self) -> None:
        self.now += 1
        fakeapi.apply(
            self.view,
            deployment.sync(self.view, self.now, self.rng),
            self.now,
            self.events,
        )
        fakeapi.apply(
            self.view,
            replicaset.sync(self.view, self.now, self.rng),
            self.now,
            self.events,
        )
        if self.pods_ready:
            make_ready(self.view, self.now)
        fakeapi.apply(
            self.view,
            replicaset.sync(self.view, self.now, self.rng),
            self.now,
            self.events,
        )

    def sizes(self) -> dict[str, int]:
        return {
            P.name(r): U.replicas(r) for r in U.by_creation(self.view["ReplicaSet"])
        }

    def settle(self, max_ticks: int = 30) -> list[dict[str, int]]:
        """Tick until nothing changes; the distinct ReplicaSet sizes seen on the way."""
        seen = [self.sizes()]
        for _ in range(max_ticks):
            before = copy.deepcopy(self.view)
            self.tick()
            if self.sizes() != seen[-1]:
                seen.append(self.sizes())
            if before == self.view:
                return seen
        raise AssertionError("did not settle")

    def scaling(self) -> list[str]:
        return [m for r, m in self.events if r == "ScalingReplicaSet"]

    def condition(self, type_: str) -> tuple[str, str, str]:
        c = U.get_condition(self.d["status"], type_)
        return c["status"], c["reason"], c["message"]


def rs_name(image: str) -> str:
    return f"web-{U.pod_template_hash(template(image))}"


def test_pod_template_hash_has_the_kubernetes_format():
    h = U.pod_template_hash(template("nginx"))
    assert 1 <= len(h) <= 10 and set(h) <= set("456789bcdf")
    assert U.pod_template_hash(template("nginx"), 1) != h
    with_null = template("nginx")
    with_null["metadata"]["creationTimestamp"] = None
    assert U.pod_template_hash(with_null) == h


@pytest.mark.parametrize(
    ("replicas", "surge", "unavailable", "expected"),
    [
        pytest.param(4, "25%", "25%", (1, 1), id="defaults-4"),
        pytest.param(3, "25%", "25%", (1, 0), id="defaults-3"),
        pytest.param(10, "25%", "25%", (3, 2), id="surge-up-unavailable-down"),
        pytest.param(3, 0, 0, (0, 1), id="both-zero"),
        pytest.param(5, 2, "50%", (2, 2), id="ints"),
    ],
)
def test_fenceposts_round_surge_up_and_unavailable_down(
    replicas, surge, unavailable, expected
):
    d = make_deployment(
        replicas,
        strategy={
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
        },
    )
    assert U.resolve_fenceposts(d) == expected


def test_first_sync_creates_the_new_replicaset_with_annotations_and_conditions():
    d = make_deployment()
    actions = deployment.reconcile(d, [], [], T0)
    name = rs_name("nginx:1.26")
    h = name.removeprefix("web-")
    rs = actions[0].obj
    assert isinstance(actions[0], Create)
    assert rs["metadata"] == {
        "name": name,
        "namespace": "default",
        "labels": {"app": "web", "pod-template-hash": h},
        "ownerReferences": [P.owner_reference(d)],
        "annotations": {
            "deployment.kubernetes.io/revision": "1",
            "deployment.kubernetes.io/desired-replicas": "3",
            "deployment.kubernetes.io/max-replicas": "4",
        },
    }
    assert rs["spec"]["replicas"] == 3
    assert rs["spec"]["selector"] == {
        "matchLabels": {"app": "web", "pod-template-hash": h}
    }
    t = rfc3339(T0)
    status = {
        "observedGeneration": 1,
        "unavailableReplicas": 3,
        "conditions": [
            {
                "type": "Progressing",
                "status": "True",
                "lastUpdateTime": t,
                "lastTransitionTime": t,
                "reason": "NewReplicaSetCreated",
                "message": f'Created new replica set "{name}"',
            },
            {
                "type": "Available",
                "status": "False",
                "lastUpdateTime": t,
                "lastTransitionTime": t,
                "reason": "MinimumReplicasUnavailable",
                "message": "Deployment does not have minimum availability.",
            },
        ],
    }
    assert actions[1:] == [
        RecordEvent(
            P.ref(d),
            "Normal",
            "ScalingReplicaSet",
            f"Scaled up replica set {name} from 0 to 3",
            "deployment-controller",
        ),
        UpdateStatus({**d, "status": status}),
        Patch(
            P.ref(d),
            {"metadata": {"annotations": {"deployment.kubernetes.io/revision": "1"}}},
        ),
    ]


def test_rollout_completes_with_kubectl_visible_status():
    c = Cluster(make_deployment())
    c.settle()
    name = rs_name("nginx:1.26")
    status = c.d["status"]
    assert {k: v for k, v in status.items() if k != "conditions"} == {
        "observedGeneration": 1,
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
    }
    assert [c["type"] for c in status["conditions"]] == ["Available", "Progressing"]
    assert c.condition("Progressing") == (
        "True",
        "NewReplicaSetAvailable",
        f'ReplicaSet "{name}" has successfully progressed.',
    )
    assert c.condition("Available") == (
        "True",
        "MinimumReplicasAvailable",
        "Deployment has minimum availability.",
    )
    assert c.d["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1"}


def test_rolling_update_with_surge_1_unavailable_0_moves_one_pod_at_a_time():
    strategy = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    c = Cluster(make_deployment(strategy=strategy))
    c.settle()
    old, new = rs_name("nginx:1.26"), rs_name("nginx:1.27")
    c.set_template("nginx:1.27")
    steps = c.settle()
    assert steps == [
        {old: 3},
        {old: 3, new: 1},
        {old: 2, new: 1},
        {old: 2, new: 2},
        {old: 1, new: 2},
        {old: 1, new: 3},
        {old: 0, new: 3},
    ]
    assert c.scaling()[1:] == [
        f"Scaled up replica set {new} from 0 to 1",
        f"Scaled down replica set {old} from 3 to 2",
        f"Scaled up replica set {new} from 1 to 2",
        f"Scaled down replica set {old} from 2 to 1",
        f"Scaled up replica set {new} from 2 to 3",
        f"Scaled down replica set {old} from 1 to 0",
    ]
    assert {P.name(r): P.annotations(r)[U.REVISION] for r in c.view["ReplicaSet"]} == {
        old: "1",
        new: "2",
    }
    assert c.condition("Progressing")[1:] == (
        "NewReplicaSetAvailable",
        f'ReplicaSet "{new}" has successfully progressed.',
    )
    assert len(c.view["Pod"]) == 3


def test_recreate_scales_old_to_zero_before_creating_the_new_replicaset():
    c = Cluster(make_deployment(strategy={"type": "Recreate"}))
    c.settle()
    old, new = rs_name("nginx:1.26"), rs_name("nginx:1.27")
    c.set_template("nginx:1.27")
    assert c.settle() == [{old: 3}, {old: 0}, {old: 0, new: 3}]
    assert c.scaling()[1:] == [
        f"Scaled down replica set {old} from 3 to 0",
        f"Scaled up replica set {new} from 0 to 3",
    ]
    max_replicas = [P.annotations(r)[U.MAX_REPLICAS] for r in c.view["ReplicaSet"]]
    assert max_replicas == ["3", "3"]


def test_rollout_undo_reuses_the_old_replicaset_with_a_new_revision():
    c = Cluster(make_deployment())
    c.settle()
    c.set_template("nginx:1.27")
    c.settle()
    old, new = rs_name("nginx:1.26"), rs_name("nginx:1.27")
    # kubectl rollout undo patches the old template back, with creationTimestamp: null.
    undo = template("nginx:1.26")
    undo["metadata"]["creationTimestamp"] = None
    c.d["spec"]["template"] = undo
    c.d["metadata"]["generation"] += 1
    c.settle()
    revisions = {
        P.name(r): P.annotations(r).get(U.REVISION) for r in c.view["ReplicaSet"]
    }
    assert revisions == {old: "3", new: "2"}
    assert P.annotations(c.view["ReplicaSet"][0])[U.REVISION_HISTORY] == "1"
    assert c.sizes() == {old: 3, new: 0}
    assert c.d["metadata"]["annotations"][U.REVISION] == "3"


def test_paused_deployment_scales_but_does_not_roll_out():
    c = Cluster(make_deployment())
    c.settle()
    old = rs_name("nginx:1.26")
    c.d["spec"]["paused"] = True
    c.set_template("nginx:1.27")
    c.d["spec"]["replicas"] = 5
    assert c.settle() == [{old: 3}, {old: 5}]
    assert c.condition("Progressing") == (
        "Unknown",
        "DeploymentPaused",
        "Deployment is paused",
    )
    c.d["spec"]["paused"] = False
    c.tick()
    assert c.condition("Progressing")[:2] == ("True", "NewReplicaSetCreated")
    assert rs_name("nginx:1.27") in c.sizes()


def test_progress_deadline_exceeded_when_new_pods_never_become_ready():
    c = Cluster(make_deployment(replicas=2, progressDeadlineSeconds=60))
    c.settle()
    c.pods_ready = False
    c.set_template("nginx:1.27")
    c.settle()
    new = rs_name("nginx:1.27")
    assert c.condition("Progressing")[1] == "ReplicaSetUpdated"
    wake = deployment.next_wake(c.view, c.now)
    c.now = wake
    c.tick()
    assert c.condition("Progressing") == (
        "False",
        "ProgressDeadlineExceeded",
        f'ReplicaSet "{new}" has timed out progressing.',
    )
    assert deployment.next_wake(c.view, c.now) is None


def test_revision_history_limit_deletes_the_oldest_idle_replicasets():
    c = Cluster(make_deployment(revisionHistoryLimit=1))
    c.settle()
    for image in ("nginx:1.27", "nginx:1.28"):
        c.set_template(image)
        c.settle()
    assert sorted(c.sizes()) == sorted([rs_name("nginx:1.27"), rs_name("nginx:1.28")])
    assert c.sizes()[rs_name("nginx:1.28")] == 3


def test_scaling_mid_rollout_is_proportional():
    c = Cluster(make_deployment(replicas=10))
    c.settle()
    c.pods_ready = False
    c.set_template("nginx:1.27")
    c.tick()
    old, new = rs_name("nginx:1.26"), rs_name("nginx:1.27")
    assert c.sizes() == {old: 8, new: 3}
    c.d["spec"]["replicas"] = 20
    c.tick()
    # Sized for max 13, now max 25: 8→15 (+7), 3→6 (+3); the leftover 4 goes to the largest.
    assert c.sizes() == {old: 19, new: 6}
