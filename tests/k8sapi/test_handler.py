"""The Kubernetes API's own ASGI handler: routing, answers, streams and connections."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.http import StreamingHttpResponse

from cluster.k8sapi import handler
from cluster.k8sapi.handler import KubernetesHandler, with_kubernetes_http


def http_scope(path: str, method: str = "GET", headers=()) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in headers],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 6443),
    }


async def _call(app, scope, body=b"", disconnect_after: float | None = None):
    """Run `app` once; returns (status, headers, body chunks)."""
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive():
        if messages:
            return messages.pop(0)
        if disconnect_after is None:
            await asyncio.Event().wait()  # the client stays
        await asyncio.sleep(disconnect_after)
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), timeout=20)
    start = next(m for m in sent if m["type"] == "http.response.start")
    chunks = [m.get("body", b"") for m in sent if m["type"] == "http.response.body"]
    return start["status"], dict(start["headers"]), chunks


def call(app, scope, **kwargs):
    return async_to_sync(_call)(app, scope, **kwargs)


@pytest.fixture
def app():
    async def site(scope, receive, send):
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"site"})

    return with_kubernetes_http(site, KubernetesHandler(threads=2))


@pytest.mark.django_db(transaction=True)
def test_api_requests_are_answered_without_the_sites_middleware(app, lab):
    status, headers, chunks = call(app, http_scope(f"/k8s/clusters/{lab.slug}/version"))
    assert status == 200
    assert json.loads(b"".join(chunks))["gitVersion"] == "v1.32.4"
    assert headers[b"Cache-Control"] == b"no-cache, private"
    # Session, CSRF and clickjacking middleware leave no trace on API answers.
    assert b"X-Frame-Options" not in headers and b"Set-Cookie" not in headers


def test_other_paths_go_to_the_site(app):
    status, _, chunks = call(app, http_scope("/clusters/"))
    assert (status, b"".join(chunks)) == (299, b"site")


@pytest.mark.django_db(transaction=True)
def test_a_path_no_api_route_matches_is_a_404_status(app):
    status, headers, chunks = call(app, http_scope("/k8s/clusters/not.a.slug/api"))
    assert status == 404
    assert headers[b"Content-Type"] == b"application/json"
    body = json.loads(b"".join(chunks))
    assert (body["kind"], body["reason"]) == ("Status", "NotFound")


@pytest.mark.django_db(transaction=True)
def test_an_unauthenticated_request_is_a_401_status(app, lab):
    status, _, chunks = call(app, http_scope(f"/k8s/clusters/{lab.slug}/api/v1/pods"))
    assert status == 401
    assert json.loads(b"".join(chunks))["reason"] == "Unauthorized"


def test_a_stream_stops_when_the_client_goes_away(monkeypatch):
    finished = []

    async def forever():
        try:
            yield b"first\n"
            while True:
                await asyncio.sleep(0.01)
        finally:
            finished.append(True)

    kubernetes = KubernetesHandler(threads=1)
    monkeypatch.setattr(
        kubernetes, "_respond", lambda request: StreamingHttpResponse(forever())
    )
    status, _, chunks = call(
        kubernetes, http_scope("/k8s/clusters/x/api/v1/pods"), disconnect_after=0.2
    )
    assert status == 200
    assert chunks[0] == b"first\n"
    assert finished == [True]


@pytest.mark.django_db(transaction=True)
def test_pool_threads_keep_a_healthy_connection_and_drop_a_broken_one():
    connection.ensure_connection()
    kept = connection.connection
    handler.drop_broken_connections()
    assert connection.connection is kept
    connection.set_autocommit(False)  # left outside autocommit by a failed request
    handler.drop_broken_connections()
    assert connection.connection is None


@pytest.mark.django_db(transaction=True)
def test_a_watch_sends_its_headers_before_any_event(app, lab, alice):
    """Clients wait for the headers before reading; kube-apiserver sends them at once."""
    from cluster.k8sapi import auth

    token = auth.token_for(lab, alice)
    path = f"/k8s/clusters/{lab.slug}/api/v1/namespaces/default/configmaps"
    sent: list[dict] = []

    async def run():
        scope = http_scope(path, headers=[("authorization", f"Bearer {token}")])
        scope["query_string"] = b"watch=true&resourceVersion=999999&timeoutSeconds=1"
        messages = [{"type": "http.request", "body": b""}]

        async def receive():
            if messages:
                return messages.pop(0)
            await asyncio.Event().wait()

        async def send(message):
            sent.append(message)

        await asyncio.wait_for(app(scope, receive, send), timeout=20)

    async_to_sync(run)()
    assert [m["type"] for m in sent[:2]] == [
        "http.response.start",
        "http.response.body",
    ]
    assert sent[0]["status"] == 200
    assert (sent[1]["body"], sent[1]["more_body"]) == (b"", True)
    assert sent[-1] == {"type": "http.response.body"}  # the watch timed out: the end


@pytest.mark.django_db(transaction=True)
def test_a_host_outside_allowed_hosts_is_a_400_status(app, lab, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    scope = http_scope(
        f"/k8s/clusters/{lab.slug}/version", headers=[("host", "evil.example")]
    )
    status, _, chunks = call(app, scope)
    body = json.loads(b"".join(chunks))
    assert (status, body["reason"]) == (400, "BadRequest")
    assert "evil.example" in body["message"]
