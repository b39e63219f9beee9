"""ServiceAccount controller and root CA publisher."""

import random

from cluster.actions import Create, Update
from cluster.controllers import serviceaccount as sa

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def ns(name, phase="Active"):
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name},
        "status": {"phase": phase},
    }


def test_default_account_and_root_ca_in_every_active_namespace():
    """Active namespaces get `default` and `kube-root-ca.crt`; terminating ones get nothing."""
    view = {
        "Namespace": [ns("default"), ns("gone", "Terminating")],
        "ServiceAccount": [],
        "ConfigMap": [],
        "RootCA": [{"ca.crt": PEM}],
    }
    assert sa.sync(view, 0, random.Random(1)) == [
        Create(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": "default", "namespace": "default"},
            }
        ),
        Create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "kube-root-ca.crt",
                    "namespace": "default",
                    "annotations": {"kubernetes.io/description": sa.DESCRIPTION},
                },
                "data": {"ca.crt": PEM},
            }
        ),
    ]


def test_existing_objects_are_kept_and_drifted_ca_restored():
    """An edited CA ConfigMap is put back; a present ServiceAccount is not recreated."""
    edited = sa.root_ca_configmap("default", "tampered")
    edited["metadata"]["resourceVersion"] = "4"
    view = {
        "Namespace": [ns("default")],
        "ServiceAccount": [
            {
                "kind": "ServiceAccount",
                "metadata": {"name": "default", "namespace": "default"},
            }
        ],
        "ConfigMap": [edited],
        "RootCA": [{"ca.crt": PEM}],
    }
    fixed = sa.root_ca_configmap("default", PEM)
    fixed["metadata"]["resourceVersion"] = "4"
    assert sa.sync(view, 0, random.Random(1)) == [Update(fixed)]
