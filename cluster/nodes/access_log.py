"""Served requests as the serving container's access log records them.

A request that reached a container leaves one entry (time, client address as the
container saw it, method, path, status, bytes, user agent); `cluster.nodes.logs` turns
entries into the lines each image prints. Entries of requests sent from outside the
node's own processes (the page, `kubectl exec -- curl`) live in the node's container
runtime (`served`), which owns the containers' log files; those of the load
generators are written by the kubelet into its runtime state. Readers see both merged.
"""

from __future__ import annotations

from cluster.nodes import images, responses
from cluster.nodes import runtime as rt

# What the page's "send traffic" calls itself in a User-Agent header.
PAGE_AGENT = "kubelab/1.0"
# BusyBox wget sends this User-Agent (and HTTP/1.1 requests).
BUSYBOX_WGET_AGENT = "Wget"
# curl as packaged in the images that ship it: Debian bookworm's, Alpine's, and
# curlimages/curl's latest tag when the tag names no version.
CURL_VERSIONS = {"debian": "7.88.1", "alpine": "8.12.1", "curlimages": "8.11.1"}
# Load generators' requests written per container each time its kubelet syncs: a
# steady loop shows in the log without flooding it.
LOAD_LINES_PER_SYNC = 20


def user_agent(tool: str, image_name: str) -> str:
    """The User-Agent `curl` or `wget` sends from a container of `image_name`."""
    image = images.lookup_name(image_name)
    if tool == "wget":
        return BUSYBOX_WGET_AGENT
    if image.repo.endswith("curlimages/curl"):
        tag = _tag(image_name)
        return f"curl/{tag if tag[:1].isdigit() else CURL_VERSIONS['curlimages']}"
    flavour = "alpine" if "alpine" in _tag(image_name) else "debian"
    return f"curl/{CURL_VERSIONS[flavour]}"


def _tag(image_name: str) -> str:
    try:
        return images.normalize(image_name).tag
    except images.InvalidImageName:
        return ""


def entry(trace) -> dict | None:
    """The access-log entry a served request leaves, None when no container answered
    (no endpoints, refused, timed out, or a server that does not speak HTTP)."""
    if not trace.ok or not trace.pod or trace.status is None:
        return None
    request = trace.request
    method = request.get("method", "GET")
    out = {
        "at": request.get("at", 0.0),
        "client": trace.client_ip,
        "method": method,
        "path": request.get("path", "/"),
        "status": trace.status,
        "bytes": 0 if method == "HEAD" else len(trace.body.encode()),
        "agent": request.get("agent") or "-",
    }
    forwarded = request.get("forwarded")
    if forwarded:
        out["forwarded"] = forwarded
    return out


def add_served(memory: dict | None, served: list[tuple[dict, dict]], live) -> dict:
    """The container runtime's memory with `served` ((trace.pod, entry) pairs)
    appended, each container's log capped, and pods no longer on the node dropped."""
    out = dict(memory or {})
    logs = {
        uid: {name: list(entries) for name, entries in containers.items()}
        for uid, containers in (out.get("served") or {}).items()
        if uid in live
    }
    for pod, item in served:
        log = logs.setdefault(pod["uid"], {}).setdefault(pod["container"], [])
        rt.append_request(log, item)
    out["served"] = logs
    out["seq"] = int(out.get("seq") or 0) + 1
    return out


def merged(kubelet_state: dict | None, runtime_memory: dict | None) -> dict:
    """The kubelet's runtime state with the requests the container runtime logged
    added to each container's `requests`, in time order."""
    served = (runtime_memory or {}).get("served") or {}
    state = kubelet_state or {}
    if not served:
        return state
    pods = dict(state.get("pods") or {})
    for uid, containers in served.items():
        ps = pods.get(uid)
        if not ps:
            continue
        records = dict(ps.get("containers") or {})
        for name, entries in containers.items():
            cs = records.get(name)
            if cs is None:
                continue
            both = sorted([*cs.get("requests", []), *entries], key=lambda e: e["at"])
            records[name] = {**cs, "requests": both[-rt.REQUEST_LOG_LIMIT :]}
        pods[uid] = {**ps, "containers": records}
    return {**state, "pods": pods}


def serving_container(pod: dict, port: int | None) -> dict | None:
    """The container a request to `port` reaches: the one whose server listens there,
    else the first."""
    containers = (pod.get("spec") or {}).get("containers") or []
    for c in containers:
        if images.lookup_name(c.get("image", "")).port == port:
            return c
    return containers[0] if containers else None


def log_load(pod: dict, ps: dict | None, streams: list, now: float) -> None:
    """Append to each serving container's `requests` the generator requests that
    reached it since the kubelet's last sync (the latest LOAD_LINES_PER_SYNC)."""
    records = (ps or {}).get("containers") or {}
    by_container: dict[str, list] = {}
    for stream in streams:
        c = serving_container(pod, stream.port)
        if c is not None:
            by_container.setdefault(c["name"], []).append(stream)
    for c in (pod.get("spec") or {}).get("containers") or []:
        cs = records.get(c["name"])
        if cs is None:
            continue
        mine = by_container.get(c["name"], [])
        if cs.get("state") != "running" or not mine:
            cs.pop("load_marks", None)
            continue
        marks = cs.get("load_marks") or {}
        kept, due = {}, []
        for stream in mine:
            key = f"{stream.client} {stream.path}"
            since = max(marks.get(key, now), cs.get("started_at", now))
            count = int((now - since) * stream.rate + 1e-9)
            due += [
                (since + (i + 1) / stream.rate, stream)
                for i in range(max(0, count - LOAD_LINES_PER_SYNC), count)
            ]
            kept[key] = since + count / stream.rate
        cs["load_marks"] = kept
        tag = _tag(c.get("image", ""))
        body = images.lookup_name(c.get("image", "")).body
        for at, stream in sorted(due, key=lambda d: d[0])[-LOAD_LINES_PER_SYNC:]:
            status, text = responses.respond(
                body, tag, pod, stream.path, stream.client, at, "GET", stream.agent
            )
            rt.append_request(
                cs.setdefault("requests", []),
                {
                    "at": at,
                    "client": stream.client,
                    "method": "GET",
                    "path": stream.path,
                    "status": status,
                    "bytes": len(text.encode()),
                    "agent": stream.agent,
                    "load": True,
                },
            )
