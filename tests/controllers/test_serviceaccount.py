"""ServiceAccount controller: a `default` account in every active namespace."""

import random

from cluster.actions import Create
from cluster.controllers import serviceaccount as sa


def ns(name, phase="Active"):
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name},
        "status": {"phase": phase},
    }


def test_default_account_in_every_active_namespace():
    """Active namespaces get `default`; terminating ones get nothing."""
    view = {
        "Namespace": [ns("default"), ns("gone", "Terminating")],
        "ServiceAccount": [],
    }
    assert sa.sync(view, 0, random.Random(1)) == [
        Create(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": "default", "namespace": "default"},
            }
        ),
    ]


def test_a_present_account_is_not_recreated():
    view = {
        "Namespace": [ns("default")],
        "ServiceAccount": [
            {
                "kind": "ServiceAccount",
                "metadata": {"name": "default", "namespace": "default"},
            }
        ],
    }
    assert sa.sync(view, 0, random.Random(1)) == []
