"""`kubectl get pods` as a Table: the server's cost against plain `json.dumps`.

kubectl's default output asks for a `meta.k8s.io/v1` Table. This measures, for one
namespace of 1,000 running pods, the whole view that answers it (authentication, the
list, the rows, the JSON encoding) and, in the same run, `json.dumps` of the same pod
objects, the floor any JSON answer pays. Target: the Table costs at most 3 times that.

    DJANGO_SETTINGS_MODULE=tests.settings python -m bench.k8s_table [--pods N]

It works in a scratch database of its own, like `bench.store`.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable

from bench.scratch import scratch_database

POD_COUNT = 1000
ROUNDS = 21
TABLE_ACCEPT = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,"
    "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)
TARGET_RATIO = 3.0


def interleaved_ms(measures: dict[str, Callable[[], object]], rounds: int = ROUNDS):
    """Median wall time of each measure, in ms, taking turns round by round so that
    load from elsewhere on the machine weighs on all of them alike."""
    for fn in measures.values():
        fn()  # warm up
    times: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(rounds):
        for name, fn in measures.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1000 for name, t in times.items()}


def running_pod(i: int, now: str) -> dict:
    """A pod as a scheduled, running Deployment replica looks in the store."""
    name = f"web-7d9c6b8f5-{i:05d}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"app": "web", "pod-template-hash": "7d9c6b8f5"},
        },
        "spec": {
            "nodeName": f"worker{i % 3 + 1}",
            "containers": [
                {
                    "name": "nginx",
                    "image": "nginx:1.27",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                }
            ],
        },
        "status": {
            "phase": "Running",
            "podIP": f"10.244.{i // 250}.{i % 250 + 2}",
            "hostIP": "10.0.0.2",
            "startTime": now,
            "conditions": [
                {"type": t, "status": "True", "lastTransitionTime": now}
                for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready")
            ],
            "containerStatuses": [
                {
                    "name": "nginx",
                    "image": "nginx:1.27",
                    "imageID": "docker.io/library/nginx@sha256:0123",
                    "containerID": f"containerd://{i:064x}",
                    "ready": True,
                    "started": True,
                    "restartCount": i % 3,
                    "state": {"running": {"startedAt": now}},
                }
            ],
        },
    }


def run(pods: int) -> list[tuple[str, str]]:
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory
    from django.urls import resolve

    from cluster import kinds, store
    from cluster.apiserver import tables
    from cluster.apiserver.core import ApiServer
    from cluster.k8sapi import auth
    from cluster.k8sapi.responses import dumps
    from cluster.provision import create_cluster
    from cluster.simtime import rfc3339

    pod_kind = kinds.by_kind("Pod")
    owner = get_user_model().objects.create_user("bench")
    cluster = create_cluster(owner, "bench", template="single")
    api = ApiServer(cluster.pk, now=time.time(), rng=random.Random(1))
    now = rfc3339(time.time() - 3600)
    for i in range(pods):
        store.create(cluster.pk, pod_kind, running_pod(i, now))
    token = auth.token_for(cluster, owner)
    path = f"/k8s/clusters/{cluster.slug}/api/v1/namespaces/default/pods"
    request_factory = RequestFactory()
    match = resolve(path)

    def get(accept: str):
        request = request_factory.get(
            path,
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_ACCEPT=accept,
        )
        response = match.func(request, **match.kwargs)
        assert response.status_code == 200, response.content[:300]
        return response

    table = json.loads(get(TABLE_ACCEPT).content)
    assert len(table["rows"]) == pods and table["rows"][0]["cells"][2] == "Running"
    items = api.list(pod_kind, "default").items
    assert len(items) == pods

    ms = interleaved_ms(
        {
            "floor": lambda: json.dumps(items),
            "table": lambda: get(TABLE_ACCEPT),
            "list": lambda: api.list(pod_kind, "default"),
            "rows": lambda: tables.to_table(pod_kind, items, api.now),
            "encode": lambda: dumps(tables.to_table(pod_kind, items, api.now)),
            "json": lambda: get("application/json"),
        }
    )
    floor, view = ms["floor"], ms["table"]
    ratio = view / floor
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    return [
        (f"json.dumps of {pods} pods (the floor)", f"{floor:,.1f} ms"),
        (f"GET pods as a Table ({pods} rows), whole view", f"{view:,.1f} ms"),
        ("  of which: list and decode", f"{ms['list']:,.1f} ms"),
        ("  of which: build the rows", f"{ms['rows']:,.1f} ms"),
        ("  of which: rows and JSON encoding", f"{ms['encode']:,.1f} ms"),
        (f"GET pods as JSON ({pods} items), whole view", f"{ms['json']:,.1f} ms"),
        (
            "Table / json.dumps",
            f"{ratio:.2f}x ({verdict} the {TARGET_RATIO:.0f}x target)",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=POD_COUNT)
    args = parser.parse_args()
    with scratch_database():
        from django.conf import settings

        settings.KUBELAB_API_RATE = 0  # one caller, many requests: not a rate test
        figures = run(args.pods)
    from django.db import connection

    print(f"database: {connection.vendor}")
    width = max(len(label) for label, _ in figures)
    for label, value in figures:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
