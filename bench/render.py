"""The diagram in real headless Chromium: 100 nodes, 2,000 pods, 100 changes a second.

Run from the project root:

    python -m bench.render                    # prints fps and commit → painted
    python -m bench.render --screenshot DIR   # also saves the page as DIR/render-100-nodes.png

A scratch lab (see bench/live_lab.py) holds one cluster of 1 master and 100 workers,
with 2,000 running pods in 20 Deployments' worth of labels, each group behind a
Service with its Endpoints, written through the API server as the kubelets and
controllers would write them. Nothing ticks; a writer process changes 100 pods' status
a second (readiness flips, a restart now and then) while the page is open.

- fps: the page counts animation frames in each second of the run; the median second.
- commit → painted: from the moment a write returned (committed) to the first animation
  frame after the one whose paint drew its revision (the frame that shows it on screen).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import time
from pathlib import Path

from bench.live_lab import percentile, running_lab, scratch_settings, session_cookie

NODES = 100
PODS = 2000
GROUPS = 20
CHANGES_PER_SECOND = 100
SECONDS = 20.0
WARM_UP_SECONDS = 5.0
VIEWPORT = {"width": 1500, "height": 1000}
SCREENSHOT = "render-100-nodes.png"

# Installed once the page is live: every paint records the revision it drew, and the
# wall time of the next animation frame; every animation frame is counted.
MEASURE = """
() => {
  const app = window.kubelab;
  const paint = app.paint.bind(app);
  window.__paints = [];
  window.__frames = [];
  app.paint = () => {
    paint();
    const rev = app.stream.rev;
    requestAnimationFrame(() => window.__paints.push([rev, performance.timeOrigin + performance.now()]));
  };
  const count = (t) => { window.__frames.push(performance.timeOrigin + t); requestAnimationFrame(count); };
  requestAnimationFrame(count);
}
"""


def _pod(name: str, group: int, node: str, ip: str) -> tuple[dict, dict]:
    """A pod bound to `node`, and the status its kubelet would report."""
    labels = {"app": f"app{group:02d}"}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": labels},
        "spec": {
            "nodeName": node,
            "containers": [{"name": "web", "image": "nginx:1.27"}],
        },
    }
    status = {
        "status": {
            "phase": "Running",
            "podIP": ip,
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [
                {
                    "name": "web",
                    "ready": True,
                    "restartCount": 0,
                    "image": "nginx:1.27",
                    "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}},
                }
            ],
        }
    }
    return pod, status


def _build_cluster(nodes: int, pods: int):
    """The big cluster, as the kubelets and controllers would have left it."""
    from django.contrib.auth import get_user_model

    from cluster import kinds, watch
    from cluster.access import api_for
    from cluster.provision import create_cluster
    from cluster.templates import TEMPLATES, Template

    TEMPLATES["bench-big"] = Template("bench-big", masters=1, workers=nodes)
    user = get_user_model().objects.create_user("bench")
    notify = watch.notify
    watch.notify = lambda *args, **kwargs: None  # nobody watches yet
    try:
        cluster = create_cluster(user, "big", template="bench-big")
        api = api_for(cluster)
        node_kind, pod_kind = kinds.by_kind("Node"), kinds.by_kind("Pod")
        registered = {n["metadata"]["name"] for n in api.list(node_kind).items}
        workers = [f"worker{i}" for i in range(1, nodes + 1)]
        for i, name in enumerate(workers):
            if name not in registered:
                api.create(_node(name, i))
        members: dict[int, list[tuple[str, str]]] = {}
        for i in range(pods):
            group, node_index = i % GROUPS, i % nodes
            name = f"app{group:02d}-{i:04d}"
            ip = f"10.244.{node_index}.{i // nodes + 2}"
            pod, status = _pod(name, group, workers[node_index], ip)
            api.create(pod)
            api.merge_patch(pod_kind, "default", name, status, subresource="status")
            members.setdefault(group, []).append((name, ip))
        for group, pods_of in members.items():
            _service(api, f"app{group:02d}", pods_of)
    finally:
        watch.notify = notify
    return user, cluster


def _node(name: str, index: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "status": {
            "conditions": [
                {"type": "Ready", "status": "True", "reason": "KubeletReady"}
            ],
            "addresses": [{"type": "InternalIP", "address": f"172.18.1.{index + 2}"}],
            "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
            "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
        },
    }


def _service(api, name: str, pods: list[tuple[str, str]]) -> None:
    api.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80}]},
        }
    )
    addresses = [
        {"ip": ip, "targetRef": {"kind": "Pod", "namespace": "default", "name": pod}}
        for pod, ip in pods
    ]
    api.create(
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": name, "namespace": "default"},
            "subsets": [{"addresses": addresses, "ports": [{"port": 80}]}],
        }
    )


def _write(cluster_id: int, names: list[str], rate: float, seconds, start, out):
    """Change `rate` pods' status a second from `start`: a readiness flip, and every
    tenth change a restart; send back (revision, wall time the write returned)."""
    import django

    django.setup()
    from cluster import kinds, layer_sender
    from cluster.access import api_for
    from cluster.models import Cluster

    pod_kind = kinds.by_kind("Pod")
    cluster = Cluster.objects.get(pk=cluster_id)
    api_for(cluster).get(pod_kind, "default", names[0])  # warm up
    pause = start - time.time()
    if pause > 0:
        time.sleep(pause)
    writes: list[tuple[int, float]] = []
    restarts: dict[str, int] = {}
    for k in range(int(seconds * rate)):
        due = start + k / rate
        if due > time.time():
            time.sleep(due - time.time())
        name = names[(k * 7919) % len(names)]  # a stride, so changes spread over nodes
        ready = "False" if k % 2 == 0 else "True"
        status: dict = {"conditions": [{"type": "Ready", "status": ready}]}
        if k % 10 == 0:
            restarts[name] = restarts.get(name, 0) + 1
            status["containerStatuses"] = [
                {
                    "name": "web",
                    "ready": ready == "True",
                    "restartCount": restarts[name],
                    "image": "nginx:1.27",
                    "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}},
                }
            ]
        obj = api_for(cluster).merge_patch(
            pod_kind, "default", name, {"status": status}, subresource="status"
        )
        writes.append((int(obj["metadata"]["resourceVersion"]), time.time()))
    layer_sender.flush()
    out.send(writes)
    out.close()


def _measure(port: int, cookie: str, slug: str, cluster_id: int, args) -> dict:
    from playwright.sync_api import sync_playwright

    from cluster import kinds
    from cluster.access import api_for
    from cluster.models import Cluster

    names = [
        p["metadata"]["name"]
        for p in api_for(Cluster.objects.get(pk=cluster_id))
        .list(kinds.by_kind("Pod"), "default")
        .items
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=args.chromium, args=["--no-sandbox"]
        )
        context = browser.new_context(viewport=VIEWPORT, locale="en-US")
        name, value = cookie.split("=", 1)
        context.add_cookies(
            [{"name": name, "value": value, "domain": "127.0.0.1", "path": "/"}]
        )
        page = context.new_page()
        page.set_default_timeout(120_000)
        began = time.perf_counter()
        page.goto(f"http://127.0.0.1:{port}/clusters/{slug}/")
        page.wait_for_function(
            "n => Number(document.getElementById('app').dataset.pods) >= n",
            arg=len(names),
        )
        first_paint = time.perf_counter() - began
        page.evaluate(MEASURE)
        spawn = multiprocessing.get_context("spawn")
        parent, child = spawn.Pipe(duplex=False)
        start = time.time() + WARM_UP_SECONDS
        writer = spawn.Process(
            target=_write,
            args=(cluster_id, names, args.rate, args.seconds, start, child),
        )
        writer.start()
        writes = parent.recv()
        writer.join()
        last = writes[-1][0]
        page.wait_for_function(
            "rev => (window.kubelab.stream.rev || 0) >= rev", arg=last
        )
        page.wait_for_timeout(500)  # the frame after the last paint
        paints = page.evaluate("window.__paints")
        frames = page.evaluate("window.__frames")
        gaps = page.evaluate("window.kubelab.stream.gaps")
        if args.screenshot:
            args.screenshot.mkdir(parents=True, exist_ok=True)
            page.screenshot(
                path=str(args.screenshot / SCREENSHOT),
                animations="disabled",
                style=".pulse { display: none; }",
            )
        browser.close()
    return _figures(writes, paints, frames, start, first_paint, gaps)


def _figures(writes, paints, frames, start, first_paint, gaps) -> dict:
    latencies = []
    for rev, committed in writes:
        shown = next((at for drawn, at in paints if drawn and drawn >= rev), None)
        if shown is not None:
            latencies.append(shown - committed * 1000)
    end = writes[-1][1] * 1000
    per_second: dict[int, int] = {}
    for at in frames:
        if start * 1000 <= at < end:
            second = int((at - start * 1000) // 1000)
            per_second[second] = per_second.get(second, 0) + 1
    seconds = sorted(per_second)[:-1] or sorted(per_second)  # the last is partial
    fps = [per_second[s] for s in seconds]
    return {
        "writes": len(writes),
        "rate": len(writes) / (writes[-1][1] - writes[0][1]),
        "painted": len(latencies),
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
        "max": max(latencies),
        "fps_median": statistics.median(fps),
        "fps_min": min(fps),
        "first_paint": first_paint,
        "gaps": gaps,
        "load": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=NODES)
    parser.add_argument("--pods", type=int, default=PODS)
    parser.add_argument("--rate", type=float, default=CHANGES_PER_SECOND)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--screenshot", type=Path, default=None)
    parser.add_argument(
        "--chromium", default=shutil.which("chromium") or "/usr/bin/chromium"
    )
    args = parser.parse_args()
    quota = str(10 * args.pods)
    var = scratch_settings(
        "kubelab-bench-render-",
        KUBELAB_QUOTA_PODS_PER_CLUSTER=quota,
        KUBELAB_QUOTA_OBJECTS_PER_CLUSTER=quota,
        KUBELAB_QUOTA_MACHINES_PER_CLUSTER=str(args.nodes + 10),
    )
    with running_lab(var) as start_server:
        began = time.perf_counter()
        user, cluster = _build_cluster(args.nodes, args.pods)
        print(
            f"cluster with {args.nodes} nodes and {args.pods} pods ready in "
            f"{time.perf_counter() - began:.0f} s",
            flush=True,
        )
        _, port = start_server()
        f = _measure(port, session_cookie(user), cluster.slug, cluster.pk, args)
    print(f"page open and drawn in {f['first_paint']:.1f} s")
    print(
        f"{f['writes']} changes at {f['rate']:.0f}/s; {f['painted']} seen painted, "
        f"{f['gaps']} revision gaps"
    )
    print(f"frames per second: median {f['fps_median']}, lowest {f['fps_min']}")
    print(
        f"commit → painted: p50 {f['p50']:.0f} ms, p95 {f['p95']:.0f} ms, "
        f"max {f['max']:.0f} ms (load average {f['load']:.1f} on {os.cpu_count()} cores)"
    )
    if args.screenshot:
        print(f"screenshot: {args.screenshot / SCREENSHOT}")


if __name__ == "__main__":
    main()
