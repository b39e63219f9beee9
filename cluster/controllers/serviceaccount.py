"""ServiceAccount controller and root CA publisher: per-namespace defaults.

`serviceaccount-controller` creates the `default` ServiceAccount in every active
namespace; `root-ca-cert-publisher` keeps the `kube-root-ca.crt` ConfigMap (key
`ca.crt`) in every active namespace. The CA bundle reaches this pure module through
the view: the pseudo-kind `RootCA` holds one dict `{"ca.crt": "<PEM>"}`; without it
no ConfigMap is published (there is nothing true to publish).
"""

from __future__ import annotations

import random

from cluster.actions import Action, Create, Update
from cluster.controllers.meta import objects
from cluster.objects import pods as podutil

COMPONENT = "serviceaccount-controller"
CA_COMPONENT = "root-ca-cert-publisher"
DEFAULT_SERVICE_ACCOUNT = "default"
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"
ROOT_CA_KEY = "ca.crt"
CA_PSEUDO_KIND = "RootCA"
DESCRIPTION_ANNOTATION = "kubernetes.io/description"
DESCRIPTION = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using "
    "internal endpoints such as the internal service IP or kubernetes.default.svc. "
    "No other usage is guaranteed across distributions of Kubernetes clusters."
)


def sync(view: dict, now: float, rng: random.Random) -> list[Action]:
    """Ensure the default ServiceAccount and the root CA ConfigMap in each namespace."""
    accounts = {
        (podutil.namespace(a), podutil.name(a)) for a in objects(view, "ServiceAccount")
    }
    configmaps = {
        (podutil.namespace(c), podutil.name(c)): c for c in objects(view, "ConfigMap")
    }
    ca = ((view.get(CA_PSEUDO_KIND) or [{}])[0] or {}).get(ROOT_CA_KEY)
    actions: list[Action] = []
    for ns in sorted(objects(view, "Namespace"), key=podutil.name):
        if not is_active(ns):
            continue
        name = podutil.name(ns)
        if (name, DEFAULT_SERVICE_ACCOUNT) not in accounts:
            actions.append(Create(default_service_account(name)))
        if ca is not None:
            actions += reconcile_root_ca(
                name, configmaps.get((name, ROOT_CA_CONFIGMAP)), ca
            )
    return actions


def next_wake(view: dict, now: float) -> float | None:
    """Both controllers follow the view only; nothing is timed."""
    return None


def is_active(ns: dict) -> bool:
    """A namespace accepts new content unless it is being deleted."""
    phase = (ns.get("status") or {}).get("phase") or "Active"
    return phase == "Active" and not podutil.is_terminating(ns)


def default_service_account(namespace: str) -> dict:
    """The `default` ServiceAccount of a namespace."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": DEFAULT_SERVICE_ACCOUNT, "namespace": namespace},
    }


def root_ca_configmap(namespace: str, ca: str) -> dict:
    """The `kube-root-ca.crt` ConfigMap of a namespace."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": ROOT_CA_CONFIGMAP,
            "namespace": namespace,
            "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION},
        },
        "data": {ROOT_CA_KEY: ca},
    }


def reconcile_root_ca(namespace: str, current: dict | None, ca: str) -> list[Action]:
    """Create the CA ConfigMap, or put back its data and annotation when they drifted."""
    want = root_ca_configmap(namespace, ca)
    if current is None:
        return [Create(want)]
    meta = current.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    if (
        current.get("data") == want["data"]
        and annotations.get(DESCRIPTION_ANNOTATION) == DESCRIPTION
    ):
        return []
    fixed_meta = {
        **meta,
        "annotations": {**annotations, DESCRIPTION_ANNOTATION: DESCRIPTION},
    }
    return [Update({**current, "metadata": fixed_meta, "data": want["data"]})]
