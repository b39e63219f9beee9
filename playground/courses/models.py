"""Classes (courses), who is in them and in which role, and each student's lab progress."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

# No 0/O or 1/I/L: a code is read aloud in a classroom.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


class Course(models.Model):
    name = models.CharField(max_length=120)
    join_code = models.CharField(max_length=16, unique=True, default=new_join_code)
    # After this, students can no longer join and the class is over.
    ends_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    @property
    def is_over(self) -> bool:
        return self.ends_at is not None and self.ends_at <= timezone.now()


class Membership(models.Model):
    STUDENT, INSTRUCTOR = "student", "instructor"
    ROLES = [(STUDENT, "Student"), (INSTRUCTOR, "Instructor")]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=ROLES, default=STUDENT)
    joined = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="one_membership")
        ]


class LabProgress(models.Model):
    """One student's run of one lab: the cluster it runs on and the steps done."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_runs"
    )
    lab_slug = models.SlugField(max_length=80)
    # The cluster may be deleted by its owner; the progress stays for the record.
    cluster = models.ForeignKey(
        "cluster.Cluster", on_delete=models.SET_NULL, null=True, blank=True
    )
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "lab_slug"], name="one_run_per_lab")
        ]


class StepDone(models.Model):
    progress = models.ForeignKey(
        LabProgress, on_delete=models.CASCADE, related_name="steps_done"
    )
    step_id = models.SlugField(max_length=80)
    done_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["progress", "step_id"], name="step_once")
        ]
