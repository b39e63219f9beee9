"""ServiceAccount controller (`serviceaccount-controller`): the `default`
ServiceAccount in every active namespace. (The `kube-root-ca.crt` ConfigMap beside it
is `rootcacertpublisher`'s.)
"""

from __future__ import annotations

import random

from cluster.actions import Action, Create
from cluster.controllers.meta import objects
from cluster.controllers.rootcacertpublisher import is_active
from cluster.objects import pods as podutil

COMPONENT = "serviceaccount-controller"
DEFAULT_SERVICE_ACCOUNT = "default"


def sync(view: dict, now: float, rng: random.Random) -> list[Action]:
    """Ensure the default ServiceAccount in each active namespace."""
    accounts = {
        (podutil.namespace(a), podutil.name(a)) for a in objects(view, "ServiceAccount")
    }
    return [
        Create(default_service_account(podutil.name(ns)))
        for ns in sorted(objects(view, "Namespace"), key=podutil.name)
        if is_active(ns) and (podutil.name(ns), DEFAULT_SERVICE_ACCOUNT) not in accounts
    ]


def next_wake(view: dict, now: float) -> float | None:
    """It follows namespaces and ServiceAccounts only; nothing is timed."""
    return None


def default_service_account(namespace: str) -> dict:
    """The `default` ServiceAccount of a namespace."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": DEFAULT_SERVICE_ACCOUNT, "namespace": namespace},
    }
