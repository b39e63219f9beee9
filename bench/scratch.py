"""A scratch database for the benchmarks that write, so the configured one is never
touched: `bench.sqlite3` in the var directory, or `kubelab_bench` on PostgreSQL,
created before and dropped after. With REDIS_URL unset the embedded Redis runs too, so
each write's on-commit notification costs what it costs in the lab."""

from __future__ import annotations

import contextlib
import os

import django

# The lab's per-cluster quotas would stop a benchmark at 100 pods.
QUOTA = 100_000


@contextlib.contextmanager
def scratch_database():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection

    from config import embedded_redis

    settings.KUBELAB_QUOTA_PODS_PER_CLUSTER = QUOTA
    settings.KUBELAB_QUOTA_OBJECTS_PER_CLUSTER = QUOTA
    sqlite = connection.vendor == "sqlite"
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        str(settings.VAR_DIR / "bench.sqlite3") if sqlite else "kubelab_bench"
    )
    redis = (
        embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET)
        if settings.REDIS_IS_EMBEDDED
        else None
    )
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(
            connection.settings_dict["NAME"], verbosity=0
        )
        embedded_redis.stop(redis)


@contextlib.contextmanager
def quiet():
    """Writes without their on-commit notification (for setup, or `--no-notify`)."""
    from cluster import watch

    notify = watch.notify
    watch.notify = lambda *args, **kwargs: None
    try:
        yield
    finally:
        watch.notify = notify
