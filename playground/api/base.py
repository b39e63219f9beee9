"""The shared shape of every cluster-scoped REST view: lookup, permission, errors.

A cluster the user may not read is a 404 (its existence is not leaked); a write on a
cluster the user may only read is a 403. API server errors come back as their
Kubernetes `Status` with the same code, plus `errors`: one entry per field.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from cluster import idle, watch
from cluster.access import api_for, can_read, read_only_reason
from cluster.apiserver.errors import ApiError
from cluster.models import Cluster
from cluster.operations import OperationError

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CALLER = "web"


def readable_cluster_or_404(user, slug: str) -> Cluster:
    cluster = Cluster.objects.filter(slug=slug).first()
    if cluster is None or not can_read(user, cluster):
        raise Http404("no such cluster")
    return cluster


def error_body(exc: ApiError) -> dict:
    """The Status, plus the field errors in the flat shape forms show."""
    body = exc.status()
    body["errors"] = [{"field": c.field, "message": c.message} for c in exc.causes]
    return body


def status_code(exc: ApiError) -> int:
    # etcd without quorum is a 500 on the Kubernetes API; here it is "try later".
    return 503 if exc.code >= 500 else exc.code


def publish_calls(cluster_id: int, calls) -> None:
    """Show the API calls a request made as pulses on the diagram."""
    if calls:
        watch.publish_calls(
            cluster_id,
            [
                {
                    "caller": c.caller,
                    "verb": c.verb,
                    "resource": c.resource,
                    "namespace": c.namespace,
                    "name": c.name,
                    "code": c.code,
                }
                for c in calls[-50:]
            ],
        )


class JsonObjectSchema(AutoSchema):
    """These views answer JSON objects; `extend_schema` on a method says more."""

    def _get_serializer(self):
        return OpenApiTypes.OBJECT


class ClusterView(APIView):
    """A view under `/api/clusters/<slug>/`."""

    schema = JsonObjectSchema()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.cluster = readable_cluster_or_404(request.user, kwargs["slug"])
        if request.method not in SAFE_METHODS:
            why = read_only_reason(request.user, self.cluster)
            if why:
                raise PermissionDenied(why)
        idle.touch(self.cluster)

    def api(self):
        self._api = api_for(self.cluster, self.request.user, caller_name=CALLER)
        return self._api

    def finalize_response(self, request, response, *args, **kwargs):
        api = getattr(self, "_api", None)
        if api is not None and request.method not in SAFE_METHODS:
            publish_calls(self.cluster.pk, api.calls)
        return super().finalize_response(request, response, *args, **kwargs)

    def handle_exception(self, exc):
        if isinstance(exc, ApiError):
            return Response(error_body(exc), status=status_code(exc))
        if isinstance(exc, OperationError):
            return Response({"detail": str(exc), "errors": []}, status=400)
        return super().handle_exception(exc)
