"""What one `kubectl exec` needs: the pod, its container, and the world its shell sees.

Pure reads through the API server; `exec_consumer.py` speaks the WebSocket protocol.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass, field

from cluster import access, container_files, idle, kinds, request_logs, send_traffic
from cluster.apiserver import errors, rbac
from cluster.k8sapi import auth
from cluster.k8sapi.context import (
    check_allowed,
    check_rate,
    cluster_or_404,
    impersonated,
)
from cluster.nodes import exec_shell

POD = kinds.by_kind("Pod")


@dataclass
class ExecRequest:
    slug: str
    namespace: str
    pod: str
    container: str
    command: list[str]
    authorization: str
    # The request's `Impersonate-*` headers (`kubectl exec --as`).
    impersonation: dict[str, str] = field(default_factory=dict)


class Refused(Exception):
    """Authentication failed: refuse the upgrade, so kubectl's retry gets a 401/403."""


def open_session(req: ExecRequest) -> exec_shell.ExecContext:
    """Authenticate, authorize and build the shell's context; ApiError on failure."""

    class _Headers:
        headers = {"Authorization": req.authorization}

    try:
        user = auth.authenticate(_Headers)
        cluster = cluster_or_404(req.slug)
    except errors.ApiError as exc:
        raise Refused(exc.message) from None
    if not access.can_read(user, cluster):
        raise Refused("forbidden")
    check_rate(_Headers)
    identity = impersonated(req.impersonation, user, cluster)
    if identity is not None:
        # The upgrade is a GET, and kube-apiserver also asks for `create`.
        for verb in ("get", "create"):
            attrs = rbac.Attributes(verb, "", "pods", "exec", req.pod, req.namespace)
            check_allowed(cluster, identity, attrs)
    idle.touch(cluster)
    api = access.api_for(cluster, user)
    if api.caller.refuses_writes():
        raise errors.forbidden(
            "pods",
            req.pod,
            f'User "{user.get_username()}" cannot create resource "pods/exec" in API '
            f'group "" in the namespace "{req.namespace}": {api.caller.read_only_reason}',
            plural="pods",
        )
    pod = api.get(POD, req.namespace, req.pod)
    names = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
    container = req.container or (names[0] if names else "")
    if container not in names:
        raise errors.bad_request(
            f"container {container} is not valid for pod {req.pod}"
        )
    if (pod.get("status") or {}).get("phase") != "Running":
        raise errors.bad_request(
            f'unable to upgrade connection: container not found ("{container}")'
        )
    # The pod's requests go by its node's rules as that node's kube-proxy holds them.
    view = send_traffic.network_view(cluster, api)
    node = (pod.get("spec") or {}).get("nodeName") or ""
    cid = container_files.container_id(pod, container)
    return exec_shell.ExecContext(
        pod=pod,
        container=container,
        view=view,
        now=api.now,
        rng=random.Random(),
        objects=namespace_objects(api, req.namespace),
        cluster_id=cluster.pk,
        written=container_files.load(cluster.pk, node, cid) if cid else {},
    )


def record_served(ctx: exec_shell.ExecContext) -> None:
    """Write the requests the session's curl or wget got answered into the logs of
    the containers that served them."""
    served, ctx.served = ctx.served, []
    if served and ctx.cluster_id is not None:
        request_logs.record(ctx.cluster_id, served, ctx.view.pods)


def record_written(ctx: exec_shell.ExecContext) -> None:
    """Keep the files the session wrote in the container's writable layer."""
    ctx.dirty = False
    node = (ctx.pod.get("spec") or {}).get("nodeName") or ""
    cid = container_files.container_id(ctx.pod, ctx.container)
    if ctx.cluster_id is None or not node or not cid:
        return
    live = {
        container_files.container_id(p, s.get("name", ""))
        for p in ctx.view.pods
        if (p.get("spec") or {}).get("nodeName") == node
        for s in (p.get("status") or {}).get("containerStatuses") or []
    }
    container_files.save(ctx.cluster_id, node, cid, ctx.written, live | {cid})


def namespace_objects(api, namespace: str) -> dict:
    """The namespace's ConfigMap and Secret data (decoded), for mounts and env."""
    objects = {}
    for cm in api.list(kinds.by_kind("ConfigMap"), namespace).items or []:
        objects[f"configmap/{namespace}/{cm['metadata']['name']}"] = dict(
            cm.get("data") or {}
        )
    for secret in api.list(kinds.by_kind("Secret"), namespace).items or []:
        data = {}
        for key, value in (secret.get("data") or {}).items():
            try:
                data[key] = base64.b64decode(value).decode("utf-8", "replace")
            except (ValueError, TypeError):
                continue
        objects[f"secret/{namespace}/{secret['metadata']['name']}"] = data
    return objects
