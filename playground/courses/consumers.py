"""The instructor's wall over a WebSocket: a nudge whenever a student's progress
changes (see `wall_live`). Only the class's instructors may connect."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from playground.consumers import CLOSE_FORBIDDEN
from playground.courses import access
from playground.courses.models import Course
from playground.courses.wall_live import group_name


def teaches_course(user, course_id: int) -> bool:
    course = Course.objects.filter(pk=course_id).first()
    return course is not None and access.is_instructor_of_course(user, course)


class WallConsumer(AsyncJsonWebsocketConsumer):
    """Forwards the class's nudges as `{"t": "changed"}`; the page re-reads the wall."""

    async def connect(self):
        course_id = self.scope["url_route"]["kwargs"]["course_id"]
        user = self.scope.get("user")
        if user is None or not await database_sync_to_async(teaches_course)(
            user, course_id
        ):
            await self.close(code=CLOSE_FORBIDDEN)  # before accept: the handshake fails
            return
        self.group = group_name(course_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def wall_changed(self, event):
        await self.send_json({"t": "changed"})
