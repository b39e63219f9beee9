"""A scratch lab for the live-diagram benchmarks: its own directory, database and Redis,
and daphne serving `config.asgi` as `manage.py lab` does (no Celery: nothing ticks, so
every change comes from the benchmark itself)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def scratch_settings(prefix: str, **env: str) -> Path:
    """Point the settings at a new scratch directory (SQLite in it; DATABASE_URL is
    ignored, so no configured database is ever written) and set Django up."""
    var = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.update(
        KUBELAB_VAR_DIR=str(var),
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only"),
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONPATH=str(ROOT),
        **env,
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    return var


@contextlib.contextmanager
def running_lab(var: Path):
    """Migrate, start Redis (unless REDIS_URL is set), and yield `start_server`."""
    from django.conf import settings
    from django.core.management import call_command

    from config import embedded_redis

    redis = (
        embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET)
        if settings.REDIS_IS_EMBEDDED
        else None
    )
    servers: list[subprocess.Popen] = []

    def start_server(workers: int = 1) -> tuple[subprocess.Popen, int]:
        port = free_port()
        servers.append(start_daphne(port, var / "daphne.log", workers))
        return servers[-1], port

    try:
        call_command("migrate", verbosity=0)
        yield start_server
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)
            server.log.close()
        embedded_redis.stop(redis)


def start_daphne(port: int, log_path: Path, workers: int = 1) -> subprocess.Popen:
    """`config.serving`'s daphne workers on 127.0.0.1:`port`, as the lab runs them,
    once they answer; their output goes to `log_path`.

    Even one worker goes through `config.serving`: plain daphne listens with a
    backlog of 50, and a class connecting at once overflowed it (the kernel then
    resets connections the server never saw)."""
    log = open(log_path, "w")  # noqa: SIM115 (closed with the process)
    command = [sys.executable, "-m", "config.serving"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log = log
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    process.wait()
    log.close()
    raise RuntimeError(f"daphne did not start; see {log_path}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def session_cookie(user) -> str:
    """A signed-in browser's cookie for `user`."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process and its children have used so far."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]
