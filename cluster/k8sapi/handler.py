"""The Kubernetes API's own ASGI handler: one hop to a worker thread per request.

Django's ASGI handler gives every request a fresh thread and sends it through the
site's middleware (sessions, CSRF, locale, messages), each step a hop between the event
loop and a thread. kubectl's requests need none of that: they carry a bearer token and
answer in JSON. Here a request is read on the event loop, its view (resolved from the
same URLconf) runs once in a pooled thread, and the answer is written back; streamed
answers (watch, `logs -f`) are written from the event loop as they come and stop
when the client goes away. Measured in `docs/performance.md`.
"""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor

from django.core.exceptions import DisallowedHost, RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import connections
from django.urls import Resolver404, get_resolver, set_script_prefix

from cluster.apiserver import errors
from cluster.k8sapi.responses import error_response, not_found_path

# Short views wait on the database more than they compute, so a few threads per
# process keep the CPU busy; each holds its own database connection.
THREADS = 4


def drop_broken_connections() -> None:
    """Keep this thread's database connections between requests unless they failed.

    Opening a connection (with SQLite's pragmas) costs more than most API requests, and
    a pool thread lives as long as its process, so its connection is reused even when
    CONN_MAX_AGE would close it after each request. One left outside autocommit, or
    that raised and no longer answers, is closed.
    """
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        if conn.get_autocommit() != conn.settings_dict["AUTOCOMMIT"]:
            conn.close()
        elif conn.errors_occurred:
            if conn.is_usable():
                conn.errors_occurred = False
            else:
                conn.close()


def is_kubernetes_view(func) -> bool:
    return func.__module__.startswith("cluster.k8sapi.")


class KubernetesHandler(ASGIHandler):
    """Serves `/k8s/clusters/<cluster>/...` HTTP requests without site middleware."""

    def __init__(self, threads: int = THREADS):
        # No middleware chain: ASGIHandler.__init__ would build the site's.
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="k8sapi")

    async def __call__(self, scope, receive, send):
        try:
            body = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            request, refused = self.create_request(scope, body)
            if request is None:
                await self.send_response(refused, send)
                return
            loop = asyncio.get_running_loop()
            response = await loop.run_in_executor(self._pool, self._respond, request)
            if response.streaming:
                await self._stream(response, receive, send)
            else:
                await self.send_response(response, send)
        finally:
            body.close()

    def _respond(self, request):
        """Resolve and run the view, in a pool thread, with a usable connection."""
        drop_broken_connections()
        set_script_prefix(get_script_prefix(request.scope))
        try:
            try:
                request.get_host()  # ALLOWED_HOSTS, as the site's middleware checks it
            except DisallowedHost as exc:
                return error_response(errors.bad_request(str(exc)))
            try:
                match = get_resolver().resolve(request.path_info)
            except Resolver404:
                match = None
            if match is None or not is_kubernetes_view(match.func):
                return error_response(not_found_path())
            return match.func(request, *match.args, **match.kwargs)
        finally:
            drop_broken_connections()

    async def _stream(self, response, receive, send) -> None:
        """Send a streamed answer until it ends or the client disconnects."""
        sending = asyncio.create_task(self.send_response(response, send))
        hangup = asyncio.create_task(self.listen_for_disconnect(receive))
        await asyncio.wait((sending, hangup), return_when=asyncio.FIRST_COMPLETED)
        for task in (hangup, sending):
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RequestAborted):
                await task


PREFIX = "/k8s/clusters/"


def with_kubernetes_http(site_app, handler: KubernetesHandler | None = None):
    """An ASGI app sending `/k8s/clusters/...` HTTP requests to the Kubernetes API's
    handler and everything else to `site_app`."""
    kubernetes = handler or KubernetesHandler()

    async def app(scope, receive, send):
        if scope["type"] == "http" and scope.get("path", "").startswith(PREFIX):
            return await kubernetes(scope, receive, send)
        return await site_app(scope, receive, send)

    return app
