"""Bearer tokens for the Kubernetes API: one per user and cluster, rotatable, never stored.

A token reads `kl1.<cluster id>.<user id>.<hmac>`; the HMAC covers the cluster, the user
and the generation kept in `ApiToken`, so bumping the generation revokes every old token.
The ids only say which HMAC to recompute; the comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db.models import F

from cluster.apiserver import errors
from cluster.k8sapi import lookups
from cluster.models import ApiToken, Cluster

PREFIX = "kl1"


def _signature(cluster_id: int, user_id: int, generation: int) -> str:
    message = f"{cluster_id}:{user_id}:{generation}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _generation(cluster_id: int, user_id: int) -> int:
    row, _ = ApiToken.objects.get_or_create(cluster_id=cluster_id, user_id=user_id)
    return row.generation


def token_for(cluster: Cluster, user) -> str:
    """The current bearer token of `user` on `cluster`."""
    generation = _generation(cluster.pk, user.pk)
    return (
        f"{PREFIX}.{cluster.pk}.{user.pk}.{_signature(cluster.pk, user.pk, generation)}"
    )


def rotate(cluster: Cluster, user) -> str:
    """Invalidate the user's token on `cluster` and return the new one."""
    _generation(cluster.pk, user.pk)
    ApiToken.objects.filter(cluster=cluster, user=user).update(
        generation=F("generation") + 1
    )
    return token_for(cluster, user)


def user_for_token(token: str):
    """The user a token belongs to, or None when it is malformed, stale or forged."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != PREFIX:
        return None
    try:
        cluster_id, user_id = int(parts[1]), int(parts[2])
    except ValueError:
        return None
    if not (0 < cluster_id < 2**63 and 0 < user_id < 2**63):  # ids are 64-bit
        return None
    user = lookups.active_user_with_token(cluster_id, user_id)
    if user is None:
        return None
    expected = _signature(cluster_id, user_id, user.token_generation)
    if not hmac.compare_digest(expected.encode(), parts[3].encode()):
        return None
    return user


def cluster_id_of(token: str) -> int | None:
    """The id of the cluster a valid token was issued for, or None."""
    if not token or user_for_token(token) is None:
        return None
    return int(token.split(".")[1])


def bearer_token(request) -> str:
    """The token of the request's `Authorization: Bearer` header, or ""."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def authenticate(request):
    """The user behind the request's `Authorization: Bearer` header; 401 otherwise."""
    token = bearer_token(request)
    user = user_for_token(token) if token else None
    if user is None:
        raise errors.unauthorized()
    return user
