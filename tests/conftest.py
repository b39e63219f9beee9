"""Shared fixtures: a real Redis for the whole run, real Celery workers, real Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from config import embedded_redis

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
KUBECTL = shutil.which("kubectl")


@pytest.fixture(scope="session", autouse=True)
def redis_server():
    """The embedded Redis (REDIS_URL unset) or the external one, reachable for the run."""
    if settings.REDIS_IS_EMBEDDED:
        process = embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET)
        yield settings.REDIS_URL
        embedded_redis.stop(process)
    else:
        if not embedded_redis.is_up(settings.REDIS_URL):
            pytest.exit(f"REDIS_URL {settings.REDIS_URL} is unreachable", returncode=3)
        yield settings.REDIS_URL


@pytest.fixture(autouse=True)
def _no_nudges_in_flight():
    """Nudges go out in the background; one test's must not reach the next one's
    listeners (cluster ids repeat between tests)."""
    yield
    from cluster import layer_sender

    layer_sender.flush()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")


def subprocess_env(**extra: str) -> dict[str, str]:
    env = os.environ.copy()
    env.update(DJANGO_SETTINGS_MODULE="tests.settings", PYTHONPATH=str(ROOT), **extra)
    return env


def stop_process(process: subprocess.Popen, timeout: float = 10.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


CELERY = [sys.executable, "-m", "celery", "-A", "config"]


def start_celery_worker(env: dict, *extra: str) -> subprocess.Popen:
    """A real single-process Celery worker for the test Redis."""
    command = [*CELERY, "worker", "--pool", "solo", "--loglevel", "WARNING"]
    command += ["--without-gossip", "--without-mingle", *extra]
    return subprocess.Popen(command, cwd=ROOT, env=env)


@pytest.fixture
def celery_worker_process():
    """A real `celery worker` process on the test Redis; yields once it answers pings."""
    from config import celery_app

    process = start_celery_worker(subprocess_env())
    try:
        wait_until(lambda: celery_app.control.ping(timeout=0.5), timeout=30)
        yield process
    finally:
        stop_process(process)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if CHROMIUM:
        return CHROMIUM
    message = "browser tests need Debian's chromium (apt-get install chromium)"
    if os.environ.get("KUBELAB_REQUIRE_BROWSER") == "1":
        pytest.fail(message + ", and KUBELAB_REQUIRE_BROWSER=1 forbids skipping")
    print(f"\n*** SKIPPING BROWSER TESTS: {message} ***", file=sys.stderr)
    pytest.skip(message)


@pytest.fixture(scope="session")
def kubectl_path() -> str:
    if not KUBECTL:
        pytest.skip("kubectl tests need kubectl v1.32 at /usr/bin/kubectl")
    return KUBECTL
