"""Idle clusters are paused: beat's wake-up skips them, and opening one (kubectl, the
REST API, its page, its stream) resumes it with its clock where it stopped."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from django.utils import timezone

from cluster import idle, tasks
from cluster.access import sim_now
from cluster.k8sapi import auth
from cluster.models import Cluster
from tests.courses.kit import bare_cluster, user

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def pause_after_two_hours(settings):
    settings.KUBELAB_IDLE_PAUSE_HOURS = 2


def left_alone(cluster: Cluster, since: dt.timedelta, speed: float = 1.0) -> Cluster:
    """`cluster` last used `since` ago, its clock at sim 1000 then, a timer due now."""
    used = timezone.now() - since
    Cluster.objects.filter(pk=cluster.pk).update(
        last_active=used,
        sim_anchor=1000.0,
        wall_anchor=used.timestamp(),
        speed=speed,
        next_timer=1000.0,
    )
    cluster.refresh_from_db()
    return cluster


@pytest.mark.parametrize(
    ("unused_for", "hours", "woken"),
    [
        pytest.param(HOUR, 2, True, id="used-an-hour-ago"),
        pytest.param(3 * HOUR, 2, False, id="idle-for-three-hours"),
        pytest.param(3 * HOUR, 0, True, id="pausing-turned-off"),
        pytest.param(30 * HOUR, 48, True, id="a-longer-setting"),
    ],
)
def test_beat_skips_clusters_nobody_has_used_lately(settings, unused_for, hours, woken):
    settings.KUBELAB_IDLE_PAUSE_HOURS = hours
    cluster = left_alone(bare_cluster(user("alice")), unused_for)
    assert (cluster.pk in tasks.due_clusters()) is woken


def test_opening_an_idle_cluster_resumes_its_clock_where_it_stopped(
    pause_after_two_hours,
):
    cluster = left_alone(bare_cluster(user("alice")), 5 * HOUR, speed=10)
    idle.touch(cluster)
    # It went idle two hours after its last use: 7200 s at 10x on the clock.
    expected = 1000.0 + 2 * 3600 * 10
    assert sim_now(cluster) == pytest.approx(expected, abs=1.0)
    stored = Cluster.objects.get(pk=cluster.pk)
    assert sim_now(stored) == pytest.approx(expected, abs=1.0)
    assert timezone.now() - stored.last_active < dt.timedelta(seconds=5)
    assert cluster.pk in tasks.due_clusters()  # awake again, its timer is due


def test_a_cluster_in_use_keeps_its_clock(pause_after_two_hours):
    cluster = left_alone(bare_cluster(user("alice")), HOUR)
    before = sim_now(cluster)
    idle.touch(cluster)
    assert sim_now(cluster) == pytest.approx(before, abs=1.0)
    assert Cluster.objects.get(pk=cluster.pk).wall_anchor == cluster.wall_anchor


def test_use_is_recorded_at_most_once_a_minute(pause_after_two_hours):
    cluster = bare_cluster(user("alice"))
    recent = timezone.now() - dt.timedelta(seconds=30)
    Cluster.objects.filter(pk=cluster.pk).update(last_active=recent)
    cluster.refresh_from_db()
    idle.touch(cluster)
    assert Cluster.objects.get(pk=cluster.pk).last_active == recent


def test_two_openers_at_once_move_the_clock_once(pause_after_two_hours):
    first = left_alone(bare_cluster(user("alice")), 5 * HOUR)
    second = Cluster.objects.get(pk=first.pk)  # loaded before either touch
    idle.touch(first)
    later = timezone.now() + dt.timedelta(seconds=90)
    idle.touch(second, now=later)
    # The second sees the first's resume instead of pausing the clock again.
    assert second.wall_anchor == pytest.approx(first.wall_anchor, abs=1.0)
    assert second.sim_anchor == pytest.approx(first.sim_anchor, abs=1.0)


def _kubectl(cluster, who):
    token = auth.token_for(cluster, who)
    Client().get(
        f"/k8s/clusters/{cluster.slug}/api/v1/namespaces",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def _rest(cluster, who):
    client = Client()
    client.force_login(who)
    assert client.get(f"/api/clusters/{cluster.slug}/").status_code == 200


def _page(cluster, who):
    client = Client()
    client.force_login(who)
    assert client.get(f"/clusters/{cluster.slug}/").status_code == 200


@pytest.mark.parametrize("open_it", [_kubectl, _rest, _page], ids=lambda f: f.__name__)
def test_every_entry_point_wakes_an_idle_cluster(pause_after_two_hours, open_it):
    alice = user("alice")
    cluster = left_alone(bare_cluster(alice), 5 * HOUR)
    assert cluster.pk not in tasks.due_clusters()
    open_it(cluster, alice)
    assert cluster.pk in tasks.due_clusters()
    stored = Cluster.objects.get(pk=cluster.pk)
    assert sim_now(stored) == pytest.approx(1000.0 + 7200, abs=5.0)


@pytest.mark.django_db(transaction=True)
def test_opening_the_live_stream_wakes_an_idle_cluster(pause_after_two_hours):
    from tests.playground.test_consumer import communicator, session_cookie

    alice = user("alice")
    cluster = left_alone(bare_cluster(alice), 5 * HOUR)
    cookie = session_cookie(alice)

    async def scenario():
        comm = communicator(cluster, cookie)
        connected, _ = await comm.connect()
        await comm.disconnect()
        return connected

    assert async_to_sync(scenario)()
    assert cluster.pk in tasks.due_clusters()


def test_an_idle_clusters_clock_does_not_run_on_while_it_sleeps(pause_after_two_hours):
    """Opened ten hours later or twenty, the clock reads the same: the idle moment."""
    readings = []
    for hours in (10, 20):
        cluster = left_alone(bare_cluster(user(f"u{hours}")), hours * HOUR)
        idle.touch(cluster)
        readings.append(sim_now(cluster, time.time()))
    assert readings[0] == pytest.approx(readings[1], abs=1.0)
    assert readings[0] == pytest.approx(1000.0 + 7200, abs=1.0)
