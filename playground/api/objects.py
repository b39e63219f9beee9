"""Cluster objects: apply YAML, list, inspect, delete, scale; cordon and drain nodes."""

from __future__ import annotations

import yaml
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from cluster import kinds
from cluster.apiserver import errors, subresources
from cluster.models import Component
from cluster.scheduler.explain import node_table
from playground.api.base import ClusterView, error_body, status_code
from playground.api.serializers import ApplySerializer, ScaleSerializer
from playground.live import slim
from playground.manifests import apply_documents

NAMESPACE = OpenApiParameter("namespace", str, description="default: `default`")
NODE = kinds.by_kind("Node")
POD = kinds.by_kind("Pod")
EVENT = kinds.by_kind("Event")
OWNER_CHAIN_LIMIT = 5


def kind_or_404(resource: str) -> kinds.Kind:
    try:
        return kinds.by_name(resource)
    except kinds.UnknownKind as exc:
        raise Http404(str(exc)) from None


class ApplyView(ClusterView):
    @extend_schema(request=ApplySerializer)
    def post(self, request, slug):
        """Apply a (multi-document) YAML manifest: every object, or none."""
        form = ApplySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        api = self.api()
        outcome = apply_documents(
            api, form.validated_data["yaml"], form.validated_data["dry_run"]
        )
        if not outcome.failures:
            return Response({"results": outcome.results}, status=200)
        api.calls.clear()  # rolled back: nothing to animate
        index, first = outcome.failures[0]
        body = error_body(first)
        body["documents"] = [
            {"document": i, **error_body(exc)} for i, exc in outcome.failures
        ]
        body["errors"] = [
            {"document": i, "field": c.field, "message": c.message}
            for i, exc in outcome.failures
            for c in (exc.causes or [errors.Cause("", exc.message)])
        ]
        return Response(body, status=status_code(first))


class ObjectListView(ClusterView):
    @extend_schema(parameters=[NAMESPACE], operation_id="clusters_objects_list")
    def get(self, request, slug, resource):
        """Objects of one kind (every namespace unless `namespace` is given)."""
        kind = kind_or_404(resource)
        result = self.api().list(kind, request.query_params.get("namespace"))
        return Response(
            {"revision": result.revision, "items": [slim(o) for o in result.items]}
        )


class ObjectView(ClusterView):
    def target(self, resource: str):
        kind = kind_or_404(resource)
        namespace = self.request.query_params.get("namespace") or "default"
        return kind, (namespace if kind.namespaced else None)

    @extend_schema(parameters=[NAMESPACE])
    def get(self, request, slug, resource, name):
        """An object with its YAML, events, owner chain and (pods) scheduling verdicts."""
        kind, namespace = self.target(resource)
        api = self.api()
        obj = api.get(kind, namespace, name)
        body = {
            "object": obj,
            "yaml": yaml.safe_dump(slim(dict(obj)), sort_keys=False),
            "events": events_about(api, obj, kind),
            "owners": owner_chain(api, obj),
        }
        if kind.kind == "Pod":
            body["scheduling"] = scheduling_of(self.cluster.pk, obj)
        return Response(body)

    @extend_schema(parameters=[NAMESPACE], responses={200: dict})
    def delete(self, request, slug, resource, name):
        """Delete an object (pods terminate gracefully on their node)."""
        kind, namespace = self.target(resource)
        return Response(self.api().delete(kind, namespace, name))


class ScaleView(ObjectView):
    @extend_schema(parameters=[NAMESPACE], request=ScaleSerializer)
    def post(self, request, slug, resource, name):
        """Set spec.replicas of a Deployment, ReplicaSet or StatefulSet."""
        form = ScaleSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        kind, namespace = self.target(resource)
        replicas = form.validated_data["replicas"]

        def with_replicas(scale):
            scale["spec"]["replicas"] = replicas
            return scale

        return Response(
            subresources.set_scale(self.api(), kind, namespace, name, with_replicas)
        )


class NodeActionView(ClusterView):
    @extend_schema(request=None)
    def post(self, request, slug, name, action):
        """cordon, uncordon or drain (cordon, then evict every pod not of a DaemonSet)."""
        api = self.api()
        if action not in ("cordon", "uncordon", "drain"):
            raise Http404(f"unknown action {action!r}")
        unschedulable = action != "uncordon"
        api.merge_patch(NODE, None, name, {"spec": {"unschedulable": unschedulable}})
        evicted, refused = [], []
        if action == "drain":
            for pod in api.list(POD, field_selector=f"spec.nodeName={name}").items:
                meta = pod["metadata"]
                owners = meta.get("ownerReferences") or []
                if any(o.get("kind") == "DaemonSet" for o in owners):
                    continue
                if meta.get("deletionTimestamp"):
                    continue
                try:
                    subresources.evict(api, meta["namespace"], meta["name"])
                    evicted.append(f"{meta['namespace']}/{meta['name']}")
                except errors.ApiError as exc:
                    refused.append({"pod": meta["name"], **error_body(exc)})
        return Response(
            {
                "node": name,
                "unschedulable": unschedulable,
                "evicted": evicted,
                "refused": refused,
            }
        )


def events_about(api, obj: dict, kind: kinds.Kind) -> list[dict]:
    """The core Events whose involvedObject is this object, newest last."""
    meta = obj["metadata"]
    namespace = meta.get("namespace") or "default"
    found = [
        e
        for e in api.list(EVENT, namespace).items
        if (e.get("involvedObject") or {}).get("name") == meta["name"]
        and (e.get("involvedObject") or {}).get("kind") == kind.kind
    ]
    found.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    return [
        {
            "type": e.get("type"),
            "reason": e.get("reason"),
            "message": e.get("message"),
            "count": e.get("count", 1),
            "time": e.get("lastTimestamp") or e.get("eventTime"),
            "source": (e.get("source") or {}).get("component")
            or e.get("reportingComponent"),
        }
        for e in found
    ]


def owner_chain(api, obj: dict) -> list[dict]:
    """This object's controller, its controller's controller, ... (Pod → RS → Deploy)."""
    chain = []
    current = obj
    for _ in range(OWNER_CHAIN_LIMIT):
        refs = current["metadata"].get("ownerReferences") or []
        ref = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
        if ref is None:
            break
        chain.append({"kind": ref.get("kind"), "name": ref.get("name")})
        try:
            kind = kinds.by_kind(ref["kind"], ref.get("apiVersion"))
            current = api.get(kind, current["metadata"].get("namespace"), ref["name"])
        except (kinds.UnknownKind, errors.ApiError, KeyError):
            break
    return chain


def scheduling_of(cluster_id: int, pod: dict) -> dict | None:
    """The scheduler's last decision for this pod, per node and per plugin, if kept."""
    uid = pod["metadata"].get("uid")
    for memory in Component.objects.filter(
        machine__cluster_id=cluster_id, kind="kube-scheduler"
    ).values_list("memory", flat=True):
        decision = ((memory or {}).get("decisions") or {}).get(uid)
        if decision:
            return {
                "result": decision.get("result"),
                "node": decision.get("node"),
                "message": decision.get("message"),
                "nodes": node_table(decision),
            }
    return None
