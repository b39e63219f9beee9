"""Watch latency: from a write to the event reaching a connected watcher.

A live lab (the serving layout of `make run`: daphne workers over TLS, Redis, a Celery
worker ticking the cluster) takes ConfigMap writes over HTTPS, one every ~100 ms, while
a watcher is connected. For each write it records when the write was sent, when it was
answered, and when its ADDED event arrived, once for a raw HTTP watch
(`?watch=true`, newline-delimited JSON) and once for real `kubectl get -w`.
Target: the event arrives within 50 ms of the write, p95.

    DJANGO_SETTINGS_MODULE=tests.settings python -m bench.k8s_watch [--writes N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import threading
import time

from bench import k8s_client

WRITES = 150
PACE = 0.1  # seconds between writes, on average
TARGET_P95_MS = 50.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def _write_all(client: k8s_client.Client, prefix: str, writes: int) -> dict:
    """name → (sent, answered) monotonic times."""
    times = {}
    for i in range(writes):
        name = f"{prefix}-{i:04d}"
        sent = time.monotonic()
        client.create_configmap("default", name)
        times[name] = (sent, time.monotonic())
        time.sleep(random.uniform(0.5, 1.5) * PACE)
    return times


def _latencies(writes: dict, seen: dict) -> tuple[list[float], list[float], int]:
    from_sent, from_answer = [], []
    for name, (sent, answered) in writes.items():
        if name in seen:
            from_sent.append((seen[name] - sent) * 1000)
            from_answer.append((seen[name] - answered) * 1000)
    return from_sent, from_answer, len(writes) - len(from_sent)


def http_watch(lab, writes: int) -> tuple[list[float], list[float], int]:
    client = k8s_client.Client.for_lab(lab)
    rv = client.get_json("/api/v1/namespaces/default/configmaps")["metadata"][
        "resourceVersion"
    ]
    seen: dict[str, float] = {}
    stream = k8s_client.Client.for_lab(lab).open_stream(
        f"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}"
        "&timeoutSeconds=600"
    )

    def read():
        for line in stream:
            event = json.loads(line)
            if event["type"] == "ADDED":
                seen.setdefault(event["object"]["metadata"]["name"], time.monotonic())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    times = _write_all(client, "http", writes)
    time.sleep(1)
    stream.close()
    return _latencies(times, seen)


def kubectl_watch(lab, writes: int) -> tuple[list[float], list[float], int] | None:
    from tests.k8sapi import live

    kubectl = shutil.which("kubectl")
    if not kubectl:
        return None
    env = live.kubectl_env(lab, lab.kubeconfig("alice-lab"))
    watcher = subprocess.Popen(
        [kubectl, "get", "configmaps", "-w", "--no-headers"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    seen: dict[str, float] = {}

    def read():
        for line in watcher.stdout:
            seen.setdefault(line.split()[0], time.monotonic())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    client = k8s_client.Client.for_lab(lab)
    deadline = time.monotonic() + 30
    while not seen and time.monotonic() < deadline:  # the listed rows: it watches now
        time.sleep(0.1)
    time.sleep(1)
    times = _write_all(client, "kubectl", writes)
    time.sleep(1)
    watcher.terminate()
    watcher.wait(timeout=10)
    return _latencies(times, seen)


def report(label: str, result) -> list[str]:
    if result is None:
        return [f"{label}: skipped (no kubectl on PATH)"]
    from_sent, from_answer, missed = result
    p95 = percentile(from_sent, 0.95)
    verdict = "meets" if p95 <= TARGET_P95_MS else "misses"
    return [
        f"{label}: {len(from_sent)} events, {missed} missed",
        f"  from write sent:     p50 {statistics.median(from_sent):6.1f} ms   "
        f"p95 {p95:6.1f} ms   max {max(from_sent):6.1f} ms   ({verdict} the "
        f"{TARGET_P95_MS:.0f} ms target)",
        f"  from write answered: p50 {statistics.median(from_answer):6.1f} ms   "
        f"p95 {percentile(from_answer, 0.95):6.1f} ms",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=WRITES)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    lab = k8s_client.start_lab(with_worker=True)
    try:
        lines = report("HTTP watch (?watch=true)", http_watch(lab, args.writes))
        lines += report("kubectl get -w", kubectl_watch(lab, args.writes))
    finally:
        k8s_client.stop_lab(lab)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
