"""A class on one machine: 60 students' kubectl traffic while 120 clusters tick.

A live lab in the serving layout of `make run` (daphne workers sharing the HTTPS port,
a Celery worker with two processes and beat, Redis, SQLite) holds 60 students with two
clusters each ("single": a control-plane machine and two workers, plus a 2-replica
Deployment). Each student then sends kubectl-shaped requests to one of their clusters,
about 0.5 a second (exponential gaps): 35 % single-object GETs (`kubectl get deploy
web`), 35 % namespace LISTs as Tables (`kubectl get pods`), 30 % writes (create, label
or delete a ConfigMap; scale the Deployment through `/scale`). Like kubectl, each
request opens its own TLS connection. Reported: p50/p95/p99 per kind of request.

Then the machine is pushed: as many single-object GETs as 16 kept-alive connections
from two client processes can get answered, first while the clusters keep ticking,
then with the Celery worker stopped.

Targets: single GETs and writes p99 <= 100 ms, namespace LIST p99 <= 300 ms, >= 800
single-object GETs/s when pushed.

    DJANGO_SETTINGS_MODULE=tests.settings python -m bench.k8s_class \\
        [--students 60] [--seconds 120] [--web-workers 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict

from bench import k8s_client

STUDENTS = 60
CLUSTERS_PER_STUDENT = 2
RATE = 0.5  # requests per second per student
SECONDS = 120
WARM_UP = 20  # seconds of ticking before the class starts
PUSH_SECONDS = 15
PUSH_PROCESSES, PUSH_THREADS = 2, 8
TARGETS_MS = {"get": 100.0, "write": 100.0, "list": 300.0}
TARGET_PUSHED = 800.0

SETUP = """
import json, random
from django.contrib.auth import get_user_model
from cluster import access, kinds
from cluster.k8sapi import auth
from cluster.provision import create_cluster
students = {}
for s in range(N_STUDENTS):
    user = get_user_model().objects.create_user(f"student{s:02d}", password="x")
    clusters = []
    for c in range(N_CLUSTERS):
        cluster = create_cluster(user, f"c{c}", template="single", seed=s * 10 + c)
        api = access.api_for(cluster)
        api.create({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}})
        clusters.append([cluster.slug, auth.token_for(cluster, user)])
    students[user.username] = clusters
print("CLASS=" + json.dumps(students))
"""


def create_class(lab, students: int) -> dict[str, list[list[str]]]:
    script = SETUP.replace("N_STUDENTS", str(students)).replace(
        "N_CLUSTERS", str(CLUSTERS_PER_STUDENT)
    )
    out = lab.manage("shell", "-c", script, timeout=1800)
    line = next(x for x in out.splitlines() if x.startswith("CLASS="))
    return json.loads(line.removeprefix("CLASS="))


def start_celery(lab, nice: bool) -> list[subprocess.Popen]:
    """The Celery worker (two processes) and beat, as `make run` starts them."""
    from config import serving

    common = [sys.executable, "-m", "celery", "-A", "config"]
    log = open(lab.directory / "celery.log", "wb")  # noqa: SIM115
    options = {
        "env": lab.env,
        "stdout": log,
        "stderr": log,
        "preexec_fn": serving.background_priority if nice else None,
    }
    worker = subprocess.Popen(
        [*common, "worker", "--loglevel", "WARNING", "--concurrency", "2"], **options
    )
    beat = subprocess.Popen(
        [*common, "beat", "--loglevel", "WARNING"]
        + ["--schedule", str(lab.directory / "celerybeat-schedule")],
        **options,
    )
    return [worker, beat]


def client_for(lab, slug: str, token: str) -> k8s_client.Client:
    ca = (lab.directory / "tls" / "ca.crt").read_text()
    server = f"https://127.0.0.1:{lab.port}/k8s/clusters/{slug}"
    return k8s_client.Client(server, token, ca)


# --- the class -----------------------------------------------------------------------
def one_request(client: k8s_client.Client, rng: random.Random, n: int):
    """One kubectl-shaped request: (kind, method, path, body, accept, content type)."""
    ns = "/api/v1/namespaces/default"
    deploy = "/apis/apps/v1/namespaces/default/deployments/web"
    roll = rng.random()
    if roll < 0.35:
        return "get", "GET", deploy, None, k8s_client.TABLE_ACCEPT, None
    if roll < 0.70:
        return (
            "list",
            "GET",
            f"{ns}/pods?limit=500",
            None,
            k8s_client.TABLE_ACCEPT,
            None,
        )
    write = rng.choice(("create", "label", "delete", "scale"))
    if write == "create":
        body = {"metadata": {"name": f"cm-{n}"}, "data": {"n": str(n)}}
        return "write", "POST", f"{ns}/configmaps", body, "application/json", None
    if write == "label":
        body = {"metadata": {"labels": {"seen": str(n)}}}
        path = f"{ns}/configmaps/kube-root-ca.crt"
        return "write", "PATCH", path, body, "application/json", "merge"
    if write == "delete":
        path = f"{ns}/configmaps/cm-{n - 4}"
        return "write", "DELETE", path, None, "application/json", None
    body = {"spec": {"replicas": rng.choice((1, 2, 3))}}
    return "write", "PATCH", f"{deploy}/scale", body, "application/json", "merge"


PATCH_TYPES = {"merge": "application/merge-patch+json"}


def student(client, seed: int, until: float, results: list, lock) -> None:
    rng = random.Random(seed)
    n = 0
    mine = []
    time.sleep(rng.uniform(0, 2 / RATE))
    while time.monotonic() < until:
        kind, method, path, body, accept, patch = one_request(client, rng, n)
        n += 1
        start = time.monotonic()
        try:
            status, _ = client.request(
                method, path, body, accept, PATCH_TYPES.get(patch, "application/json")
            )
        except OSError as exc:
            status = f"error {type(exc).__name__}"
        mine.append((kind, (time.monotonic() - start) * 1000, status))
        client.close()  # kubectl opens a connection per command
        time.sleep(rng.expovariate(RATE))
    with lock:
        results.extend(mine)


def run_class(lab, students: dict, seconds: float) -> list:
    results: list = []
    lock = threading.Lock()
    until = time.monotonic() + seconds
    threads = []
    for n, (_, clusters) in enumerate(sorted(students.items())):
        slug, token = clusters[n % len(clusters)]
        thread = threading.Thread(
            target=student,
            args=(client_for(lab, slug, token), n, until, results, lock),
            daemon=True,
        )
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return results


# --- pushing ---------------------------------------------------------------------------
def _push_process(server, token, ca, path, seconds, threads, queue) -> None:
    counts = []

    def loop():
        client = k8s_client.Client(server, token, ca)
        done = 0
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            status, _ = client.request("GET", path)
            done += status == 200
        counts.append(done)

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    queue.put(sum(counts))


def push(lab, students: dict, seconds: float = PUSH_SECONDS) -> float:
    """Single-object GETs answered per second by kept-alive connections."""
    slug, token = next(iter(sorted(students.items())))[1][0]
    server = f"https://127.0.0.1:{lab.port}/k8s/clusters/{slug}"
    ca = (lab.directory / "tls" / "ca.crt").read_text()
    path = "/apis/apps/v1/namespaces/default/deployments/web"
    queue = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(
            target=_push_process,
            args=(server, token, ca, path, seconds, PUSH_THREADS, queue),
        )
        for _ in range(PUSH_PROCESSES)
    ]
    start = time.monotonic()
    for p in processes:
        p.start()
    total = sum(queue.get(timeout=seconds + 120) for _ in processes)
    for p in processes:
        p.join()
    return total / (time.monotonic() - start)


# --- report ----------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def summarize(results: list) -> list[str]:
    by_kind: dict[str, list[float]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    for kind, ms, status in results:
        by_kind[kind].append(ms)
        if not (isinstance(status, int) and status < 500 and status != 429):
            failures[kind] += 1
    lines = []
    for kind in ("get", "list", "write"):
        values = by_kind.get(kind) or [float("nan")]
        p99 = percentile(values, 0.99)
        verdict = "meets" if p99 <= TARGETS_MS[kind] else "misses"
        lines.append(
            f"{kind:<5} n={len(by_kind.get(kind, [])):>5}  "
            f"p50 {statistics.median(values):6.1f} ms  "
            f"p95 {percentile(values, 0.95):6.1f} ms  p99 {p99:6.1f} ms  "
            f"({verdict} {TARGETS_MS[kind]:.0f} ms)  failed {failures[kind]}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=STUDENTS)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument(
        "--celery-at-web-priority",
        dest="nice",
        action="store_false",
        help="run Celery at the web workers' priority (the layout before)",
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    lab = k8s_client.start_lab(workers=args.web_workers)
    celery: list[subprocess.Popen] = []
    try:
        started = time.monotonic()
        students = create_class(lab, args.students)
        clusters = sum(len(c) for c in students.values())
        print(
            f"{clusters} clusters for {len(students)} students in "
            f"{time.monotonic() - started:.0f} s",
            flush=True,
        )
        celery = start_celery(lab, args.nice)
        time.sleep(WARM_UP)
        results = run_class(lab, students, args.seconds)
        rate = len(results) / args.seconds
        priority = "lower" if args.nice else "the same"
        print(
            f"{os.cpu_count()} cores; web workers: {args.web_workers}; Celery at "
            f"{priority} priority; {rate:.1f} requests/s from the class; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        print("\n".join(summarize(results)), flush=True)
        ticking = push(lab, students)
        for process in celery:
            process.kill()  # a warm shutdown would wait for every queued tick
            process.wait()
        quiet = push(lab, students)
    finally:
        for process in celery:
            if process.poll() is None:
                process.kill()
                process.wait()
        k8s_client.stop_lab(lab)
    verdict = "meets" if max(ticking, quiet) >= TARGET_PUSHED else "misses"
    print(
        f"pushed single-object GETs: {ticking:,.0f}/s while ticking, "
        f"{quiet:,.0f}/s with the worker stopped ({verdict} {TARGET_PUSHED:.0f}/s)"
    )


if __name__ == "__main__":
    main()
