"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

from config import http_reasons

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
http_reasons.fill_missing()
# The lab serves its own static files (ES modules, CSS): no front-end build, no proxy.
django_asgi_app = ASGIStaticFilesHandler(get_asgi_application())

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from cluster.k8sapi.handler import with_kubernetes_http  # noqa: E402
from cluster.k8sapi.routing import with_kubernetes_websockets  # noqa: E402
from playground.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": with_kubernetes_http(django_asgi_app),
        "websocket": with_kubernetes_websockets(
            AllowedHostsOriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            )
        ),
    }
)
