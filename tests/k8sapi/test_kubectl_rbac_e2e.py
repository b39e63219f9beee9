"""Real kubectl and RBAC: a ServiceAccount's Role, `auth can-i --as`, `get --as`, and
the built-in `view` ClusterRole filled by aggregation."""

from __future__ import annotations

import pytest

from . import live

pytestmark = pytest.mark.e2e

READER = "system:serviceaccount:default:reader"


def test_a_role_bound_to_a_service_account_decides_what_it_may_do(kubectl):
    kubectl("create", "serviceaccount", "reader")
    kubectl("create", "role", "pod-reader", "--verb=get,list", "--resource=pods")
    kubectl(
        "create",
        "rolebinding",
        "read-pods",
        "--role=pod-reader",
        "--serviceaccount=default:reader",
    )
    can_list = kubectl("auth", "can-i", "list", "pods", f"--as={READER}")
    assert can_list.stdout == "yes\n"
    can_delete = kubectl(
        "auth", "can-i", "delete", "pods", f"--as={READER}", check=False
    )
    assert (can_delete.stdout, can_delete.returncode) == ("no\n", 1)

    assert kubectl("get", "pods", f"--as={READER}").returncode == 0
    secrets = kubectl("get", "secrets", f"--as={READER}", check=False)
    assert secrets.returncode == 1
    assert (
        "Error from server (Forbidden): secrets is forbidden: User "
        f'"{READER}" cannot list resource "secrets" in API group "" in the '
        'namespace "default"'
    ) in secrets.stderr

    whoami = kubectl("auth", "whoami", f"--as={READER}", "-o", "jsonpath={.status}")
    assert READER in whoami.stdout
    assert "system:serviceaccounts:default" in whoami.stdout


def test_the_view_cluster_role_covers_deployments_through_aggregation(kubectl):
    kubectl("create", "serviceaccount", "viewer")
    kubectl(
        "create",
        "rolebinding",
        "x",
        "--clusterrole=view",
        "--serviceaccount=default:viewer",
    )
    viewer = "system:serviceaccount:default:viewer"

    def allowed():
        done = kubectl(
            "auth", "can-i", "list", "deployments", f"--as={viewer}", check=False
        )
        return done.stdout == "yes\n"

    assert live.eventually(allowed, timeout=30)
    denied = kubectl("auth", "can-i", "get", "secrets", f"--as={viewer}", check=False)
    assert denied.stdout == "no\n"
