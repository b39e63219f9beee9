"""root-ca-cert-publisher: `kube-root-ca.crt` in every active namespace, kept true."""

import random

import pytest

from cluster.actions import Create, Update
from cluster.controllers import rootcacertpublisher as pub

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
DESCRIPTION = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using "
    "internal endpoints such as the internal service IP or kubernetes.default.svc. "
    "No other usage is guaranteed across distributions of Kubernetes clusters."
)


def ns(name, phase="Active"):
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name},
        "status": {"phase": phase},
    }


def published(namespace="default", data=None, annotations=None):
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "kube-root-ca.crt",
            "namespace": namespace,
            "resourceVersion": "4",
            "annotations": (
                {"kubernetes.io/description": DESCRIPTION}
                if annotations is None
                else annotations
            ),
        },
        "data": {"ca.crt": PEM} if data is None else data,
    }


def test_every_active_namespace_gets_the_ca_configmap():
    """Each active namespace gets it; a terminating one does not."""
    view = {
        "Namespace": [ns("default"), ns("gone", "Terminating"), ns("team")],
        "ConfigMap": [],
        "RootCA": [{"ca.crt": PEM}],
    }
    assert pub.sync(view, 0, random.Random(1)) == [
        Create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "kube-root-ca.crt",
                    "namespace": namespace,
                    "annotations": {"kubernetes.io/description": DESCRIPTION},
                },
                "data": {"ca.crt": PEM},
            }
        )
        for namespace in ("default", "team")
    ]


def _fixed(current: dict) -> dict:
    meta = current["metadata"]
    return {
        **current,
        "metadata": {
            **meta,
            "annotations": {
                **meta["annotations"],
                "kubernetes.io/description": DESCRIPTION,
            },
        },
        "data": {"ca.crt": PEM},
    }


@pytest.mark.parametrize(
    ("current", "rewritten"),
    [
        pytest.param(published(), False, id="as-published-is-kept"),
        pytest.param(
            published(annotations={"kubernetes.io/description": "mine"}),
            False,
            id="a-reworded-description-is-kept",
        ),
        pytest.param(published(data={"ca.crt": "tampered"}), True, id="data-edited"),
        pytest.param(
            published(data={"ca.crt": PEM, "extra": "x"}), True, id="key-added"
        ),
        pytest.param(
            published(annotations={"team": "a"}), True, id="description-removed"
        ),
    ],
)
def test_an_edited_ca_configmap_is_put_back(current, rewritten):
    """Data must be exactly the CA bundle and the description must be there; the
    rest of the object, other annotations included, is kept."""
    view = {
        "Namespace": [ns("default")],
        "ConfigMap": [current],
        "RootCA": [{"ca.crt": PEM}],
    }
    expected = [Update(_fixed(current))] if rewritten else []
    assert pub.sync(view, 0, random.Random(1)) == expected


def test_without_a_ca_bundle_nothing_is_published():
    view = {"Namespace": [ns("default")], "ConfigMap": []}
    assert pub.sync(view, 0, random.Random(1)) == []
