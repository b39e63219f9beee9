"""Every Kubernetes API request starts here: find the cluster, authenticate, authorize.

`endpoint` wraps a view so it receives a `RequestContext`, and so every failure (a
refused call, a body too large, a bug) leaves as a `Status`, never as an HTML page.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from cluster import access, idle, limits
from cluster.apiserver import errors
from cluster.apiserver.core import ApiServer
from cluster.k8sapi import auth, lookups
from cluster.k8sapi.responses import add_warnings, error_response
from cluster.models import Cluster

log = logging.getLogger(__name__)


@dataclass
class RequestContext:
    cluster: Cluster
    user: object
    api: ApiServer

    @property
    def username(self) -> str:
        return self.user.get_username()


def cluster_or_404(slug: str) -> Cluster:
    cluster = lookups.cluster_by_slug(slug)
    if cluster is None:
        raise errors.ApiError(
            404, "NotFound", f'the cluster "{slug}" does not exist on this server'
        )
    return cluster


def open_context(request, slug: str) -> RequestContext:
    """Authenticate (401), hold to the token's rate (429), find the cluster (404) and
    check the caller may read it (403)."""
    user = auth.authenticate(request)
    check_rate(request)
    cluster = cluster_or_404(slug)
    if not access.can_read(user, cluster):
        raise errors.forbidden(
            "clusters",
            slug,
            f'User "{user.get_username()}" cannot access this cluster: '
            "it belongs to another user",
            plural="clusters",
        )
    impersonate = request.headers.get("Impersonate-User")
    if impersonate:
        raise errors.forbidden(
            "users",
            impersonate,
            f'User "{user.get_username()}" cannot impersonate resource "users" in '
            'API group "" at the cluster scope',
            plural="users",
        )
    idle.touch(cluster)
    caller = request.headers.get("User-Agent", "kubectl").split("/")[0] or "kubectl"
    api = access.api_for(cluster, user, caller_name=caller[:40])
    return RequestContext(cluster, user, api)


def check_rate(request) -> None:
    """429 TooManyRequests, with Retry-After, past the token's request rate.

    The bucket is the token's, so each user's kubectl on each cluster has its own.
    """
    token = auth.bearer_token(request)
    wait = limits.take("k8s:" + token.rsplit(".", 1)[0])
    if wait:
        raise errors.too_many_requests(
            "Too many requests, please try again later (the limit is "
            f"{limits.describe_rate()} per token)",
            retry_after=limits.retry_after(wait),
        )


def _guarded(call) -> HttpResponse:
    try:
        return call()
    except errors.ApiError as exc:
        return error_response(exc)
    except RequestDataTooBig:
        from django.conf import settings

        return error_response(
            errors.request_entity_too_large(settings.K8S_MAX_BODY_BYTES)
        )
    except Exception:  # a bug must still answer in a form kubectl prints
        log.exception("unhandled error in the Kubernetes API")
        return error_response(
            errors.ApiError(
                500,
                "InternalError",
                "an error on the server has prevented the request from succeeding",
            )
        )


def endpoint(view):
    """Wrap an authenticated view `view(request, ctx, **kwargs)`."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request, cluster: str, **kwargs):
        def call():
            ctx = open_context(request, cluster)
            response = view(request, ctx, **kwargs)
            return add_warnings(response, ctx.api.warnings)

        return _guarded(call)

    return wrapper


def public_endpoint(view):
    """Wrap a view anyone may call (like `/version`): only the cluster must exist."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request, cluster: str, **kwargs):
        return _guarded(lambda: view(request, cluster_or_404(cluster), **kwargs))

    return wrapper
