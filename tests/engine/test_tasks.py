"""Celery wiring: due clusters are found by their clock, writes wake their cluster, and a
real worker and beat drive a cluster to where kubectl expects it."""

from __future__ import annotations

import subprocess
import time

import pytest
import redis
from django.conf import settings

from cluster import operations, tasks
from cluster.kinds import by_kind
from cluster.models import Cluster
from tests.conftest import (
    CELERY,
    ROOT,
    start_celery_worker,
    stop_process,
    subprocess_env,
    wait_until,
)
from tests.engine.kit import api, deployment, new_cluster, phases, pods


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("speed", "timer_offset", "due"),
    [
        (1, 0.4, True),  # half a second passed: its timer at +0.4 s is due
        (1, 10.0, False),  # not yet
        (60, 29.0, True),  # 60x: 30 sim seconds pass in half a wall second
        (60, 31.0, False),
        (0, 1.0, False),  # paused: time does not move, so nothing comes due
        (1, None, False),  # no timer at all: a cluster at rest
    ],
)
def test_due_clusters_follow_each_clusters_clock(speed, timer_offset, due):
    cluster = new_cluster()
    wall = time.time()
    Cluster.objects.filter(pk=cluster.pk).update(
        sim_anchor=1000.0,
        wall_anchor=wall - 0.5,
        speed=speed,
        next_timer=None if timer_offset is None else 1000.0 + timer_offset,
    )
    assert (cluster.pk in tasks.due_clusters(wall)) is due


@pytest.mark.django_db
def test_a_cluster_gets_at_most_one_queued_tick():
    cluster = new_cluster()
    client = redis.Redis.from_url(settings.REDIS_URL)
    key = f"kubelab:tick-queued:{cluster.pk}"
    client.delete(key)
    queue_before = client.llen("celery")
    tasks.wake_cluster(cluster.pk)
    tasks.wake_cluster(cluster.pk)
    tasks.wake_cluster(cluster.pk)
    assert client.exists(key)
    assert client.llen("celery") == queue_before + 1
    client.delete("celery")


@pytest.fixture
def worker_and_beat():
    env = subprocess_env(KUBELAB_USE_TEST_DATABASE="1")
    schedule = str(settings.VAR_DIR / "beat-schedule")
    beat = [*CELERY, "beat", "--loglevel", "WARNING", "--schedule", schedule]
    processes = [start_celery_worker(env), subprocess.Popen(beat, cwd=ROOT, env=env)]
    yield
    for process in processes:
        stop_process(process)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_deployment_to_running(worker_and_beat):
    redis.Redis.from_url(settings.REDIS_URL).delete("celery")
    cluster = new_cluster()
    operations.set_speed(cluster, 60)
    api(cluster).create(deployment("web", 2))

    def running():
        return phases(pods(cluster, label="app=web")) == ["Running", "Running"]

    wait_until(running, timeout=60, interval=0.5)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_loses_nothing(worker_and_beat):
    """kill -9 the worker while a rollout is under way; a new worker converges with no
    lost or duplicated objects (ticks are level-based; beat re-wakes the cluster)."""
    redis.Redis.from_url(settings.REDIS_URL).delete("celery")
    env = subprocess_env(KUBELAB_USE_TEST_DATABASE="1")
    extra = start_celery_worker(env, "-n", "victim@%h")
    try:
        cluster = new_cluster()
        operations.set_speed(cluster, 60)
        api(cluster).create(deployment("web", 6))
        wait_until(
            lambda: len(pods(cluster, label="app=web")) >= 2, timeout=60, interval=0.2
        )
        extra.kill()  # SIGKILL: no cleanup, its tick lease stays until it expires
        extra.wait()

        def settled():
            return phases(pods(cluster, label="app=web")) == ["Running"] * 6

        wait_until(settled, timeout=90, interval=0.5)
        replica_sets = api(cluster).list(by_kind("ReplicaSet"), "default").items
        assert len(replica_sets) == 1
        assert len({p["metadata"]["name"] for p in pods(cluster, label="app=web")}) == 6
    finally:
        stop_process(extra)
