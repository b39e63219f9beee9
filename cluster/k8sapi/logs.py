"""GET pods/<name>/log: text/plain, with tailLines, timestamps, previous and follow.

`follow=true` keeps the response open and sends new lines as the simulated container
writes them, until the pod goes away or the client hangs up.
"""

from __future__ import annotations

import asyncio
import json
import time

from asgiref.sync import sync_to_async
from django.http import HttpResponse, StreamingHttpResponse

from cluster import access, kinds
from cluster.apiserver import errors
from cluster.k8sapi import bodies, exec_session, node_state
from cluster.k8sapi.context import RequestContext
from cluster.k8sapi.paths import Target
from cluster.nodes import container_env
from cluster.nodes import logs as node_logs

TEXT = "text/plain"
FOLLOW_POLL_SECONDS = 1.0
FOLLOW_MAX_SECONDS = 3600
# How long a log read waits for a tick to save the runtime state the API is ahead of.
STATE_CATCH_UP_SECONDS = 2.0
_TRUE = ("true", "1")


def _container(pod: dict, requested: str) -> str:
    names = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
    if requested:
        return requested
    if len(names) == 1:
        return names[0]
    raise errors.bad_request(
        f"a container name must be specified for pod {pod['metadata']['name']}, "
        f"choose one of: [{' '.join(names)}]"
    )


def _text(ctx, pod: dict, container: str, now: float, **options) -> str:
    node = (pod.get("spec") or {}).get("nodeName")
    env = _env(ctx, pod, container)
    deadline = time.monotonic() + STATE_CATCH_UP_SECONDS
    while True:
        state = node_state.runtime_state(ctx.cluster.pk, node) if node else {}
        try:
            return node_logs.pod_logs(pod, state, container, now, env=env, **options)
        except node_logs.LogsError as exc:
            behind = not options.get("previous") and _api_shows_started(pod, container)
            if not behind or time.monotonic() > deadline:
                raise errors.bad_request(str(exc)) from None
        time.sleep(0.1)


def _api_shows_started(pod: dict, container: str) -> bool:
    """Whether the pod's status already reports the container running or finished.

    A tick writes pod statuses as it goes and saves the kubelet's runtime state at its
    end, so for a moment the API can be ahead of the state the log is rebuilt from."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return any(
        cs.get("name") == container
        and {"running", "terminated"} & set(cs.get("state") or {})
        for cs in statuses
    )


def _env(ctx, pod: dict, name: str) -> dict | None:
    """The container's kubelet environment when its command expands variables
    (ConfigMaps and Secrets are read only then)."""
    spec = next(
        (
            c
            for c in (pod.get("spec") or {}).get("containers") or []
            if c["name"] == name
        ),
        None,
    )
    if spec is None or "$" not in json.dumps([spec.get("command"), spec.get("args")]):
        return None
    ns = pod["metadata"].get("namespace", "default")
    try:
        objects = exec_session.namespace_objects(ctx.api, ns)
        services = ctx.api.list(kinds.by_kind("Service"), None).items or []
    except errors.ApiError:
        return None  # a caller who may not read them still gets the literal values
    return container_env.kubelet_env(pod, spec, objects, services)


def respond(request, ctx: RequestContext, target: Target):
    pod = ctx.api.get(target.kind, target.namespace, target.name)
    container = _container(pod, request.GET.get("container", ""))
    options = {
        "tail_lines": bodies.int_param(request, "tailLines"),
        "timestamps": request.GET.get("timestamps", "").lower() in _TRUE,
        "previous": request.GET.get("previous", "").lower() in _TRUE,
        "since_seconds": bodies.int_param(request, "sinceSeconds", minimum=1),
        "limit_bytes": bodies.int_param(request, "limitBytes", minimum=1),
    }
    text = _text(ctx, pod, container, ctx.api.now, **options)
    if request.GET.get("follow", "").lower() not in _TRUE or options["previous"]:
        return HttpResponse(text, content_type=TEXT)
    return StreamingHttpResponse(
        _follow(ctx, target, container, text, options["timestamps"]), content_type=TEXT
    )


def _new_text(ctx, target: Target, container: str, timestamps: bool):
    """The whole log now, or None once the pod is gone."""
    try:
        pod = ctx.api.get(target.kind, target.namespace, target.name)
    except errors.ApiError:
        return None
    now = access.sim_now(ctx.cluster)
    try:
        return _text(ctx, pod, container, now, timestamps=timestamps)
    except errors.ApiError:
        return ""


async def _follow(ctx, target: Target, container: str, first: str, timestamps: bool):
    yield first
    read = sync_to_async(_new_text, thread_sensitive=False)
    # What was sent is the tail of the full log; new lines are whatever follows it.
    seen = await read(ctx, target, container, timestamps)
    if seen is None:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FOLLOW_MAX_SECONDS
    while loop.time() < deadline:
        await asyncio.sleep(FOLLOW_POLL_SECONDS)
        full = await read(ctx, target, container, timestamps)
        if full is None:
            return
        if full.startswith(seen) and len(full) > len(seen):
            yield full[len(seen) :]
        seen = full
