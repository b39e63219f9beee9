"""The instructor's wall: every student of a class, their current lab, steps done, time
spent and their cluster's health; and the same as CSV."""

from __future__ import annotations

import csv
import io

from django.db.models import Count, Q
from django.utils.translation import get_language

from cluster.labs import catalog
from cluster.models import Cluster, Component
from playground.courses.models import Course, LabProgress, Membership
from playground.courses.services import summary


def cluster_health(cluster: Cluster | None) -> dict | None:
    """Machines up and processes down, from the hardware state (no API call)."""
    if cluster is None:
        return None
    machines = cluster.machines.aggregate(
        total=Count("id"), off=Count("id", filter=Q(powered=False))
    )
    # Processes on a powered-off machine are reported as the machine being off.
    down = (
        Component.objects.filter(machine__cluster=cluster, machine__powered=True)
        .exclude(state=Component.RUNNING)
        .order_by("machine__name", "kind")
        .values_list("machine__name", "kind", "state")
    )
    problems = [f"{kind} {state} on {machine}" for machine, kind, state in down]
    problems += [
        f"{m} powered off"
        for m in cluster.machines.filter(powered=False).values_list("name", flat=True)
    ]
    return {
        "slug": cluster.slug,
        "machines": machines["total"],
        "machines_off": machines["off"],
        "problems": problems,
        "healthy": not problems,
    }


def lab_title(slug: str) -> str:
    """The lab's title in the current language (its slug if the lab is gone)."""
    lab = catalog.get_lab(slug)
    if lab is None:
        return slug
    return lab.text(lab.title, (get_language() or "en").split("-")[0])


def wall(course: Course) -> list[dict]:
    """One row per student, newest lab first."""
    rows = []
    students = (
        Membership.objects.filter(course=course, role=Membership.STUDENT)
        .select_related("user")
        .order_by("user__username")
    )
    for membership in students:
        user = membership.user
        runs = list(
            LabProgress.objects.filter(user=user)
            .select_related("cluster")
            .prefetch_related("steps_done")
            .order_by("-updated_at", "-started_at")
        )
        current = runs[0] if runs else None
        rows.append(
            {
                "user_id": user.pk,
                "username": user.get_username(),
                "current": (
                    summary(current) | {"title": lab_title(current.lab_slug)}
                    if current
                    else None
                ),
                "cluster": cluster_health(current.cluster) if current else None,
                "labs": [summary(run) for run in runs],
            }
        )
    return rows


CSV_COLUMNS = (
    "username",
    "lab",
    "steps_done",
    "steps_total",
    "done_step_ids",
    "started_at",
    "last_done_at",
    "seconds_spent",
    "finished",
)


def progress_csv(course: Course) -> str:
    """Every student's every lab, one line each."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in wall(course):
        for lab in row["labs"]:
            writer.writerow(
                [
                    row["username"],
                    lab["lab"],
                    lab["steps_done"],
                    lab["steps_total"],
                    " ".join(lab["done_step_ids"]),
                    lab["started_at"].isoformat(),
                    lab["last_done_at"].isoformat() if lab["last_done_at"] else "",
                    lab["seconds_spent"],
                    "yes" if lab["finished"] else "no",
                ]
            )
    return out.getvalue()
