"""Actions applied as API calls: bindings in batches that share a transaction."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cluster import kinds, store
from cluster.actions import Bind, Ref
from cluster.engine.apply import BIND_BATCH, apply_all
from tests.engine.kit import api, new_cluster

pytestmark = pytest.mark.django_db
POD = kinds.by_kind("Pod")


def _pending(cluster, count: int) -> list[Ref]:
    refs = []
    for i in range(count):
        pod = api(cluster).create(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"p{i:03d}", "namespace": "default"},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
            }
        )
        refs.append(Ref("Pod", "default", pod["metadata"]["name"], "v1"))
    return refs


def test_a_burst_of_bindings_shares_commits_but_each_is_its_own_revision(settings):
    settings.KUBELAB_QUOTA_PODS_PER_CLUSTER = 1000
    cluster = new_cluster("empty")
    refs = _pending(cluster, BIND_BATCH + 5)
    before = store.current_revision(cluster.pk)
    taken = Bind(refs[3], "n")
    # Already bound: its Bind below is refused, and the rest of its batch still lands.
    assert apply_all(api(cluster), [taken]) == (1, 0)
    binds = [Bind(ref, "worker1") for ref in refs]
    with CaptureQueriesContext(connection) as queries:
        landed, refused = apply_all(api(cluster), binds)

    assert (landed, refused) == (len(refs) - 1, 1)
    commits = [q for q in queries.captured_queries if q["sql"].startswith("COMMIT")]
    assert len(commits) <= 2  # one per batch of BIND_BATCH
    nodes = {
        p["metadata"]["name"]: p["spec"].get("nodeName")
        for p in api(cluster).list(POD, "default").items
    }
    assert nodes.pop(taken.pod.name) == "n"
    assert set(nodes.values()) == {"worker1"}
    events = store.events_since(cluster.pk, before + 1)
    assert [e.revision for e in events] == list(range(before + 2, before + 2 + landed))


def test_creates_past_the_quota_record_failed_create_and_stop_the_slow_start(settings):
    from cluster import operations
    from tests.engine.kit import deployment, pods

    cluster = new_cluster()
    settings.KUBELAB_QUOTA_PODS_PER_CLUSTER = len(pods(cluster, namespace=None)) + 2
    api(cluster).create(deployment("web", 10))
    operations.fast_forward(cluster, 5)

    assert len(pods(cluster, label="app=web")) == 2
    events = api(cluster).list(kinds.by_kind("Event"), "default").items
    created = [e for e in events if e["reason"] == "SuccessfulCreate"]
    assert sum(e.get("count", 1) for e in created if "Created pod" in e["message"]) == 2
    failed = [e for e in events if e["reason"] == "FailedCreate"]
    assert failed and all(e["type"] == "Warning" for e in failed)
    assert failed[0]["involvedObject"]["kind"] == "ReplicaSet"
    assert failed[0]["message"].startswith('Error creating: pods "web-')
    assert "is forbidden: exceeded quota: kubelab-cluster-quota" in failed[0]["message"]


def test_a_failed_batch_stops_the_slow_start_before_the_next_batch(settings):
    from cluster.controllers.replicaset import create_pods
    from tests.engine.kit import pods

    cluster = new_cluster("empty")
    settings.KUBELAB_QUOTA_PODS_PER_CLUSTER = len(pods(cluster, namespace=None)) + 2
    owner = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web-1", "namespace": "default", "uid": "u1"},
    }
    template = {"spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}
    names = [f"web-1-{i}" for i in range(7)]  # batches of 1, 2 and 4 pods
    actions = create_pods(owner, template, names, "replicaset-controller")

    # Batch 1 lands, batch 2 lands one pod and fails one, batch 3 is never sent.
    assert apply_all(api(cluster), actions) == (2, 5)
    assert sorted(p["metadata"]["name"] for p in pods(cluster)) == names[:2]


def test_a_failed_create_sets_replica_failure_until_the_count_is_right(settings):
    from cluster import operations
    from tests.engine.kit import DEPLOYMENT, REPLICASET, deployment, pods

    def failure(kind, name: str) -> dict | None:
        status = api(cluster).get(kind, "default", name).get("status") or {}
        conditions = status.get("conditions") or []
        return next((c for c in conditions if c["type"] == "ReplicaFailure"), None)

    cluster = new_cluster()
    settings.KUBELAB_QUOTA_PODS_PER_CLUSTER = len(pods(cluster, namespace=None)) + 2
    api(cluster).create(deployment("web", 4))
    operations.fast_forward(cluster, 5)
    (rs,) = api(cluster).list(REPLICASET, "default").items
    name = rs["metadata"]["name"]

    condition = failure(REPLICASET, name)
    assert condition is not None
    assert (condition["status"], condition["reason"]) == ("True", "FailedCreate")
    assert condition["message"].startswith('pods "web-')
    assert "exceeded quota" in condition["message"]
    assert "{error}" not in condition["message"]
    copied = failure(DEPLOYMENT, "web")
    assert copied is not None and copied["reason"] == "FailedCreate"

    settings.KUBELAB_QUOTA_PODS_PER_CLUSTER = 1000
    operations.fast_forward(cluster, 30)
    assert len(pods(cluster, label="app=web")) == 4
    assert failure(REPLICASET, name) is None
    assert failure(DEPLOYMENT, "web") is None
