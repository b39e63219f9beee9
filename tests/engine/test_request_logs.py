"""Served requests reach the serving pod's log: the page's "send traffic" and
`kubectl exec -- curl`, read back with `kubectl logs` through the log subresource."""

from __future__ import annotations

import json
import re

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client
from rest_framework.test import APIClient

from cluster import operations
from cluster.k8sapi import auth
from cluster.k8sapi.exec_consumer import ERROR, PROTOCOL, STDOUT
from cluster.models import Component
from cluster.nodes import access_log
from config.asgi import application
from tests.engine.kit import DEPLOYMENT, POD, api, deployment, new_cluster, pods, scale

ACCESS = re.compile(
    r"^(?P<client>[\d.]+) - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "
    r'"GET / HTTP/1\.1" 200 615 "-" "(?P<agent>[^"]+)" "-"$'
)
CLIENT = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "client"},
    "spec": {
        "containers": [
            {"name": "curl", "image": "curlimages/curl", "command": ["sleep", "3600"]}
        ]
    },
}
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web"},
    "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
}


def _running_web():
    cluster = new_cluster()
    for obj in (deployment("web", 2), SERVICE, CLIENT):
        api(cluster).create(obj)
    operations.fast_forward(cluster, 60)
    return cluster


def _access_lines(cluster) -> dict[str, list[tuple[str, str]]]:
    """(client, user agent) of each access line in each web pod's log, as
    `kubectl logs` reads it."""
    token = auth.token_for(cluster, cluster.owner)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    out = {}
    for pod in pods(cluster, label="app=web"):
        name = pod["metadata"]["name"]
        response = client.get(
            f"/k8s/clusters/{cluster.slug}/api/v1/namespaces/default/pods/{name}/log"
        )
        assert response.status_code == 200, response.content
        found = [ACCESS.match(line) for line in response.content.decode().splitlines()]
        out[name] = [(m["client"], m["agent"]) for m in found if m]
    return out


def _client_ip(cluster) -> str:
    return api(cluster).get(POD, "default", "client")["status"]["podIP"]


@pytest.mark.django_db
def test_page_traffic_is_logged_on_the_pod_the_trace_says_served_it():
    cluster = _running_web()
    rest = APIClient()
    rest.force_authenticate(cluster.owner)

    response = rest.post(
        f"/api/clusters/{cluster.slug}/traffic/",
        {"kind": "Service", "name": "web", "source": "client", "count": 3},
        format="json",
    )

    assert response.status_code == 200, response.json()
    served = [t["pod"]["name"] for t in response.json()["requests"]]
    lines = _access_lines(cluster)
    client_ip = _client_ip(cluster)
    assert {name: len(found) for name, found in lines.items()} == {
        name: served.count(name) for name in lines
    }
    assert {line for found in lines.values() for line in found} == {
        (client_ip, access_log.PAGE_AGENT)
    }


@pytest.mark.django_db
def test_a_request_that_finds_no_endpoint_writes_nothing():
    cluster = _running_web()
    scale(cluster, DEPLOYMENT, "web", 0)
    operations.fast_forward(cluster, 40)
    rest = APIClient()
    rest.force_authenticate(cluster.owner)

    response = rest.post(
        f"/api/clusters/{cluster.slug}/traffic/",
        {"kind": "Service", "name": "web", "source": "client"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["requests"][0]["ok"] is False
    runtimes = Component.objects.filter(
        machine__cluster=cluster, kind="container-runtime"
    )
    assert not any(
        (m or {}).get("served") for m in runtimes.values_list("memory", flat=True)
    )


async def _exec(slug: str, token: str, command: list[str]) -> tuple[bytes, dict]:
    query = "&".join(f"command={part}" for part in command)
    comm = WebsocketCommunicator(
        application,
        f"/k8s/clusters/{slug}/api/v1/namespaces/default/pods/client/exec?{query}",
        headers=[(b"authorization", f"Bearer {token}".encode())],
        subprotocols=[PROTOCOL],
    )
    connected, _ = await comm.connect()
    assert connected
    stdout, status = b"", None
    while status is None:
        frame = await comm.receive_from(timeout=10)
        if frame[0] == STDOUT:
            stdout += frame[1:]
        elif frame[0] == ERROR:
            status = json.loads(frame[1:])
    await comm.disconnect()
    return stdout, status


@pytest.mark.django_db(transaction=True)
def test_exec_curl_is_logged_on_exactly_one_serving_pod_with_curl_s_agent():
    cluster = _running_web()

    token = auth.token_for(cluster, cluster.owner)
    command = ["curl", "-s", "http://web"]
    stdout, status = async_to_sync(_exec)(cluster.slug, token, command)

    assert status == {"metadata": {}, "status": "Success"}
    assert b"Welcome to nginx!" in stdout
    lines = _access_lines(cluster)
    assert sorted(len(found) for found in lines.values()) == [0, 1]
    [line] = [line for found in lines.values() for line in found]
    assert line == (_client_ip(cluster), "curl/8.11.1")


@pytest.mark.django_db
def test_a_load_generator_s_requests_show_in_the_serving_pod_s_log():
    cluster = new_cluster()
    loop = "while sleep 0.5; do wget -q -O- http://web; done"
    generator = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "load"},
        "spec": {
            "containers": [
                {"name": "load", "image": "busybox:1.36", "command": ["sh", "-c", loop]}
            ]
        },
    }
    for obj in (deployment("web", 1), SERVICE):
        api(cluster).create(obj)
    operations.fast_forward(cluster, 30)
    api(cluster).create(generator)
    operations.fast_forward(cluster, 60)

    [found] = _access_lines(cluster).values()
    generator_ip = api(cluster).get(POD, "default", "load")["status"]["podIP"]
    assert found and set(found) == {(generator_ip, "Wget")}
