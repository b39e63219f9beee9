"""The live wall: its WebSocket over the real ASGI application and Redis layer, and the
nudges that students' progress sends it."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from cluster import layer_sender, operations
from cluster.models import Component
from config.asgi import application
from playground.courses import services, wall
from playground.courses.wall_live import progress_changed
from tests.courses.kit import PERSONAS, bare_cluster, user
from tests.playground.test_consumer import ORIGIN, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)
CHANGED = {"t": "changed"}


def wall_socket(course, who, origin=ORIGIN) -> WebsocketCommunicator:
    """Build it outside the event loop: signing in touches the database."""
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if who is not None:
        headers.append((b"cookie", session_cookie(who)))
    return WebsocketCommunicator(
        application, f"/ws/courses/{course.pk}/wall/", headers=headers
    )


def connects(course, who, origin=ORIGIN) -> bool:
    comm = wall_socket(course, who, origin)

    async def scenario():
        connected, _ = await comm.connect()
        await comm.disconnect()
        return connected

    return async_to_sync(scenario)()


@pytest.mark.parametrize(
    ("persona", "accepted"),
    zip(PERSONAS, (False, False, True, False, False), strict=True),
)
def test_only_the_class_instructor_opens_its_wall_socket(school, persona, accepted):
    who = school["users"].get(persona)  # None: anonymous
    assert connects(school["course"], who) is accepted


def test_a_foreign_origin_is_refused_even_for_the_instructor(school):
    carol = school["users"]["instructor"]
    assert connects(school["course"], carol, origin=b"http://evil.example") is False


def test_a_wall_socket_for_a_class_that_does_not_exist_is_refused(school):
    school["course"].pk += 1000
    assert connects(school["course"], school["users"]["instructor"]) is False


def test_the_wall_hears_its_own_students_only(school):
    course, alice = school["course"], school["users"]["owner"]
    erin = school["other"].memberships.get(role="student").user

    comm = wall_socket(course, school["users"]["instructor"])

    async def scenario():
        assert (await comm.connect())[0]
        # A student of another class: nothing, even once the layer has delivered.
        await database_sync_to_async(progress_changed)(erin.pk)
        await database_sync_to_async(layer_sender.flush)()
        await comm.receive_nothing(timeout=0.3)
        # A new student joins: a new row.
        frank = await database_sync_to_async(user)("frank")
        await database_sync_to_async(services.join_course)(frank, course.join_code)
        first = await comm.receive_json_from(timeout=5)
        # Joining again changes nothing, so it sends nothing.
        await database_sync_to_async(services.join_course)(frank, course.join_code)
        await database_sync_to_async(layer_sender.flush)()
        await comm.receive_nothing(timeout=0.3)
        await database_sync_to_async(progress_changed)(alice.pk)
        second = await comm.receive_json_from(timeout=5)
        await comm.disconnect()
        return first, second

    assert async_to_sync(scenario)() == (CHANGED, CHANGED)


def test_starting_a_lab_and_newly_done_steps_nudge_the_wall_and_rechecks_do_not(
    school,
):
    course, alice = school["course"], school["users"]["owner"]

    comm = wall_socket(course, school["users"]["instructor"])

    async def scenario():
        assert (await comm.connect())[0]
        run = await database_sync_to_async(services.start_lab)(alice, "03-self-healing")
        started = await comm.receive_json_from(timeout=5)
        # Nothing holds yet: checking records nothing and tells nobody.
        await database_sync_to_async(services.evaluate)(run)
        await database_sync_to_async(layer_sender.flush)()
        await comm.receive_nothing(timeout=0.3)
        await database_sync_to_async(operations.fast_forward)(run.cluster, 20)
        await database_sync_to_async(services.evaluate)(run)
        done = await comm.receive_json_from(timeout=5)
        await comm.disconnect()
        return started, done

    assert async_to_sync(scenario)() == (CHANGED, CHANGED)
    row = next(r for r in wall.wall(course) if r["username"] == "alice")
    assert row["current"]["steps_done"] == 1
    assert row["current"]["title"] == "Self-healing with ReplicaSets"


def test_the_wall_names_each_process_down_and_each_machine_off(school):
    cluster = services.start_lab(school["users"]["owner"], "03-self-healing").cluster
    assert wall.cluster_health(cluster)["healthy"] is True
    controller = Component.objects.get(
        machine__cluster=cluster, kind="kube-controller-manager"
    )
    operations.set_component_state(controller, "stopped")
    operations.set_power(cluster.machines.get(name="worker1"), False)
    health = wall.cluster_health(cluster)
    assert health["problems"] == [
        "kube-controller-manager stopped on control-plane",
        "worker1 powered off",
    ]
    assert (health["healthy"], health["machines"], health["machines_off"]) == (
        False,
        3,
        1,
    )
    empty = bare_cluster(school["users"]["classmate"])  # no machines, nothing down
    assert wall.cluster_health(empty)["healthy"] is True
