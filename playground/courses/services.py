"""What the pages and the REST API do with classes and labs (one function each).

Quotas are enforced here, where clusters and machines are made: `start_lab` and
`add_machine` wrap `cluster.provision` and `cluster.operations`.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from cluster import access, operations, provision
from cluster.labs import catalog, checks, observe, start
from cluster.labs.format import Lab
from cluster.models import Cluster, Machine
from cluster.templates import TEMPLATES
from playground.courses.models import Course, LabProgress, Membership, StepDone
from playground.courses.quotas import (
    QuotaExceeded,
    check_new_cluster,
    check_new_machines,
    machines_per_cluster,
)
from playground.courses.wall_live import progress_changed


class CourseError(ValueError):
    """A request about a class that cannot be done (the message says why)."""


class ClassEnded(CourseError):
    """The student's classes are over: their clusters are read-only, no new ones start."""


class UnknownLab(LookupError):
    pass


# --- classes ---------------------------------------------------------------------------
def create_course(instructor, name: str, ends_at: dt.datetime | None = None) -> Course:
    """A new class with a fresh join code, taught by `instructor`."""
    with transaction.atomic():
        course = Course.objects.create(name=name, ends_at=ends_at)
        Membership.objects.create(
            user=instructor, course=course, role=Membership.INSTRUCTOR
        )
    return course


def join_course(user, code: str) -> Membership:
    """Join a class as a student with its code (codes ignore case and spaces)."""
    course = Course.objects.filter(join_code=code.strip().upper()).first()
    if course is None:
        raise CourseError("No class has this join code.")
    if course.is_over:
        raise CourseError("This class has ended; it no longer accepts students.")
    membership, created = Membership.objects.get_or_create(
        user=user, course=course, defaults={"role": Membership.STUDENT}
    )
    if created:
        progress_changed(user.pk)  # a new row on the class's wall
    return membership


# --- labs ------------------------------------------------------------------------------
def get_lab(slug: str) -> Lab:
    lab = catalog.get_lab(slug)
    if lab is None:
        raise UnknownLab(slug)
    return lab


def lab_cluster_name(lab: Lab) -> str:
    return f"lab-{lab.slug}"[:40].rstrip("-")


def start_lab(user, slug: str) -> LabProgress:
    """A fresh cluster in the lab's starting state, and progress from step one.

    Starting again replaces the student's previous cluster for this lab.
    """
    lab = get_lab(slug)
    ended = access.frozen_reason(user)
    if ended:
        raise ClassEnded(ended)
    old = LabProgress.objects.filter(user=user, lab_slug=slug).first()
    replacing = old is not None and old.cluster_id is not None
    if not replacing:
        check_new_cluster(user)
    check_new_machines_for_template(lab)
    name = lab_cluster_name(lab)
    if replacing:
        provision.delete_cluster(old.cluster)
    Cluster.objects.filter(owner=user, name=name).delete()
    try:
        cluster = provision.create_cluster(user, name, template=lab.start.template)
    except IntegrityError:  # a concurrent start made the same cluster
        raise CourseError("This lab is already being started.") from None
    cluster = start.prepare(cluster, lab)
    with transaction.atomic():
        progress, _ = LabProgress.objects.update_or_create(
            user=user,
            lab_slug=slug,
            defaults={"cluster": cluster, "started_at": timezone.now()},
        )
        progress.steps_done.all().delete()
        progress_changed(user.pk)
    return progress


def check_new_machines_for_template(lab: Lab) -> None:
    template = TEMPLATES[lab.start.template]
    needed = template.masters + template.workers
    if needed > machines_per_cluster():
        raise QuotaExceeded(
            f"exceeded quota: machines per cluster, requested: {needed}, "
            f"limited: {machines_per_cluster()}"
        )


def reset_lab(progress: LabProgress) -> LabProgress:
    """Start the same lab over for its student (what an instructor's reset does)."""
    return start_lab(progress.user, progress.lab_slug)


def evaluate(progress: LabProgress) -> list[dict]:
    """Run every step's check on the live cluster; record steps that newly hold.

    A step, once done, stays done: a later step often undoes an earlier one's state.
    """
    lab = get_lab(progress.lab_slug)
    done = {s.step_id: s.done_at for s in progress.steps_done.all()}
    state = observe.snapshot_of(progress.cluster) if progress.cluster_id else None
    results = []
    newly_done = False
    for step in lab.steps:
        if state is None:
            ok, why = False, "the lab's cluster was deleted; start the lab again"
        else:
            ok, why = checks.evaluate(step.check, state)
        if ok and step.id not in done:
            record, created = StepDone.objects.get_or_create(
                progress=progress, step_id=step.id
            )
            done[step.id] = record.done_at
            newly_done = newly_done or created
        results.append(
            {
                "id": step.id,
                "ok": ok,
                "explanation": why,
                "done": step.id in done,
                "done_at": done.get(step.id),
            }
        )
    if newly_done:
        progress_changed(progress.user_id)
    return results


def summary(progress: LabProgress) -> dict:
    """Recorded progress without touching the cluster (the wall, the CSV)."""
    lab = catalog.get_lab(progress.lab_slug)
    done = {s.step_id: s.done_at for s in progress.steps_done.all()}
    total = len(lab.steps) if lab else 0
    last = max(done.values(), default=None)
    return {
        "lab": progress.lab_slug,
        "steps_total": total,
        "steps_done": len(done),
        "done_step_ids": [s.id for s in lab.steps if s.id in done] if lab else [],
        "started_at": progress.started_at,
        "last_done_at": last,
        "seconds_spent": int(
            ((last or timezone.now()) - progress.started_at).total_seconds()
        ),
        "finished": total > 0 and len(done) == total,
    }


# --- machines under quota ---------------------------------------------------------------
def add_machine(cluster: Cluster, role: str) -> Machine:
    """`operations.add_machine`, within the machines-per-cluster quota."""
    check_new_machines(cluster)
    return operations.add_machine(cluster, role)
