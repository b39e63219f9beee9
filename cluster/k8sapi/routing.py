"""WebSocket routes of the Kubernetes API (exec), in front of the site's own routes.

kubectl sends no Origin header and authenticates with a bearer token, so these routes
skip the browser origin check that guards the site's cookie-authenticated sockets.
The API's plain HTTP requests have their own handler (`handler.with_kubernetes_http`).
"""

from channels.routing import URLRouter
from django.urls import path

from cluster.k8sapi.exec_consumer import ExecConsumer

PREFIX = "/k8s/clusters/"

websocket_urlpatterns = [
    path(
        "k8s/clusters/<slug:cluster>/api/v1/namespaces/<str:namespace>/pods/<str:pod>/exec",
        ExecConsumer.as_asgi(),
    ),
]


def with_kubernetes_websockets(site_app):
    """An ASGI app sending `/k8s/clusters/...` sockets to exec, the rest to `site_app`."""
    kubernetes = URLRouter(websocket_urlpatterns)

    async def app(scope, receive, send):
        if scope.get("path", "").startswith(PREFIX):
            return await kubernetes(scope, receive, send)
        return await site_app(scope, receive, send)

    return app
