"""A live lab for end-to-end tests: daphne workers serving the Kubernetes API over TLS.

It runs in its own var directory with its own SQLite file (pytest's in-memory test
database cannot be shared) and its own Redis, so its Celery ticks never reach another
test's worker. alice and bob each own a cluster; a Celery worker with beat runs the
simulation when asked for.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from config import embedded_redis, tls
from tests.conftest import ROOT, free_port, stop_process, subprocess_env, wait_until

SETUP = """
from django.contrib.auth import get_user_model
from cluster.provision import create_cluster
User = get_user_model()
alice = User.objects.create_user("alice", password="pw-alice-1")
bob = User.objects.create_user("bob", password="pw-bob-1")
create_cluster(alice, "lab")
create_cluster(bob, "lab")
"""


@dataclass
class LiveLab:
    directory: Path
    env: dict
    port: int
    process: subprocess.Popen | None = None
    redis: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None

    def manage(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise AssertionError(f"manage.py {args} failed: {done.stderr}")
        return done.stdout

    def kubeconfig(self, slug: str, user: str | None = None) -> Path:
        args = ["kubeconfig", slug] + (["--user", user] if user else [])
        path = self.directory / f"{slug}-{user or 'owner'}.kubeconfig"
        path.write_text(self.manage(*args))
        return path


def start(with_worker: bool = False, web_workers: int = 2) -> LiveLab:
    directory = Path(tempfile.mkdtemp(prefix="kubelab-k8sapi-e2e-"))
    port = free_port()
    redis = embedded_redis.start(directory / "redis.sock")
    env = subprocess_env(
        KUBELAB_VAR_DIR=str(directory),
        REDIS_URL=f"unix://{directory / 'redis.sock'}",
        K8S_PORT=str(port),
        K8S_PUBLIC_URL=f"https://127.0.0.1:{port}",
        CELERY_TASK_ALWAYS_EAGER="0",
    )
    files = tls.ensure(directory / "tls", ["127.0.0.1", "localhost"])
    lab = LiveLab(directory, env, port, redis=redis)
    try:
        _start_processes(lab, files, with_worker, web_workers)
    except BaseException:
        stop(lab)
        raise
    return lab


def _start_processes(lab: LiveLab, files, with_worker: bool, web_workers: int) -> None:
    directory, env, port = lab.directory, lab.env, lab.port
    lab.manage("migrate", "--verbosity", "0")
    lab.manage("shell", "-c", SETUP)
    # The lab's own serving layout: daphne workers sharing the TLS socket.
    lab.process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "config.serving",
            "--tls-bind",
            f"127.0.0.1:{port}",
            "--tls-key",
            str(files.server_key),
            "--tls-cert",
            str(files.server_cert),
            "--workers",
            str(web_workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(directory / "daphne.log", "wb"),  # noqa: SIM115
    )
    import socket

    def listening():
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    wait_until(listening, timeout=30)
    if with_worker:
        lab.worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "--beat",
                "--schedule",
                str(directory / "celerybeat-schedule"),
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(directory / "worker.log", "wb"),  # noqa: SIM115
        )


def stop(lab: LiveLab) -> None:
    for process in (lab.worker, lab.process):
        if process is not None:
            stop_process(process)
    embedded_redis.stop(lab.redis)


def kubectl_env(lab: LiveLab, kubeconfig: Path) -> dict:
    home = lab.directory / "home"
    home.mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "KUBECONFIG": str(kubeconfig),
        "KUBECACHEDIR": str(lab.directory / "kube-cache"),
    }


def kubectl_runner(lab: LiveLab, kubectl_path: str, slug: str = "alice-lab"):
    """`run(*args)`: real kubectl against `slug` with a fresh cache; fails loudly."""
    env = kubectl_env(lab, lab.kubeconfig(slug))

    def run(
        *args: str,
        check: bool = True,
        timeout: float = 60,
        env_: dict | None = None,
        extra_env: dict | None = None,
    ) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [kubectl_path, "--request-timeout=30s", *args],
            env={**(env_ or env), **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"kubectl {args} failed: {done.stderr}")
        return done

    return run


def eventually(check, timeout: float = 60):
    """`check()` once a second until it is truthy or `timeout` passes; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(1)
