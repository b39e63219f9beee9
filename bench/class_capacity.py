"""Class capacity: N concurrent clusters (1 master, 3 workers, a 10-pod Deployment each,
at 1x) on this machine with a real Celery worker and beat. Reports tick lag p50/p95 and
memory (RSS of worker + beat + Redis + this process) per cluster.

Run: `.venv/bin/python bench/class_capacity.py 50 100` (each N in a fresh SQLite database
under a temporary directory; set DATABASE_URL for PostgreSQL).

Tick lag is sampled once a second for every cluster: how far (in wall seconds) its clock
has run past its next timer without a tick having handled it. Sampling starts once the
clusters have settled (N/5 seconds after the last one was created, at least 20 s) and
lasts a minute.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def children_of(pid: int) -> list[int]:
    out = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True
    ).stdout
    return [int(p) for p in out.split()]


def run(n: int, seconds: int, settle: int) -> dict:
    var = tempfile.mkdtemp(prefix="kubelab-bench-")
    env = {
        **os.environ,
        "SECRET_KEY": "bench",
        "KUBELAB_VAR_DIR": var,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from cluster.access import api_for, sim_now
    from cluster.models import Cluster
    from cluster.provision import create_cluster
    from cluster.templates import TEMPLATES, Template
    from config import embedded_redis

    redis_process = embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET)
    call_command("migrate", verbosity=0)
    TEMPLATES["bench"] = Template("bench", masters=1, workers=3)
    user, _ = get_user_model().objects.get_or_create(username="bench")
    common = [sys.executable, "-m", "celery", "-A", "config"]
    worker = subprocess.Popen(
        [*common, "worker", "--loglevel", "ERROR", "--concurrency", "2"],
        env=env,
        cwd=ROOT,
    )
    beat = subprocess.Popen(
        [*common, "beat", "--loglevel", "ERROR", "--schedule", f"{var}/beat"],
        env=env,
        cwd=ROOT,
    )
    try:
        started = time.time()
        for i in range(n):
            cluster = create_cluster(user, f"c{i}", template="bench")
            api_for(cluster).create(_deployment())
        print(f"  created {n} clusters in {time.time() - started:.0f} s", flush=True)
        # The last clusters' rollouts, and the backlog their creation left, settle
        # first: the figure is the steady state of N resting clusters.
        settle_until = time.time() + settle
        while time.time() < settle_until:
            window = _sample_lags(Cluster, sim_now, 10)
            print(f"  settling: lag p95 {_p95(window):.2f} s", flush=True)
        lags = _sample_lags(Cluster, sim_now, seconds)
        pids = [worker.pid, *children_of(worker.pid), beat.pid, os.getpid()]
        if redis_process:
            pids.append(redis_process.pid)
        memory = rss_mb(pids)
        return {
            "n": n,
            "lag_p50": statistics.median(lags),
            "lag_p95": _p95(lags),
            "rss_mb": memory,
            "clusters_per_gib": n / (memory / 1024),
        }
    finally:
        for process in (worker, beat):
            process.terminate()
            process.wait()
        embedded_redis.stop(redis_process)


def _sample_lags(Cluster, sim_now, seconds: float) -> list[float]:
    """Every cluster's tick lag, sampled once a second for `seconds`."""
    lags: list[float] = []
    end = time.time() + seconds
    while time.time() < end:
        wall = time.time()
        for c in Cluster.objects.only(
            "sim_anchor", "wall_anchor", "speed", "next_timer"
        ):
            if c.next_timer is not None and c.speed:
                lags.append(max(0.0, (sim_now(c, wall) - c.next_timer) / c.speed))
        time.sleep(1)
    return lags


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(len(ordered) * 0.95)] if ordered else 0.0


def _deployment() -> dict:
    labels = {"app": "web"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 10,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [50]
    for size in sizes:
        # Each size in its own process, so that settings and databases are fresh.
        if len(sizes) > 1:
            subprocess.run([sys.executable, __file__, str(size)], check=True)
            continue
        result = run(size, seconds=60, settle=max(20, size // 5))
        print(
            f"N={result['n']}: tick lag p50 {result['lag_p50']:.2f} s, p95 {result['lag_p95']:.2f} s; "
            f"RSS {result['rss_mb']:.0f} MiB ({result['clusters_per_gib']:.0f} clusters/GiB)"
        )
