"""Real kubectl sees what kube-controller-manager keeps in each namespace: the
`kube-root-ca.crt` ConfigMap and ResourceQuota usage (`kubectl get quota`)."""

from __future__ import annotations

import re

import pytest

from . import live

pytestmark = pytest.mark.e2e


def test_a_new_namespace_gets_kube_root_ca_crt(kubectl):
    kubectl("create", "namespace", "ca-check")

    def listed():
        out = kubectl("get", "cm", "-n", "ca-check").stdout
        return re.search(r"^kube-root-ca\.crt +1 +\S+$", out, re.M)

    assert live.eventually(listed), kubectl("get", "cm", "-n", "ca-check").stdout


def test_get_quota_shows_use_against_hard(kubectl):
    kubectl("create", "namespace", "quota-check")  # its own, for an exact count
    created = kubectl("create", "quota", "q", "--hard=pods=2", "-n", "quota-check")
    assert created.stdout == "resourcequota/q created\n"

    def counted():
        out = kubectl("get", "quota", "-n", "quota-check").stdout
        return re.search(r"^q +\S+ +pods: 0/2 *$", out, re.M) and out

    out = live.eventually(counted)
    assert out, kubectl("get", "quota", "-n", "quota-check").stdout
    assert re.match(r"^NAME +AGE +REQUEST +LIMIT$", out.splitlines()[0])
