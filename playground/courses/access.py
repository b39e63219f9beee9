"""Who may see what: instructors see their students' clusters and progress read-only,
and a student's clusters become read-only once their classes have ended.

`is_instructor_of` is the KUBELAB_INSTRUCTOR_CHECK and `class_ended_reason` the
KUBELAB_READ_ONLY_CHECK that the simulation calls.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from playground.courses.models import Course, LabProgress, Membership


def instructed_courses(user):
    if not user.is_authenticated:
        return Course.objects.none()
    return Course.objects.filter(
        memberships__user=user, memberships__role=Membership.INSTRUCTOR
    )


def teaches(instructor, student) -> bool:
    """Whether `instructor` teaches a class `student` is a student of."""
    if not instructor.is_authenticated or student is None:
        return False
    return Membership.objects.filter(
        user=student,
        role=Membership.STUDENT,
        course__in=instructed_courses(instructor),
    ).exists()


def is_instructor_of(user, cluster) -> bool:
    """An instructor of a class whose student owns `cluster`."""
    return teaches(user, cluster.owner)


def is_instructor_of_course(user, course: Course) -> bool:
    return (
        user.is_authenticated
        and Membership.objects.filter(
            user=user, course=course, role=Membership.INSTRUCTOR
        ).exists()
    )


def can_see_progress(user, progress: LabProgress) -> bool:
    return progress.user_id == user.pk or teaches(user, progress.user)


def class_ended_reason(owner) -> str:
    """Why `owner`'s clusters are read-only: every class they are a student of has
    ended (the last to end is named). "" for anyone still in a running class, and for
    users who are in no class at all."""
    ends = list(
        Membership.objects.filter(user=owner, role=Membership.STUDENT).values_list(
            "course__name", "course__ends_at"
        )
    )
    now = timezone.now()
    if not ends or any(end is None or end > now for _name, end in ends):
        return ""
    name, end = max(ends, key=lambda row: row[1])
    return _('the class "%(name)s" ended on %(date)s; its clusters are read-only') % {
        "name": name,
        "date": f"{end:%Y-%m-%d %H:%M} UTC",
    }
