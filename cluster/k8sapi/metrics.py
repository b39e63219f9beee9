"""metrics.k8s.io/v1beta1 for `kubectl top`: usage computed from the simulated runtime."""

from __future__ import annotations

from cluster import kinds
from cluster.apiserver import errors
from cluster.k8sapi import node_state
from cluster.k8sapi.context import RequestContext
from cluster.k8sapi.paths import Target
from cluster.k8sapi.responses import object_response
from cluster.nodes import usage

API_VERSION = "metrics.k8s.io/v1beta1"
NODE = kinds.by_kind("Node")
POD = kinds.by_kind("Pod")


def _pod_metrics(ctx: RequestContext, pods: list[dict]) -> list[dict]:
    states = node_state.runtime_states(ctx.cluster.pk)
    found = []
    for pod in pods:
        node = (pod.get("spec") or {}).get("nodeName")
        if not node:
            continue
        metrics = usage.pod_metrics(pod, states.get(node, {}), ctx.api.now)
        if metrics is not None:
            found.append(metrics)
    return found


def _node_metrics(ctx: RequestContext, nodes: list[dict]) -> list[dict]:
    states = node_state.runtime_states(ctx.cluster.pk)
    pods = ctx.api.list(POD).items or []
    found = []
    for node in nodes:
        name = node["metadata"]["name"]
        on_node = [p for p in pods if (p.get("spec") or {}).get("nodeName") == name]
        found.append(
            usage.node_metrics(name, on_node, states.get(name, {}), ctx.api.now)
        )
    return found


def respond(request, ctx: RequestContext, target: Target):
    if request.method != "GET":
        raise errors.method_not_allowed(
            f"the server does not allow this method on the requested resource ({request.method})"
        )
    pods = target.kind.kind == "PodMetrics"
    source = POD if pods else NODE
    label_selector = request.GET.get("labelSelector", "")
    if target.name:
        obj = ctx.api.get(source, target.namespace, target.name)
        items = _pod_metrics(ctx, [obj]) if pods else _node_metrics(ctx, [obj])
        if not items:
            raise errors.not_found(
                f"{target.kind.plural}.metrics.k8s.io",
                target.name,
                "metrics.k8s.io",
                target.kind.plural,
            )
        return object_response(items[0])
    objects = ctx.api.list(source, target.namespace, label_selector).items or []
    items = _pod_metrics(ctx, objects) if pods else _node_metrics(ctx, objects)
    return object_response(
        {
            "kind": f"{target.kind.kind}List",
            "apiVersion": API_VERSION,
            "metadata": {},
            "items": items,
        }
    )
