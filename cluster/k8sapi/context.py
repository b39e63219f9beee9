"""Every Kubernetes API request starts here: find the cluster, authenticate, authorize.

`endpoint` wraps a view so it receives a `RequestContext`, and so every failure (a
refused call, a body too large, a bug) leaves as a `Status`, never as an HTML page.

The owner is the cluster's administrator (group `system:masters`) and may impersonate
(`kubectl --as=<user> --as-group=<group>`): such a request is then authorized with RBAC
as that user, from what its method and path ask, before any view runs. Its writes are
still made through the owner's API handle. An instructor may not impersonate.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from cluster import access, idle, limits
from cluster.apiserver import authorization, errors, rbac, requestinfo
from cluster.apiserver.core import ApiServer
from cluster.k8sapi import auth, lookups
from cluster.k8sapi.responses import add_warnings, error_response
from cluster.models import Cluster

log = logging.getLogger(__name__)


IMPERSONATE_USER = "Impersonate-User"
IMPERSONATE_GROUP = "Impersonate-Group"
IMPERSONATE_UID = "Impersonate-Uid"
IMPERSONATE_EXTRA = "Impersonate-Extra-"
ANONYMOUS = "system:anonymous"
UNAUTHENTICATED = "system:unauthenticated"
API_ROOT = "/k8s/clusters/"


@dataclass
class RequestContext:
    cluster: Cluster
    user: object
    api: ApiServer
    # The user the owner impersonates (`kubectl --as`), or None: the owner themself.
    identity: rbac.UserInfo | None = None

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
    identity = impersonated(request.headers, user, cluster)
    idle.touch(cluster)
    caller = request.headers.get("User-Agent", "kubectl").split("/")[0] or "kubectl"
    api = access.api_for(cluster, user, caller_name=caller[:40])
    return RequestContext(cluster, user, api, identity)


def _header_values(headers, name: str) -> list[str]:
    """Every value of a header sent once or more (repeats arrive comma-joined)."""
    value = headers.get(name)
    if not value:
        return []
    return [v.strip() for v in value.split(",") if v.strip()]


def impersonated(headers, user, cluster: Cluster) -> rbac.UserInfo | None:
    """The user named by the `Impersonate-*` headers, or None when there are none.

    Only the owner (an administrator) may impersonate: anyone else gets kube-apiserver's
    403 for the first identity they asked for. As in kube-apiserver, a ServiceAccount
    user without `--as-group` gets its ServiceAccount groups, and every user but
    `system:anonymous` gets `system:authenticated` unless it asked for that group or
    `system:unauthenticated`.
    """
    name = (headers.get(IMPERSONATE_USER) or "").strip()
    groups = _header_values(headers, IMPERSONATE_GROUP)
    uid = (headers.get(IMPERSONATE_UID) or "").strip()
    extra = {
        key[len(IMPERSONATE_EXTRA) :].lower(): _header_values(headers, key)
        for key in headers
        if key.lower().startswith(IMPERSONATE_EXTRA.lower())
    }
    if not (name or groups or uid or extra):
        return None
    if cluster.owner_id != user.pk:
        resource, target = (
            ("users", name) if name else ("groups", groups[0] if groups else uid)
        )
        raise errors.forbidden(
            resource,
            target,
            f'User "{user.get_username()}" cannot impersonate resource "{resource}" in '
            'API group "" at the cluster scope',
            plural=resource,
        )
    if not name:
        raise errors.bad_request(
            "requested impersonation of groups, uid or extra without impersonating a user"
        )
    account = rbac.split_service_account(name)
    if account is not None and not groups:
        groups = [
            g
            for g in rbac.service_account_groups(account[0])
            if g != rbac.AUTHENTICATED
        ]
    if name == ANONYMOUS:
        if UNAUTHENTICATED not in groups:
            groups.append(UNAUTHENTICATED)
    elif rbac.AUTHENTICATED not in groups and UNAUTHENTICATED not in groups:
        groups.append(rbac.AUTHENTICATED)
    return rbac.UserInfo(name, tuple(groups), uid, extra)


def check_allowed(cluster: Cluster, identity: rbac.UserInfo, attrs: rbac.Attributes):
    """403 Forbidden, in kube-apiserver's words, unless RBAC allows the request."""
    if authorization.authorize(cluster.pk, identity, attrs).allowed:
        return
    message = rbac.forbidden_message(identity, attrs)
    if not attrs.is_resource_request:
        raise errors.ApiError(403, "Forbidden", f"forbidden: {message}")
    qualified = (
        f"{attrs.resource}.{attrs.api_group}" if attrs.api_group else attrs.resource
    )
    raise errors.forbidden(
        qualified, attrs.name, message, group=attrs.api_group, plural=attrs.resource
    )


def authorize_request(request, ctx: RequestContext) -> None:
    """For an impersonated request only: what its method and path ask, by RBAC."""
    if ctx.identity is None:
        return
    path = request.path_info
    prefix = f"{API_ROOT}{ctx.cluster.slug}"
    if path.startswith(prefix):
        path = path[len(prefix) :]
    query = {key: request.GET.get(key, "") for key in ("watch", "fieldSelector")}
    check_allowed(
        ctx.cluster, ctx.identity, requestinfo.attributes(request.method, path, query)
    )


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
            authorize_request(request, ctx)
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
