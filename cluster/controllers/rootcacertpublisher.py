"""Root CA publisher (`root-ca-cert-publisher`): `kube-root-ca.crt` in every namespace.

Each active namespace holds a ConfigMap `kube-root-ca.crt` whose key `ca.crt` is the
CA bundle that verifies the API server, so pods can trust `kubernetes.default.svc`.
A missing one is created, an edited one put back. The bundle reaches this pure module
through the view: the pseudo-kind `RootCA` holds one dict `{"ca.crt": "<PEM>"}`;
without it nothing is published, as there is nothing true to publish.
"""

from __future__ import annotations

import random

from cluster.actions import Action, Create, Update
from cluster.controllers.meta import objects
from cluster.objects import pods as podutil

COMPONENT = "root-ca-cert-publisher"
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
    """Ensure the root CA ConfigMap, as published, in each active namespace."""
    ca = ((view.get(CA_PSEUDO_KIND) or [{}])[0] or {}).get(ROOT_CA_KEY)
    if ca is None:
        return []
    published = {
        podutil.namespace(c): c
        for c in objects(view, "ConfigMap")
        if podutil.name(c) == ROOT_CA_CONFIGMAP
    }
    actions: list[Action] = []
    for ns in sorted(objects(view, "Namespace"), key=podutil.name):
        if is_active(ns):
            name = podutil.name(ns)
            actions += reconcile(name, published.get(name), ca)
    return actions


def next_wake(view: dict, now: float) -> float | None:
    """It follows namespaces and ConfigMaps only; nothing is timed."""
    return None


def is_active(ns: dict) -> bool:
    """A namespace accepts new content unless it is being deleted."""
    phase = (ns.get("status") or {}).get("phase") or "Active"
    return phase == "Active" and not podutil.is_terminating(ns)


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


def reconcile(namespace: str, current: dict | None, ca: str) -> list[Action]:
    """Create the ConfigMap, or put back its data and description when the data
    drifted or the description is gone (any other edit is the user's to keep)."""
    want = root_ca_configmap(namespace, ca)
    if current is None:
        return [Create(want)]
    meta = current.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    if current.get("data") == want["data"] and annotations.get(DESCRIPTION_ANNOTATION):
        return []
    fixed_meta = {
        **meta,
        "annotations": {**annotations, DESCRIPTION_ANNOTATION: DESCRIPTION},
    }
    return [Update({**current, "metadata": fixed_meta, "data": want["data"]})]
