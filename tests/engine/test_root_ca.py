"""Every namespace holds `kube-root-ca.crt` with the CA kubectl is given, and the
root CA publisher puts it back when it is deleted or edited."""

from __future__ import annotations

import base64

import pytest

from cluster import kinds
from cluster.controllers import rootcacertpublisher as pub
from cluster.k8sapi import kubeconfig
from tests.engine.kit import api, paused_cluster, settle

pytestmark = pytest.mark.django_db
CONFIGMAP = kinds.by_kind("ConfigMap")
NAMESPACE = kinds.by_kind("Namespace")


def _kubectl_ca() -> str:
    return base64.b64decode(kubeconfig.ca_data()).decode()


def _ca_configmap(cluster, namespace: str) -> dict:
    return api(cluster).get(CONFIGMAP, namespace, "kube-root-ca.crt")


def test_every_namespace_and_a_new_one_get_the_kubeconfig_ca():
    cluster = settle(paused_cluster())
    for namespace in ("default", "kube-system", "kube-public", "kube-node-lease"):
        cm = _ca_configmap(cluster, namespace)
        assert cm["data"] == {"ca.crt": _kubectl_ca()}
        assert cm["metadata"]["annotations"] == {
            "kubernetes.io/description": pub.DESCRIPTION
        }
    api(cluster).create(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
    )
    cluster = settle(cluster)
    assert _ca_configmap(cluster, "team")["data"]["ca.crt"].startswith(
        "-----BEGIN CERTIFICATE-----"
    )


def test_a_deleted_or_edited_ca_configmap_comes_back():
    cluster = settle(paused_cluster())
    api(cluster).delete(CONFIGMAP, "default", "kube-root-ca.crt")
    cluster = settle(cluster)
    assert _ca_configmap(cluster, "default")["data"] == {"ca.crt": _kubectl_ca()}

    api(cluster).merge_patch(
        CONFIGMAP, "default", "kube-root-ca.crt", {"data": {"ca.crt": "mine"}}
    )
    cluster = settle(cluster)
    assert _ca_configmap(cluster, "default")["data"] == {"ca.crt": _kubectl_ca()}
