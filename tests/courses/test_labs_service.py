"""Joining a class, starting a lab, live checks recorded as progress, the wall and CSV."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cluster import kinds, operations
from cluster.access import api_for
from cluster.models import Component
from playground.courses import services, wall
from playground.courses.models import Membership
from tests.courses.kit import user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        pytest.param(lambda code: f"  {code.lower()} ", None, id="any-case-and-spaces"),
        pytest.param(lambda code: "NOPE1234", "No class has this join code.", id="bad"),
    ],
)
def test_a_student_joins_with_the_code(typed, error):
    course = services.create_course(user("carol"), "K8s")
    alice = user("alice")
    if error:
        with pytest.raises(services.CourseError, match=error):
            services.join_course(alice, typed(course.join_code))
        return
    membership = services.join_course(alice, typed(course.join_code))
    assert (membership.course, membership.role) == (course, Membership.STUDENT)


def test_an_ended_class_takes_no_more_students():
    course = services.create_course(
        user("carol"), "Old", ends_at=timezone.now() - dt.timedelta(days=1)
    )
    with pytest.raises(services.CourseError, match="has ended"):
        services.join_course(user("alice"), course.join_code)


def test_a_started_lab_ticks_steps_as_the_cluster_reaches_them_and_keeps_them():
    alice = user("alice")
    progress = services.start_lab(alice, "03-self-healing")
    cluster = progress.cluster
    assert cluster.owner == alice
    assert [s["done"] for s in services.evaluate(progress)] == [False] * 5

    operations.fast_forward(cluster, 20)
    first = services.evaluate(progress)[0]
    assert (first["id"], first["ok"], first["done"]) == ("three-running", True, True)

    controller = Component.objects.get(
        machine__cluster=cluster, kind="kube-controller-manager"
    )
    operations.set_component_state(controller, "stopped")
    results = {r["id"]: r for r in services.evaluate(progress)}
    assert results["stop-controller-manager"]["done"] is True

    operations.set_component_state(controller, "running")
    results = {r["id"]: r for r in services.evaluate(progress)}
    # Done stays done even though the state moved on.
    assert results["stop-controller-manager"]["ok"] is False
    assert results["stop-controller-manager"]["done"] is True
    assert sorted(progress.steps_done.values_list("step_id", flat=True)) == [
        "stop-controller-manager",
        "three-running",
    ]


def test_the_wall_and_csv_show_each_student_progress(client):
    carol = user("carol")
    course = services.create_course(carol, "K8s")
    alice, bob = user("alice"), user("bob")
    for s in (alice, bob):
        services.join_course(s, course.join_code)
    progress = services.start_lab(alice, "09-etcd-backup")
    operations.take_snapshot(progress.cluster, "first")
    services.evaluate(progress)

    rows = {r["username"]: r for r in wall.wall(course)}
    assert rows["bob"]["current"] is None
    assert rows["alice"]["current"]["lab"] == "09-etcd-backup"
    assert rows["alice"]["current"]["steps_done"] == 1
    assert rows["alice"]["current"]["steps_total"] == 3
    assert rows["alice"]["cluster"]["healthy"] is True

    api_for(progress.cluster).delete(kinds.by_kind("Deployment"), "default", "web")
    operations.set_power(progress.cluster.machines.get(name="worker1"), False)
    assert wall.wall(course)[0]["cluster"]["problems"] == ["worker1 powered off"]

    client.force_login(carol)
    csv_text = client.get(f"/api/courses/{course.pk}/progress.csv").content.decode()
    header, line = csv_text.strip().splitlines()
    assert header.split(",") == list(wall.CSV_COLUMNS)
    assert line.startswith("alice,09-etcd-backup,1,3,snapshot,")


def test_labs_are_listed_in_the_caller_language(client):
    client.force_login(user("alice"))
    english = client.get("/api/labs/").json()
    assert len(english) >= 10
    assert english[2]["title"] == "Self-healing with ReplicaSets"
    spanish = client.get("/api/labs/03-self-healing/", HTTP_ACCEPT_LANGUAGE="es").json()
    assert spanish["title"] == "Autorreparación con ReplicaSets"
    assert spanish["steps"][0]["title"] == "Tres réplicas en marcha"
    assert client.get("/api/labs/no-such-lab/").status_code == 404


def test_the_lab_api_starts_and_checks_a_run(client):
    client.force_login(user("alice"))
    started = client.post("/api/labs/01-architecture-tour/start/")
    assert started.status_code == 201
    run = started.json()
    checked = client.post(f"/api/labs/runs/{run['id']}/check/").json()
    assert [c["id"] for c in checked["checks"]] == [
        "first-pod",
        "stop-scheduler",
        "pending-pod",
        "start-scheduler",
        "stop-kubelet",
    ]
    assert checked["checks"][0] == {
        "id": "first-pod",
        "ok": False,
        "explanation": "wanted at least 1 pod hello with phase=Running, ready=True; "
        "found 0 of 0 (none)",
        "done": False,
        "done_at": None,
    }


def test_the_lab_page_renders_steps_and_a_join_page_reports_bad_codes(client):
    client.force_login(user("alice"))
    page = client.get("/labs/02-scheduler/")
    assert page.status_code == 200
    assert b"A pod too big to fit" in page.content
    assert b"<code>Insufficient cpu</code>" in page.content
    bad = client.post("/courses/join/", {"code": "zzz"})
    assert bad.status_code == 400
    assert b"No class has this join code." in bad.content
