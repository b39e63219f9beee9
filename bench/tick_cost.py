"""How much one tick of a resting cluster costs, and how many ticks a minute at rest needs.

Run: `SECRET_KEY=x KUBELAB_VAR_DIR=$(mktemp -d) .venv/bin/python bench/tick_cost.py`
(a fresh SQLite database in a temporary directory; DATABASE_URL selects PostgreSQL).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402

from cluster import operations  # noqa: E402
from cluster.access import api_for  # noqa: E402
from cluster.engine.tick import tick  # noqa: E402
from cluster.models import Cluster  # noqa: E402
from cluster.provision import create_cluster  # noqa: E402


def main() -> None:
    from django.conf import settings

    from config import embedded_redis

    redis_process = (
        embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET)
        if settings.REDIS_IS_EMBEDDED
        else None
    )
    try:
        run()
    finally:
        embedded_redis.stop(redis_process)


def run() -> None:
    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench")
    Cluster.objects.filter(owner=user).delete()
    started = time.perf_counter()
    cluster = create_cluster(user, "bench", template="single")
    print(f"create_cluster: {time.perf_counter() - started:.2f} s")
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 10,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }
    api_for(cluster).create(deployment)
    started = time.perf_counter()
    operations.fast_forward(cluster, 120)
    print(
        f"120 sim seconds with a 10-pod rollout: {time.perf_counter() - started:.2f} s"
    )

    # At rest: count ticks over 10 sim minutes and time each one.
    cluster.refresh_from_db()
    durations = []
    now = cluster.next_timer
    end = now + 600
    while now is not None and now < end:
        t = time.perf_counter()
        tick(cluster.pk, now)
        durations.append(time.perf_counter() - t)
        cluster.refresh_from_db()
        now = cluster.next_timer
    durations.sort()
    print(
        f"at rest: {len(durations) / 10:.1f} ticks per sim minute; tick p50 "
        f"{statistics.median(durations) * 1000:.1f} ms, p95 "
        f"{durations[int(len(durations) * 0.95)] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
