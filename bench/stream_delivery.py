"""Delivery of the live stream: real daphne, real Redis, many browsers.

Run from the project root:

    python -m bench.stream_delivery                      # 200 watchers, then 500 connects
    python -m bench.stream_delivery --watchers 50 --seconds 10

Everything runs in a scratch directory of its own: a SQLite database (DATABASE_URL is
ignored, so no configured database is ever written), the embedded Redis unless
REDIS_URL is set (the clusters' change feed is its pub/sub), and daphne workers serving
`config.asgi` through `config.serving`, as `manage.py lab` runs them.

1. Watchers. Each WebSocket client watches a cluster of its own, and writer processes
   (two, as the lab's Celery worker has) change every cluster twice a second (a merge
   patch of a Service through the API server). A client counts a gap when a frame does
   not start at the revision the last one reached, and every written revision must
   reach the client watching its cluster.
   Commit → frame runs from the moment the write returned (it has committed) to the
   moment the client read the frame carrying that revision.
2. Connect storm. 500 clients open their WebSocket spread evenly over 2 s and stay
   connected; each must be accepted and receive its snapshot.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import time
from dataclasses import dataclass, field

from bench.live_lab import (
    cpu_seconds,
    percentile,
    running_lab,
    scratch_settings,
    session_cookie,
)

WATCHERS = 200
CHANGES_PER_SECOND = 2.0  # per cluster
SECONDS = 30.0
STORM_CLIENTS = 500
STORM_SECONDS = 2.0
SETTLE_SECONDS = 3.0  # after the last write, for the last frames to arrive
WARM_UP_SECONDS = 5.0  # for the writers to start and make their untimed round
WRITERS = 2  # processes writing, as the lab's Celery worker has two
ORIGIN = "http://127.0.0.1"
SERVICE = "bench"


def _service() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": SERVICE, "namespace": "default"},
        "spec": {"ports": [{"port": 80}], "selector": {"app": SERVICE}},
    }


# --- the writers (processes of their own, as the API server's callers are) ------------
def _write(share: list[tuple[int, int]], total: int, seconds, rate, start, out):
    """Patch the Service of each cluster in `share` ((place, cluster id) pairs) `rate`
    times a second, all `total` clusters' writes spread evenly from `start`; send back
    (cluster id, revision, wall time the write returned) for every write.

    One untimed round goes first: a fresh process spends its first second or so
    connecting to Redis and loading code, which is start-up, not delivery."""
    import django

    django.setup()
    from cluster import kinds, layer_sender
    from cluster.access import api_for
    from cluster.models import Cluster

    service = kinds.by_kind("Service")
    clusters = Cluster.objects.in_bulk([pk for _, pk in share])
    for _, pk in share:
        patch = {"metadata": {"annotations": {"bench/seq": "warm-up"}}}
        api_for(clusters[pk]).merge_patch(service, "default", SERVICE, patch)
    nudges = _time_nudges()
    period = 1.0 / rate
    writes: list[tuple[int, int, float]] = []
    for k in range(int(seconds * rate)):
        for place, pk in share:
            pause = start + (k + place / total) * period - time.time()
            if pause > 0:
                time.sleep(pause)
            patch = {"metadata": {"annotations": {"bench/seq": str(k)}}}
            obj = api_for(clusters[pk]).merge_patch(service, "default", SERVICE, patch)
            writes.append((pk, int(obj["metadata"]["resourceVersion"]), time.time()))
    layer_sender.flush()
    out.send((writes, nudges))
    out.close()


def _time_nudges() -> list[tuple[str, int, float]]:
    """(channel, revision, wall time) of every notification once Redis has taken it,
    to tell the writer's share of the delay from the server's."""
    from cluster import layer_sender
    from cluster.watch import CHANGED

    publish = layer_sender._Publisher.publish
    sent: list[tuple[str, int, float]] = []

    async def timed(self, channel: str, kind: str, message: dict) -> None:
        await publish(self, channel, kind, message)
        if kind == CHANGED:
            sent.append((channel, message["revision"], time.time()))

    layer_sender._Publisher.publish = timed
    return sent


# --- the clients ---------------------------------------------------------------------
@dataclass
class Watcher:
    cluster_id: int
    url: str
    cookie: str
    rev: int | None = None
    frames: int = 0
    gaps: int = 0
    seen: dict[int, float] = field(default_factory=dict)  # revision -> wall time read
    error: str = ""

    def take(self, frame: dict, now: float) -> str | None:
        """Apply a frame as the browser does; returns a message to send back, if any."""
        self.frames += 1
        if frame.get("t") == "snapshot":
            self.rev = frame.get("rev")
        elif frame.get("t") == "changes":
            if self.rev is not None and frame["from"] != self.rev:
                self.gaps += 1
                return json.dumps({"action": "resync"})
            for change in frame.get("changes") or []:
                rv = int(change["obj"]["metadata"]["resourceVersion"])
                self.seen.setdefault(rv, now)
            self.rev = frame["rev"]
        return None


async def _watch(session, watcher: Watcher, ready: asyncio.Event, stop: asyncio.Event):
    headers = {"Origin": ORIGIN, "Cookie": watcher.cookie}
    try:
        async with session.ws_connect(watcher.url, headers=headers) as ws:
            receiver = asyncio.ensure_future(ws.receive())
            stopper = asyncio.ensure_future(stop.wait())
            while True:
                done, _ = await asyncio.wait(
                    {receiver, stopper}, return_when=asyncio.FIRST_COMPLETED
                )
                if stopper in done:
                    receiver.cancel()
                    return
                message = receiver.result()
                now = time.time()
                if message.type.name != "TEXT":
                    watcher.error = f"closed: {message.type.name} {message.data}"
                    stopper.cancel()
                    return
                reply = watcher.take(json.loads(message.data), now)
                if reply:
                    await ws.send_str(reply)
                ready.set()
                receiver = asyncio.ensure_future(ws.receive())
    except Exception as exc:
        watcher.error = f"{type(exc).__name__}: {exc}"
    finally:
        ready.set()


@dataclass
class Attempt:
    started: float = 0.0
    accepted: float | None = None
    first_frame: float | None = None
    error: str = ""


async def _storm_client(session, url, cookie, delay, attempt: Attempt, stop):
    await asyncio.sleep(delay)
    attempt.started = time.perf_counter()
    try:
        async with session.ws_connect(
            url, headers={"Origin": ORIGIN, "Cookie": cookie}
        ) as ws:
            attempt.accepted = time.perf_counter()
            message = await ws.receive(timeout=60)
            if message.type.name == "TEXT" and json.loads(message.data).get("t"):
                attempt.first_frame = time.perf_counter()
            else:
                attempt.error = f"first message: {message.type.name} {message.data}"
            await stop.wait()
    except Exception as exc:
        attempt.error = f"{type(exc).__name__}: {exc}"


# --- setup ---------------------------------------------------------------------------
def _make_clusters(count: int) -> list[tuple[int, str, str]]:
    """`count` students, each with one cluster holding the Service the writer patches;
    returns (cluster id, slug, session cookie)."""
    from django.contrib.auth import get_user_model

    from cluster import watch
    from cluster.access import api_for
    from cluster.provision import create_cluster

    User = get_user_model()
    made = []
    notify, logged = watch.notify, watch.logged
    # Nobody watches yet.
    watch.notify = watch.logged = lambda *args, **kwargs: None
    try:
        for i in range(count):
            user = User.objects.create_user(f"student{i:03d}")
            cluster = create_cluster(user, f"lab{i:03d}", template="single")
            api_for(cluster).create(_service())
            made.append((cluster.pk, cluster.slug, session_cookie(user)))
    finally:
        watch.notify, watch.logged = notify, logged
    return made


# --- the two runs ----------------------------------------------------------------------
async def _run_watchers(port, clusters, seconds, rate, writers, server_pid) -> dict:
    import aiohttp

    watchers = [
        Watcher(pk, f"ws://127.0.0.1:{port}/ws/clusters/{slug}/", cookie)
        for pk, slug, cookie in clusters
    ]
    stop = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        readies = [asyncio.Event() for _ in watchers]
        tasks = [
            asyncio.ensure_future(_watch(session, w, r, stop))
            for w, r in zip(watchers, readies)
        ]
        for ready in readies:  # every client has its snapshot before writes start
            await ready.wait()
        spawn = multiprocessing.get_context("spawn")
        start = time.time() + WARM_UP_SECONDS
        places = list(enumerate(pk for pk, _, _ in clusters))
        pipes, processes = [], []
        for i in range(writers):
            parent, child = spawn.Pipe(duplex=False)
            share = places[i::writers]
            args = (share, len(places), seconds, rate, start, child)
            processes.append(spawn.Process(target=_write, args=args))
            processes[-1].start()
            pipes.append(parent)
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, start - time.time()))
        cpu_before, load_before = cpu_seconds(server_pid), os.getloadavg()[0]
        frames_before = sum(w.frames for w in watchers)
        writes, nudges = [], []
        for parent, process in zip(pipes, processes):
            got_writes, got_nudges = await loop.run_in_executor(None, parent.recv)
            writes += got_writes
            nudges += got_nudges
            await loop.run_in_executor(None, process.join)
        cpu = cpu_seconds(server_pid) - cpu_before
        frames = sum(w.frames for w in watchers) - frames_before
        load = (load_before + os.getloadavg()[0]) / 2
        await asyncio.sleep(SETTLE_SECONDS)
        stop.set()
        await asyncio.gather(*tasks)
    by_cluster = {w.cluster_id: w for w in watchers}
    latencies, missing = [], 0
    for cluster_id, rev, committed in writes:
        read = by_cluster[cluster_id].seen.get(rev)
        if read is None:
            missing += 1
        else:
            latencies.append((read - committed) * 1000)
    nudged = _nudge_delays(writes, nudges)
    span = max(t for _, _, t in writes) - min(t for _, _, t in writes)
    return {
        "watchers": len(watchers),
        "writers": writers,
        "errors": [w.error for w in watchers if w.error],
        "writes": len(writes),
        "write_rate": len(writes) / span if span else 0.0,
        "frames": sum(w.frames for w in watchers),
        "gaps": sum(w.gaps for w in watchers),
        "missing": missing,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": percentile(latencies, 0.95) if latencies else float("nan"),
        "max": max(latencies) if latencies else float("nan"),
        "nudge_p50": statistics.median(nudged) if nudged else float("nan"),
        "nudge_p95": percentile(nudged, 0.95) if nudged else float("nan"),
        "server_cpu_per_frame": cpu / frames * 1000 if frames else float("nan"),
        "server_cpu_share": cpu / seconds,
        "load": load,
    }


def _nudge_delays(writes, nudges) -> list[float]:
    """Milliseconds from each write's commit to the first nudge covering it."""
    from cluster.watch import feed_channel

    by_group: dict[str, list[tuple[int, float]]] = {}
    for group, revision, at in nudges:
        by_group.setdefault(group, []).append((revision, at))
    delays = []
    for cluster_id, rev, committed in writes:
        covering = [
            at for r, at in by_group.get(feed_channel(cluster_id), []) if r >= rev
        ]
        if covering:
            delays.append((min(covering) - committed) * 1000)
    return delays


async def _run_storm(port, clusters, count, spread) -> dict:
    import aiohttp

    attempts = [Attempt() for _ in range(count)]
    stop = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = []
        for i, attempt in enumerate(attempts):
            _, slug, cookie = clusters[i % len(clusters)]
            url = f"ws://127.0.0.1:{port}/ws/clusters/{slug}/"
            delay = spread * i / count
            tasks.append(
                asyncio.ensure_future(
                    _storm_client(session, url, cookie, delay, attempt, stop)
                )
            )
        began = time.perf_counter()
        deadline = began + spread + 60
        while time.perf_counter() < deadline:
            if all(a.first_frame or a.error for a in attempts):
                break
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.gather(*tasks)
    accepted = [a for a in attempts if a.accepted]
    framed = [a for a in attempts if a.first_frame]
    accept_ms = [(a.accepted - a.started) * 1000 for a in accepted]
    frame_ms = [(a.first_frame - a.started) * 1000 for a in framed]
    return {
        "clients": count,
        "accepted": len(accepted),
        "snapshots": len(framed),
        "errors": sorted({a.error for a in attempts if a.error}),
        "accept_p95": percentile(accept_ms, 0.95) if accept_ms else float("nan"),
        "snapshot_p95": percentile(frame_ms, 0.95) if frame_ms else float("nan"),
        "all_in": (max(a.first_frame for a in framed) - began) if framed else 0.0,
    }


def _wait_until_answering(port: int, timeout: float = 120.0) -> float:
    """Seconds until the server answers a page within a second."""
    import urllib.request

    began = time.monotonic()
    while time.monotonic() - began < timeout:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=1):
                return time.monotonic() - began
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the server did not answer for {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watchers", type=int, default=WATCHERS)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--rate", type=float, default=CHANGES_PER_SECOND)
    parser.add_argument("--writers", type=int, default=WRITERS)
    parser.add_argument(
        "--web-workers",
        type=int,
        default=1,
        help="daphne processes sharing the port (config.serving, as the lab runs them)",
    )
    parser.add_argument("--storm", type=int, default=STORM_CLIENTS)
    args = parser.parse_args()

    var = scratch_settings("kubelab-bench-stream-")
    from cluster import layer_sender

    with running_lab(var) as start_server:
        began = time.perf_counter()
        clusters = _make_clusters(max(args.watchers, 1))
        print(
            f"{len(clusters)} clusters ready in {time.perf_counter() - began:.0f} s",
            flush=True,
        )
        daphne, port = start_server(args.web_workers)
        w = asyncio.run(
            _run_watchers(
                port, clusters, args.seconds, args.rate, args.writers, daphne.pid
            )
        )
        # The storm measures connecting, not the watchers' backlog: wait until the
        # server answers a page again.
        drained = _wait_until_answering(port)
        storm_cpu = cpu_seconds(daphne.pid)
        s = asyncio.run(_run_storm(port, clusters, args.storm, STORM_SECONDS))
        storm_cpu = cpu_seconds(daphne.pid) - storm_cpu
    print(
        "change feed: Redis pub/sub, the writer gathers for "
        f"{layer_sender.GATHER_SECONDS * 1000:.0f} ms"
    )
    print(
        f"watchers: {w['watchers']} clients, {w['writes']} writes "
        f"({w['write_rate']:.0f}/s from {w['writers']} processes), {w['frames']} frames"
    )
    print(
        f"  revision gaps: {w['gaps']}, written revisions never received: {w['missing']}"
    )
    print(
        f"  commit → frame: p50 {w['p50']:.0f} ms, p95 {w['p95']:.0f} ms, "
        f"max {w['max']:.0f} ms"
    )
    print(
        f"  of which commit → nudge in Redis (the writer's side): "
        f"p50 {w['nudge_p50']:.0f} ms, p95 {w['nudge_p95']:.0f} ms"
    )
    print(
        f"  daphne ({args.web_workers} process(es)): "
        f"{w['server_cpu_share'] * 100:.0f} % of a core, "
        f"{w['server_cpu_per_frame']:.2f} ms of CPU a frame; "
        f"load average {w['load']:.1f} on {os.cpu_count()} cores"
    )
    for error in w["errors"][:5]:
        print(f"  client error: {error}")
    print(f"the server answered pages again {drained:.1f} s after the last write")
    print(
        f"connect storm: {s['accepted']}/{s['clients']} accepted, "
        f"{s['snapshots']}/{s['clients']} got their snapshot "
        f"(all in {s['all_in']:.1f} s)"
    )
    print(
        f"  accept p95 {s['accept_p95']:.0f} ms, snapshot p95 {s['snapshot_p95']:.0f} ms;"
        f" daphne {storm_cpu / max(1, s['clients']) * 1000:.1f} ms of CPU a client"
    )
    for error in s["errors"][:5]:
        print(f"  client error: {error}")


if __name__ == "__main__":
    main()
