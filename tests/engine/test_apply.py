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
