"""WebSocket routes."""

from django.urls import path

from playground.consumers import ClusterConsumer

websocket_urlpatterns: list = [
    path("ws/clusters/<slug:slug>/", ClusterConsumer.as_asgi()),
]
