"""Live walls: when a student's recorded progress changes (they join a class, start a
lab, a step is done), nudge the walls of their classes.

A nudge carries nothing but "this class changed"; the wall re-reads its REST API,
which checks access again, so a nudge can be lost or merged without harm (the wall
also polls slowly as a fallback).
"""

from __future__ import annotations

import logging
from typing import TypedDict

from django.db import transaction

from cluster import layer_sender
from playground.courses.models import Membership

log = logging.getLogger(__name__)


class WallChanged(TypedDict):
    type: str  # "wall.changed": handled by WallConsumer.wall_changed()


def group_name(course_id: int) -> str:
    return f"course-wall-{course_id}"


def _keep_one(queued: WallChanged, new: WallChanged) -> WallChanged:
    return queued  # nudges carry no data: one stands for any number


def progress_changed(student_id: int) -> None:
    """Nudge the wall of every class the user is a student of, once the current
    transaction commits (so that the wall's re-read sees the change)."""
    course_ids = list(
        Membership.objects.filter(
            user_id=student_id, role=Membership.STUDENT
        ).values_list("course_id", flat=True)
    )
    if course_ids:
        transaction.on_commit(lambda: _send(course_ids))


def _send(course_ids: list[int]) -> None:
    message: WallChanged = {"type": "wall.changed"}
    for course_id in course_ids:
        try:
            layer_sender.post(group_name(course_id), message, _keep_one)
        except Exception as exc:  # a broken layer must not fail a committed write
            log.warning("could not nudge the wall of class %s: %s", course_id, exc)
