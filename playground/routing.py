"""WebSocket routes."""

from django.urls import path

from playground.consumers import ClusterConsumer
from playground.courses.consumers import WallConsumer

websocket_urlpatterns: list = [
    path("ws/clusters/<slug:slug>/", ClusterConsumer.as_asgi()),
    path("ws/courses/<int:course_id>/wall/", WallConsumer.as_asgi()),
]
