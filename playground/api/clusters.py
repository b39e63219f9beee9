"""Clusters: list, create from a template, read, delete, reset; and the kubeconfig."""

from __future__ import annotations

from django.db import IntegrityError
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from playground.api.base import ClusterView
from playground.api.serializers import ClusterCreateSerializer, ClusterSerializer
from playground.clusters import (
    ReadOnlyOwner,
    create_for,
    delete_cluster,
    reset_cluster,
)


class ClusterListView(APIView):
    """The clusters you own."""

    @extend_schema(responses=ClusterSerializer(many=True))
    def get(self, request):
        clusters = request.user.clusters.order_by("name")
        return Response(ClusterSerializer(clusters, many=True).data)

    @extend_schema(request=ClusterCreateSerializer, responses={201: ClusterSerializer})
    def post(self, request):
        form = ClusterCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            cluster = create_for(request.user, **form.validated_data)
        except IntegrityError:
            return Response(
                {"name": ["you already have a cluster with this name"]}, status=400
            )
        except ReadOnlyOwner as exc:
            return Response({"detail": str(exc)}, status=403)
        return Response(ClusterSerializer(cluster).data, status=201)


class ClusterDetailView(ClusterView):
    @extend_schema(responses=ClusterSerializer)
    def get(self, request, slug):
        return Response(ClusterSerializer(self.cluster).data)

    @extend_schema(responses={204: None})
    def delete(self, request, slug):
        delete_cluster(self.cluster)
        return Response(status=204)


class ClusterResetView(ClusterView):
    @extend_schema(request=None, responses=ClusterSerializer)
    def post(self, request, slug):
        """Start over: the template's machines and a fresh etcd."""
        cluster = reset_cluster(self.cluster)
        return Response(ClusterSerializer(cluster).data)


class KubeconfigView(ClusterView):
    @extend_schema(responses={(200, "application/yaml"): str})
    def get(self, request, slug):
        """A kubeconfig for this cluster, for your own kubectl."""
        try:
            from cluster.k8sapi.kubeconfig import build
        except ImportError:  # the Kubernetes HTTP API is not installed in this build
            return Response({"detail": "kubeconfig is not available"}, status=501)
        text = build(self.cluster, request.user)
        response = HttpResponse(text, content_type="application/yaml")
        response["Content-Disposition"] = (
            f'attachment; filename="{self.cluster.slug}.kubeconfig"'
        )
        return response
