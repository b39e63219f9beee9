"""Store and API server throughput on the configured database.

Measures, for one cluster: pod creates/s and updates/s through the whole API server
chain (admission, defaulting, validation, compare-and-swap write, on-commit notify) and
through the store alone; listing 1,000 and 10,000 pods (decoded, and raw JSON bodies as
the HTTP API sends them); and reading 5,000 events from the watch log.

Run from the project root:

    DJANGO_SETTINGS_MODULE=tests.settings python -m bench.store            # SQLite
    DATABASE_URL=postgres://user@host:5432/db DJANGO_SETTINGS_MODULE=tests.settings \\
        python -m bench.store                                             # PostgreSQL

It works in a scratch database of its own (`kubelab_bench`, or `bench.sqlite3` in the
var directory), created and dropped around the run, so the configured database itself
is never written. With REDIS_URL unset it starts the embedded Redis, so each write's
on-commit notification costs what it costs in the lab; `--no-notify` leaves that
notification out to show the database's share. `--pods N` changes the size.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import time
from collections.abc import Callable

from bench.scratch import quiet, scratch_database

POD_COUNT = 1000
LIST_SIZE = 1000
BIG_LIST_SIZE = 10_000
WATCH_EVENTS = 5000
REPEATS = 5


def _pod(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "web", "tier": "front"}},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "nginx:1.27",
                    "ports": [{"containerPort": 80}],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                }
            ]
        },
    }


def _rate(count: int, fn: Callable[[int], object]) -> float:
    """Calls per second of `fn(i)` for i in range(count)."""
    start = time.perf_counter()
    for i in range(count):
        fn(i)
    return count / (time.perf_counter() - start)


def _best_ms(fn: Callable[[], object]) -> float:
    """Median wall time of REPEATS runs, in milliseconds."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def run(pods: int) -> list[tuple[str, str]]:
    from django.contrib.auth import get_user_model

    from cluster import kinds, store
    from cluster.apiserver.core import ApiServer
    from cluster.models import Cluster

    pod_kind = kinds.by_kind("Pod")
    owner = get_user_model().objects.create_user("bench")
    cluster = Cluster.objects.create(owner=owner, name="bench", slug="bench")
    api = ApiServer(cluster.pk, now=1_700_000_000.0, rng=random.Random(1))
    api.create(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}
    )
    api.create(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": "default"},
        }
    )
    figures: list[tuple[str, str]] = []

    rate = _rate(pods, lambda i: api.create(_pod(f"api-{i:05d}")))
    figures.append((f"create {pods} pods, API server", f"{rate:,.0f}/s"))
    rate = _rate(
        pods,
        lambda i: api.merge_patch(
            pod_kind, "default", f"api-{i:05d}", {"metadata": {"labels": {"v": "2"}}}
        ),
    )
    figures.append((f"update {pods} pods (merge patch), API server", f"{rate:,.0f}/s"))

    # The store alone: the same pods, already admitted, written again under new names.
    admitted = api.list(pod_kind).items or []

    def store_create(i: int) -> None:
        obj = dict(
            admitted[i], metadata={**admitted[i]["metadata"], "name": f"s-{i:05d}"}
        )
        store.create(cluster.pk, pod_kind, obj)

    rate = _rate(pods, store_create)
    figures.append((f"create {pods} pods, store only", f"{rate:,.0f}/s"))
    stored = store.list_objects(cluster.pk, pod_kind, "default", limit=pods).items or []
    rate = _rate(
        pods,
        lambda i: store.update(
            cluster.pk,
            pod_kind,
            stored[i],
            int(stored[i]["metadata"]["resourceVersion"]),
        ),
    )
    figures.append((f"update {pods} pods (CAS), store only", f"{rate:,.0f}/s"))

    size = min(LIST_SIZE, 2 * pods)
    decoded = _best_ms(lambda: api.list(pod_kind, "default", limit=size))
    raw = _best_ms(lambda: api.list(pod_kind, "default", limit=size, decode=False))
    figures.append((f"list {size} pods, decoded", f"{decoded:,.1f} ms"))
    figures.append((f"list {size} pods, raw JSON bodies", f"{raw:,.1f} ms"))

    since = store.current_revision(cluster.pk)
    names = [o["metadata"]["name"] for o in stored]
    with quiet():
        for i in range(WATCH_EVENTS):
            live = store.get(cluster.pk, pod_kind, "default", names[i % len(names)])
            store.update(cluster.pk, pod_kind, live, None)
    events = store.events_since(cluster.pk, since)
    assert len(events) == WATCH_EVENTS, len(events)
    read = _best_ms(lambda: store.events_since(cluster.pk, since))
    figures.append((f"events_since over {WATCH_EVENTS} events", f"{read:,.1f} ms"))

    # A big list: the same admitted pod under more names, written by the store alone.
    template = admitted[0]
    with quiet():
        for i in range(BIG_LIST_SIZE - 2 * pods):
            meta = {**template["metadata"], "name": f"b-{i:05d}"}
            store.create(cluster.pk, pod_kind, dict(template, metadata=meta))
    total = len(store.list_objects(cluster.pk, pod_kind, decode=False).raw)
    decoded = _best_ms(lambda: api.list(pod_kind, "default"))
    raw = _best_ms(lambda: api.list(pod_kind, "default", decode=False))
    figures.append((f"list {total:,} pods, decoded", f"{decoded:,.1f} ms"))
    figures.append((f"list {total:,} pods, raw JSON bodies", f"{raw:,.1f} ms"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=POD_COUNT)
    parser.add_argument("--no-notify", dest="notify", action="store_false")
    args = parser.parse_args()
    with scratch_database(), contextlib.nullcontext() if args.notify else quiet():
        figures = run(args.pods)
    from django.db import connection

    notified = "with" if args.notify else "without"
    print(f"database: {connection.vendor}, {notified} on-commit notifications")
    width = max(len(label) for label, _ in figures)
    for label, value in figures:
        print(f"{label:<{width}}  {value:>12}")


if __name__ == "__main__":
    main()
