"""kube-apiserver's /livez, /readyz and /healthz, per cluster and at the root."""

from __future__ import annotations

import json

import pytest

from cluster.apiserver import errors
from cluster.apiserver.plane import PlaneState
from cluster.k8sapi import auth, health

UP = PlaneState(apiservers_up=1, etcd_members=3, etcd_up=2)
NO_QUORUM = PlaneState(apiservers_up=1, etcd_members=3, etcd_up=1)
NO_APISERVER = PlaneState(apiservers_up=0, etcd_members=1, etcd_up=1)


@pytest.mark.parametrize("which", ["livez", "readyz", "healthz"])
def test_a_healthy_plane_answers_ok(which):
    response = health.answer(which, UP, verbose=False)
    assert (response.status_code, response.content) == (200, b"ok")


def test_verbose_lists_every_check_and_passes():
    lines = health.answer("readyz", UP, verbose=True).content.decode().splitlines()
    assert lines[:4] == [
        "[+]ping ok",
        "[+]log ok",
        "[+]etcd ok",
        "[+]etcd-readiness ok",
    ]
    assert lines[-1] == "readyz check passed"
    livez = health.answer("livez", UP, verbose=True).content.decode()
    assert "etcd-readiness" not in livez and livez.endswith("livez check passed\n")


@pytest.mark.parametrize("verbose", [False, True])
def test_lost_quorum_fails_the_etcd_checks_with_the_list(verbose):
    response = health.answer("readyz", NO_QUORUM, verbose=verbose)
    body = response.content.decode()
    assert response.status_code == 500
    assert "[-]etcd failed: reason withheld" in body
    assert "[-]etcd-readiness failed: reason withheld" in body
    assert "[+]ping ok" in body
    assert body.endswith("readyz check failed")


def test_an_excluded_check_is_reported_as_excluded():
    body = health.answer("livez", NO_QUORUM, True, ["etcd"]).content.decode()
    assert "[+]etcd excluded: ok" in body and body.endswith("livez check passed\n")


def test_no_apiserver_answers_nothing_but_unavailable():
    with pytest.raises(errors.ApiError) as caught:
        health.answer("livez", NO_APISERVER, verbose=False)
    assert caught.value.code == 503


def test_the_cluster_prefixed_endpoint_needs_no_token(client, lab):
    response = client.get(f"/k8s/clusters/{lab.slug}/readyz")
    assert (response.status_code, response.content) == (200, b"ok")
    verbose = client.get(f"/k8s/clusters/{lab.slug}/livez?verbose")
    assert verbose.content.decode().endswith("livez check passed\n")


def test_at_the_root_a_token_picks_its_cluster(client, lab, alice):
    token = auth.token_for(lab, alice)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for which in ("livez", "readyz", "healthz"):
        response = client.get(f"/{which}", **headers)
        assert (response.status_code, response.content) == (200, b"ok"), which


def test_at_the_root_without_a_token_the_site_answers(client, lab):
    assert client.get("/livez").content == b"ok"
    site = client.get("/healthz", HTTP_AUTHORIZATION="Bearer forged.1.2.3")
    assert "checks" in json.loads(site.content)
