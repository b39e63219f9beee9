"""Pages: sign-in, "my clusters" and the live cluster page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cluster import idle
from cluster.access import frozen_reason, read_only_reason
from cluster.models import Cluster
from cluster.templates import TEMPLATES
from playground.api.base import readable_cluster_or_404
from playground.api.serializers import ClusterCreateSerializer
from playground.clusters import (
    ReadOnlyOwner,
    create_for,
    delete_cluster,
    reset_cluster,
)


def home(request):
    return redirect("clusters" if request.user.is_authenticated else "login")


@login_required
@require_http_methods(["GET", "POST"])
def cluster_list(request):
    """Your clusters, and a form to create one from a template."""
    form_errors = {}
    if request.method == "POST":
        form = ClusterCreateSerializer(data=request.POST)
        if form.is_valid():
            try:
                cluster = create_for(request.user, **form.validated_data)
            except IntegrityError:
                form_errors = {
                    "name": [_("You already have a cluster with this name.")]
                }
            except ReadOnlyOwner as exc:
                form_errors = {"name": [str(exc)]}
            else:
                return redirect("cluster", slug=cluster.slug)
        else:
            form_errors = form.errors
    return render(
        request,
        "playground/clusters.html",
        {
            "clusters": request.user.clusters.order_by("name"),
            "templates": sorted(
                TEMPLATES.values(), key=lambda t: t.masters + t.workers
            ),
            "form_errors": form_errors,
            "form_data": request.POST if request.method == "POST" else {},
            "frozen": frozen_reason(request.user),
        },
        status=400 if form_errors else 200,
    )


def _owned(request, slug: str) -> Cluster:
    cluster = readable_cluster_or_404(request.user, slug)
    if cluster.owner_id != request.user.pk:
        raise Http404("no such cluster")
    return cluster


@login_required
@require_POST
def cluster_reset(request, slug):
    cluster = _owned(request, slug)
    why = read_only_reason(request.user, cluster)
    if why:
        messages.error(request, why)
        return redirect("clusters")
    cluster = reset_cluster(cluster)
    messages.success(request, _("Cluster %(name)s was reset.") % {"name": cluster.name})
    return redirect("clusters")


@login_required
@require_POST
def cluster_delete(request, slug):
    cluster = _owned(request, slug)
    why = read_only_reason(request.user, cluster)
    if why:
        messages.error(request, why)
        return redirect("clusters")
    name = cluster.name
    delete_cluster(cluster)
    messages.success(request, _("Cluster %(name)s was deleted.") % {"name": name})
    return redirect("clusters")


@login_required
def cluster_page(request, slug):
    """The live architecture diagram of one cluster."""
    cluster = readable_cluster_or_404(request.user, slug)
    idle.touch(cluster)
    why = read_only_reason(request.user, cluster)
    return render(
        request,
        "playground/cluster.html",
        {
            "cluster": cluster,
            "writable": not why,
            # The owner is told why their own cluster stopped taking changes.
            "frozen": why if cluster.owner_id == request.user.pk else "",
        },
    )
