"""Who may see what: instructors see their students' clusters and progress read-only.

`is_instructor_of` is the KUBELAB_INSTRUCTOR_CHECK the simulation calls.
"""

from __future__ import annotations

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
