"""`manage.py lab` (what `make run` runs): the whole lab up, healthy, then gone on Ctrl-C."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, stop_process, wait_until

pytestmark = pytest.mark.integration


def processes_with_env(marker: str) -> list[int]:
    """Every live process whose environment carries `marker` (the lab's var dir)."""
    found = []
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if needle in environ and state != "Z":
            found.append(int(entry.name))
    return found


def healthz(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/healthz", timeout=3
        ) as resp:
            return json.load(resp)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def test_lab_starts_everything_and_ctrl_c_leaves_no_process(tmp_path):
    var = tmp_path / "var"
    port, k8s_port = free_port(), free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SECRET_KEY": "k" * 60,
        "KUBELAB_VAR_DIR": str(var),
        "K8S_PORT": str(k8s_port),
    }
    lab = subprocess.Popen(
        [sys.executable, "manage.py", "lab", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = wait_until(
            lambda: (h := healthz(port)) and h["status"] == "ok" and h,
            timeout=60,
            interval=0.5,
        )
        assert body["checks"] == {
            "database": "ok",
            "redis": "ok",
            "channel_layer": "ok",
            "celery": "ok",
        }
        # The Kubernetes API port speaks TLS with the lab's own CA.
        context = ssl.create_default_context(cafile=str(var / "tls" / "ca.crt"))
        request = urllib.request.Request(f"https://127.0.0.1:{k8s_port}/healthz")
        with urllib.request.urlopen(request, context=context, timeout=5) as resp:
            assert resp.status == 200
        assert (var / "redis.sock").exists()
        assert len(processes_with_env(str(var))) >= 4  # lab, redis, daphne, celery x2

        lab.send_signal(signal.SIGINT)
        output, _ = lab.communicate(timeout=30)
        assert "kubelab is running at http://127.0.0.1:" in output
        assert "login: demo / demo" in output
        assert f"kubeconfig: export KUBECONFIG={var}/demo.kubeconfig" in output
        assert "token:" in (var / "demo.kubeconfig").read_text()
        wait_until(lambda: not processes_with_env(str(var)), timeout=15)
    finally:
        stop_process(lab)
        for pid in processes_with_env(str(var)):
            subprocess.run(["kill", "-9", str(pid)], check=False)
