"""etcd, as a student sees it: snapshots to save and restore, and the keyspace."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from cluster import kinds, operations, store
from cluster.apiserver import errors
from playground.api.base import ClusterView
from playground.api.serializers import SnapshotSerializer
from playground.live import slim

REGISTRY = "/registry/"


class SnapshotListView(ClusterView):
    @extend_schema(responses=SnapshotSerializer(many=True))
    def get(self, request, slug):
        """Saved etcd snapshots, newest first."""
        return Response(
            SnapshotSerializer(self.cluster.snapshots.all(), many=True).data
        )

    @extend_schema(request=SnapshotSerializer, responses={201: SnapshotSerializer})
    def post(self, request, slug):
        """`etcdctl snapshot save`: every key at the current revision."""
        form = SnapshotSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        snapshot = operations.take_snapshot(self.cluster, form.validated_data["name"])
        return Response(SnapshotSerializer(snapshot).data, status=201)


class SnapshotRestoreView(ClusterView):
    @extend_schema(request=None)
    def post(self, request, slug, snapshot_id):
        """`etcdctl snapshot restore`: every client re-lists, the revision moves on."""
        snapshot = self.cluster.snapshots.filter(pk=snapshot_id).first()
        if snapshot is None:
            raise Http404("no such snapshot")
        revision = operations.restore_snapshot(snapshot)
        return Response({"restored": snapshot.name, "revision": revision})


class KeyspaceView(ClusterView):
    @extend_schema(
        parameters=[OpenApiParameter("prefix", str, description="default /registry/")]
    )
    def get(self, request, slug):
        """`etcdctl get --prefix --keys-only`: keys with their revisions."""
        prefix = request.query_params.get("prefix") or REGISTRY
        if not prefix.startswith(REGISTRY):
            return Response({"prefix": [f"must start with {REGISTRY}"]}, status=400)
        # Reading keys (never values) is the one view of etcd outside the API server:
        # it is what the browser teaches.
        return Response(
            {
                "revision": store.current_revision(self.cluster.pk),
                "keys": store.keyspace(self.cluster.pk, prefix),
            }
        )


class KeyValueView(ClusterView):
    @extend_schema(parameters=[OpenApiParameter("key", str, required=True)])
    def get(self, request, slug):
        """The value at one key, read through the API server."""
        key = request.query_params.get("key", "")
        kind, namespace, name = parse_key(key)
        obj = self.api().get(kind, namespace, name)
        return Response({"key": key, "value": slim(obj)})


def parse_key(key: str) -> tuple[kinds.Kind, str | None, str]:
    """`/registry/<bucket>/[<namespace>/]<name>` → the kind and where it lives."""
    parts = key[len(REGISTRY) :].split("/") if key.startswith(REGISTRY) else []
    for kind in kinds.KINDS:
        if not kind.stored:
            continue
        bucket = kind.bucket.split("/")
        if parts[: len(bucket)] != bucket:
            continue
        rest = parts[len(bucket) :]
        if kind.namespaced and len(rest) == 2:
            return kind, rest[0], rest[1]
        if not kind.namespaced and len(rest) == 1:
            return kind, None, rest[0]
    raise errors.bad_request(f"not an object key: {key!r}")
