"""What one `kubectl exec` needs: the pod, its container, and the world its shell sees.

Pure reads through the API server; `exec_consumer.py` speaks the WebSocket protocol.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass

from cluster import access, kinds
from cluster.apiserver import errors
from cluster.k8sapi import auth
from cluster.k8sapi.context import cluster_or_404
from cluster.nodes import exec_shell, proxy, traffic

POD = kinds.by_kind("Pod")
_LISTED = (
    "Service",
    "EndpointSlice",
    "Node",
    "Ingress",
    "IngressClass",
    "NetworkPolicy",
    "Namespace",
)


@dataclass
class ExecRequest:
    slug: str
    namespace: str
    pod: str
    container: str
    command: list[str]
    authorization: str


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
    api = access.api_for(cluster, user)
    if not access.can_write(user, cluster):
        raise errors.forbidden(
            "pods",
            req.pod,
            f'User "{user.get_username()}" cannot create resource "pods/exec" in API '
            f'group "" in the namespace "{req.namespace}": this cluster is read-only for you',
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
    listed = {k: api.list(kinds.by_kind(k)).items or [] for k in _LISTED}
    pods = api.list(POD).items or []
    services, slices = listed["Service"], listed["EndpointSlice"]
    view = traffic.View(
        pods=pods,
        services=services,
        endpoint_slices=slices,
        nodes=listed["Node"],
        ingresses=listed["Ingress"],
        ingress_classes=listed["IngressClass"],
        network_policies=listed["NetworkPolicy"],
        namespaces={
            n["metadata"]["name"]: n["metadata"].get("labels") or {}
            for n in listed["Namespace"]
        },
        node_rules={
            n["metadata"]["name"]: proxy.build_rules(
                n["metadata"]["name"], services, slices, api.now
            )
            for n in listed["Node"]
        },
    )
    return exec_shell.ExecContext(
        pod=pod,
        container=container,
        view=view,
        now=api.now,
        rng=random.Random(),
        objects=_mounted_objects(api, req.namespace),
    )


def _mounted_objects(api, namespace: str) -> dict:
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
