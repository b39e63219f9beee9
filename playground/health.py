"""`/healthz`: is every dependency of the lab reachable? 200 if so, 503 if not.

Also `/livez` and `/readyz`, which answer for a cluster when kubectl asks."""

from __future__ import annotations

import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from cluster.k8sapi import auth, views_meta
from cluster.models import Cluster
from config import celery_app
from config.embedded_redis import is_up


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _redis() -> str:
    return "ok" if is_up(settings.REDIS_URL) else "unreachable"


def _channel_layer() -> str:
    """A real round trip: send to a fresh channel and read the message back."""
    layer = get_channel_layer()

    async def round_trip() -> bool:
        channel = await layer.new_channel("healthz.")
        token = uuid.uuid4().hex
        await layer.send(channel, {"type": "healthz", "token": token})
        message = await layer.receive(channel)
        return message.get("token") == token

    return "ok" if async_to_sync(round_trip)() else "no round trip"


def _celery() -> str:
    replies = celery_app.control.ping(timeout=1.0)
    return "ok" if replies else "no worker answered"


CHECKS = {
    "database": _database,
    "redis": _redis,
    "channel_layer": _channel_layer,
    "celery": _celery,
}


def run_checks() -> dict[str, str]:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # a health check reports failures, it never raises
            results[name] = f"error: {type(exc).__name__}: {exc}"[:200]
    return results


@never_cache
def healthz(request):
    checks = run_checks()
    healthy = all(result == "ok" for result in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


@never_cache
def probe(request, which: str):
    """`/livez`, `/readyz`, `/healthz` at the root. kubectl's `get --raw /readyz` comes
    here (a raw path replaces the server's prefix) with its token, and the token's
    cluster answers as kube-apiserver does. Without one the site answers for itself:
    alive while it serves, ready while its dependencies answer."""
    cluster_id = auth.cluster_id_of(auth.bearer_token(request))
    slug = Cluster.objects.filter(pk=cluster_id).values_list("slug", flat=True)
    if cluster_id is not None and slug:
        return views_meta.health_check(request, cluster=slug[0], which=which)
    if which == "livez":
        return HttpResponse("ok", content_type="text/plain; charset=utf-8")
    return healthz(request)
