"""`config.serving`: several daphne workers sharing the HTTP and HTTPS sockets."""

from __future__ import annotations

import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from cluster.k8sapi import auth
from config import serving, tls
from tests.conftest import ROOT, free_port, stop_process, subprocess_env, wait_until

pytestmark = pytest.mark.integration


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def get_json(url: str, context=None) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10, context=context) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def serve(files, plain: int | None, secure: int, workers: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "config.serving", "--workers", str(workers)]
    if plain:
        command += ["--bind", f"127.0.0.1:{plain}"]
    command += ["--tls-bind", f"127.0.0.1:{secure}"]
    command += [
        "--tls-key",
        str(files.server_key),
        "--tls-cert",
        str(files.server_cert),
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=subprocess_env(KUBELAB_USE_TEST_DATABASE="1")
    )


@pytest.fixture
def served(tmp_path, transactional_db, lab):
    files = tls.ensure(tmp_path / "tls", ["127.0.0.1"])
    plain, secure = free_port(), free_port()
    process = serve(files, plain, secure, workers=2)
    context = ssl.create_default_context(cafile=str(files.ca_cert))
    version = f"/k8s/clusters/{lab.slug}/version"
    urls = (
        f"http://127.0.0.1:{plain}{version}",
        f"https://127.0.0.1:{secure}{version}",
    )
    try:
        wait_until(lambda: len(children(process.pid)) == 2, timeout=30)
        yield process, urls, context
    finally:
        stop_process(process)


def test_the_https_port_alone_is_served(tmp_path, transactional_db, lab):
    files = tls.ensure(tmp_path / "tls", ["127.0.0.1"])
    secure = free_port()
    process = serve(files, None, secure, workers=1)
    context = ssl.create_default_context(cafile=str(files.ca_cert))
    try:
        wait_until(lambda: len(children(process.pid)) == 1, timeout=30)
        url = f"https://127.0.0.1:{secure}/k8s/clusters/{lab.slug}/version"
        status, body = get_json(url, context)
        assert (status, body["minor"]) == (200, "32")
        assert process.poll() is None
    finally:
        stop_process(process)


def test_both_ports_are_served_by_the_workers(served):
    process, (plain, secure), context = served
    assert get_json(plain) == get_json(secure, context)
    status, body = get_json(secure, context)
    assert (status, body["gitVersion"]) == (200, "v1.32.4")


def test_a_worker_that_dies_is_replaced_and_the_port_stays_up(served):
    process, (_, secure), context = served
    first, second = children(process.pid)
    os.kill(first, signal.SIGKILL)
    wait_until(
        lambda: len(children(process.pid)) == 2 and first not in children(process.pid),
        timeout=30,
    )
    assert second in children(process.pid)
    assert get_json(secure, context)[0] == 200


def test_stopping_the_supervisor_stops_every_worker(served):
    process, _, _ = served
    workers = children(process.pid)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


@pytest.mark.parametrize(
    ("value", "expected"), [("", os.cpu_count() or 1), ("3", 3), ("0", 1)]
)
def test_worker_count_follows_web_concurrency(monkeypatch, value, expected):
    monkeypatch.setenv("WEB_CONCURRENCY", value)
    assert serving.default_workers() == expected


def test_a_bad_web_concurrency_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "many")
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY must be a number"):
        serving.default_workers()


def test_status_lines_carry_the_standard_reason_phrase(served, lab, alice):
    """422 (Invalid) and 429 (TooManyRequests) read as they do from a real API server,
    not as Twisted's "Unknown Status"."""
    _, (_, secure), context = served
    host, port = secure.split("/")[2].split(":")
    connection = http.client.HTTPSConnection(host, int(port), context=context)
    invalid_pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "Bad_Name"}}
    connection.request(
        "POST",
        f"/k8s/clusters/{lab.slug}/api/v1/namespaces/default/pods",
        body=json.dumps(invalid_pod),
        headers={
            "Authorization": f"Bearer {auth.token_for(lab, alice)}",
            "Content-Type": "application/json",
        },
    )
    answer = connection.getresponse()
    assert (answer.status, answer.reason) == (422, "Unprocessable Entity")
    assert json.loads(answer.read())["reason"] == "Invalid"
