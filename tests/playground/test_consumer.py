"""The live stream over the real ASGI application and the real Redis channel layer."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from cluster import kinds
from cluster.access import api_for
from config.asgi import application
from playground.live import LiveStream, apply_frame

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = b"http://localhost"


def configmap(name: str, value: str = "1") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": {"v": value},
    }


def service(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"ports": [{"port": 80}], "selector": {"app": name}},
    }


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def communicator(cluster, cookie, origin=ORIGIN, query="") -> WebsocketCommunicator:
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(
        application, f"/ws/clusters/{cluster.slug}/{query}", headers=headers
    )


async def frames_until(comm, predicate, timeout=5.0) -> list[dict]:
    """Read frames until one satisfies `predicate`; returns every frame read."""
    seen = []
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        frame = await comm.receive_json_from(timeout=max(0.05, left))
        seen.append(frame)
        if predicate(frame):
            return seen


def test_it_sends_a_snapshot_with_machines_and_objects(cluster, alice):
    cookie = session_cookie(alice)
    api_for(cluster).create(service("web"))

    async def scenario():
        comm = communicator(cluster, cookie)
        connected, _ = await comm.connect()
        assert connected
        frame = await comm.receive_json_from(timeout=5)
        await comm.disconnect()
        return frame

    frame = async_to_sync(scenario)()
    assert frame["t"] == "snapshot"
    assert frame["rev"] == type(cluster).objects.get(pk=cluster.pk).revision
    assert "services/specs/default/web" in frame["objects"]
    assert {m["role"] for m in frame["machines"]} == {"control-plane", "worker"}
    assert frame["clock"]["speed"] == cluster.speed


def test_writes_arrive_as_change_frames_without_gaps(cluster, alice):
    cookie = session_cookie(alice)
    api = api_for(cluster)

    async def scenario():
        comm = communicator(cluster, cookie)
        await comm.connect()
        snapshot = await comm.receive_json_from(timeout=5)
        for i in range(30):
            await database_sync_to_async(api.create)(service(f"s{i}"))
        frames = await frames_until(
            comm, lambda f: "services/specs/default/s29" in str(f.get("changes"))
        )
        await comm.disconnect()
        return snapshot, frames

    snapshot, frames = async_to_sync(scenario)()
    changes = [f for f in frames if f["t"] == "changes"]
    # Coalesced: fewer frames than writes, and each frame starts where the last ended.
    assert len(changes) < 30
    rev = snapshot["rev"]
    for frame in changes:
        assert frame["from"] == rev
        rev = frame["rev"]
    added = [c["key"] for f in changes for c in f["changes"] if c["type"] == "ADDED"]
    assert [k for k in added if k.startswith("services/specs/default/s")] == [
        f"services/specs/default/s{i}" for i in range(30)
    ]


def test_a_client_that_reconnects_from_its_revision_ends_with_the_server_state(
    cluster, alice
):
    cookie = session_cookie(alice)
    api = api_for(cluster)
    api.create(service("keep"))
    api.create(service("gone"))

    async def scenario():
        comm = communicator(cluster, cookie)
        await comm.connect()
        first = await comm.receive_json_from(timeout=5)
        state = apply_frame({}, first)
        await comm.disconnect()
        # While the browser is away: a create, an update and a delete.
        await database_sync_to_async(api.create)(service("new"))
        await database_sync_to_async(api.create)(configmap("ignored"))
        await database_sync_to_async(api.delete)(
            kinds.by_kind("Service"), "default", "gone"
        )
        again = communicator(cluster, cookie, query=f"?since={first['rev']}")
        await again.connect()
        resumed = await again.receive_json_from(timeout=5)
        await again.disconnect()
        fresh = await database_sync_to_async(LiveStream(cluster.pk).snapshot)()
        return first, apply_frame(state, resumed), resumed, fresh

    first, state, resumed, fresh = async_to_sync(scenario)()
    assert resumed["t"] == "changes"
    assert resumed["from"] == first["rev"]
    assert resumed["rev"] == fresh["rev"]
    assert state == fresh["objects"]


def test_a_compacted_revision_gets_a_fresh_snapshot(cluster, alice):
    cookie = session_cookie(alice)
    type(cluster).objects.filter(pk=cluster.pk).update(compacted_revision=10**6)

    async def scenario():
        comm = communicator(cluster, cookie, query="?since=1")
        await comm.connect()
        frame = await comm.receive_json_from(timeout=5)
        await comm.disconnect()
        return frame

    assert async_to_sync(scenario)()["t"] == "snapshot"


def test_a_resync_request_gets_a_snapshot(cluster, alice):
    cookie = session_cookie(alice)

    async def scenario():
        comm = communicator(cluster, cookie)
        await comm.connect()
        await comm.receive_json_from(timeout=5)
        await comm.send_json_to({"action": "resync"})
        # API-call pulses from the cluster's first tick may come in between.
        frames = await frames_until(comm, lambda f: f["t"] != "calls")
        await comm.disconnect()
        return frames[-1]

    assert async_to_sync(scenario)()["t"] == "snapshot"


@pytest.mark.parametrize(
    ("who", "origin"),
    [
        pytest.param("bob", ORIGIN, id="another-user"),
        pytest.param(None, ORIGIN, id="anonymous"),
        pytest.param("alice", b"http://evil.example", id="foreign-origin"),
    ],
)
def test_the_stream_is_refused(cluster, alice, bob, who, origin):
    user = {"alice": alice, "bob": bob, None: None}[who]
    cookie = session_cookie(user) if user else None

    async def scenario():
        comm = communicator(cluster, cookie, origin=origin)
        connected, _ = await comm.connect()
        await comm.disconnect()
        return connected

    assert async_to_sync(scenario)() is False


def test_api_calls_are_forwarded_for_the_animation(cluster, alice):
    cookie = session_cookie(alice)
    from cluster.apiserver.core import Call
    from playground.api.base import publish_calls

    async def scenario():
        comm = communicator(cluster, cookie)
        await comm.connect()
        await comm.receive_json_from(timeout=5)
        await database_sync_to_async(publish_calls)(
            cluster.pk,
            [Call("kube-scheduler", "create binding", "pods", "default", "probe-7")],
        )
        # The cluster's own first tick may publish its calls too: wait for ours.
        frames = await frames_until(
            comm,
            lambda f: (
                f["t"] == "calls" and any(c["name"] == "probe-7" for c in f["calls"])
            ),
        )
        await comm.disconnect()
        return frames[-1]

    frame = async_to_sync(scenario)()
    ours = [c for c in frame["calls"] if c["name"] == "probe-7"]
    assert [(c["caller"], c["verb"]) for c in ours] == [
        ("kube-scheduler", "create binding")
    ]


def test_a_component_change_streams_the_machines(cluster, alice):
    cookie = session_cookie(alice)
    from cluster import operations
    from cluster.models import Component

    async def scenario():
        comm = communicator(cluster, cookie)
        await comm.connect()
        await comm.receive_json_from(timeout=5)
        component = await database_sync_to_async(
            lambda: Component.objects.select_related("machine__cluster").get(
                machine__cluster=cluster, kind="kube-scheduler"
            )
        )()
        await database_sync_to_async(operations.set_component_state)(
            component, "crashed"
        )
        frames = await frames_until(comm, lambda f: "machines" in f)
        await comm.disconnect()
        return frames[-1]

    frame = async_to_sync(scenario)()
    states = {c["kind"]: c["state"] for m in frame["machines"] for c in m["components"]}
    assert states["kube-scheduler"] == "crashed"


def test_a_snapshot_too_big_for_one_message_arrives_in_parts(
    cluster, alice, monkeypatch
):
    """daphne refuses messages over 1 MiB: a big cluster's snapshot is split."""
    from playground import live

    monkeypatch.setattr(live, "FRAME_BYTES", 4000)
    cookie = session_cookie(alice)
    api = api_for(cluster)
    for i in range(12):
        api.create(service(f"s{i:02d}"))

    async def scenario():
        comm = communicator(cluster, cookie)
        await comm.connect()
        first = await comm.receive_json_from(timeout=5)
        rest = [
            await comm.receive_json_from(timeout=5) for _ in range(first["parts"] - 1)
        ]
        await comm.disconnect()
        fresh = await database_sync_to_async(LiveStream(cluster.pk).snapshot)()
        return first, rest, fresh

    first, rest, fresh = async_to_sync(scenario)()
    assert first["t"] == "snapshot" and first["parts"] > 2
    assert {f["t"] for f in rest} == {"objects"}
    assert {f["rev"] for f in rest} == {first["rev"]}
    state = apply_frame({}, first)
    for frame in rest:
        state = apply_frame(state, frame)
    assert state == fresh["objects"]
    assert all(len(json.dumps(f)) < 2 * 4000 for f in [first, *rest])


def test_a_burst_of_changes_is_sent_in_frames_of_bounded_size(cluster, monkeypatch):
    from playground import live

    monkeypatch.setattr(live, "FRAME_BYTES", 1500)
    stream = LiveStream(cluster.pk)
    start = stream.snapshot()["rev"]
    api = api_for(cluster)
    for i in range(10):
        api.create(service(f"s{i}"))

    frames = []
    while (frame := stream.next_frame()) is not None:
        frames.append(frame)

    assert len(frames) > 2
    assert [f["from"] for f in frames] == [start] + [f["rev"] for f in frames[:-1]]
    assert [bool(f.get("more")) for f in frames] == [True] * (len(frames) - 1) + [False]
    added = [c["key"] for f in frames for c in f["changes"] if c["type"] == "ADDED"]
    assert [k for k in added if k.startswith("services/")] == [
        f"services/specs/default/s{i}" for i in range(10)
    ]


@pytest.fixture
def reads(monkeypatch) -> list[int]:
    """The revisions the stream read change frames from (it reads the log only when
    what a notification carried cannot be forwarded as it is)."""
    from cluster import layer_sender

    layer_sender.flush()  # what the cluster's creation notified is out of the way
    made: list[int] = []
    next_frame = LiveStream.next_frame

    def counted(self, *args, **kwargs):
        made.append(self.revision)
        return next_frame(self, *args, **kwargs)

    monkeypatch.setattr(LiveStream, "next_frame", counted)
    return made


def test_a_write_reaches_the_browser_as_carried_without_a_read(cluster, alice, reads):
    cookie = session_cookie(alice)
    api = api_for(cluster)

    async def scenario():
        comm = communicator(cluster, cookie)
        await comm.connect()
        snapshot = await comm.receive_json_from(timeout=5)
        await database_sync_to_async(api.create)(service("web"))
        frames = await frames_until(comm, lambda f: f["t"] == "changes")
        await comm.disconnect()
        return snapshot, frames[-1]

    snapshot, frame = async_to_sync(scenario)()
    assert reads == []
    assert frame["from"] == snapshot["rev"]
    assert frame["rev"] == snapshot["rev"] + 1
    [change] = frame["changes"]
    assert (change["type"], change["key"]) == ("ADDED", "services/specs/default/web")
    assert change["obj"] == api.get(kinds.by_kind("Service"), "default", "web")
    assert set(frame["clock"]) == {"now", "wall", "speed"}


def test_a_revision_whose_notification_never_came_is_read_from_the_log(
    cluster, alice, reads, monkeypatch
):
    """Another process wrote it and its notification was lost: the next write's
    carried changes do not continue from the browser's revision."""
    from cluster import watch

    cookie = session_cookie(alice)
    api = api_for(cluster)
    logged = watch.logged

    def write_unnoticed():
        monkeypatch.setattr(watch, "logged", lambda *args, **kwargs: None)
        try:
            api.create(service("unnoticed"))
        finally:
            monkeypatch.setattr(watch, "logged", logged)

    async def scenario():
        comm = communicator(cluster, cookie)
        await comm.connect()
        snapshot = await comm.receive_json_from(timeout=5)
        await database_sync_to_async(write_unnoticed)()
        await database_sync_to_async(api.create)(service("noticed"))
        frames = await frames_until(
            comm, lambda f: "services/specs/default/noticed" in str(f.get("changes"))
        )
        await comm.disconnect()
        return snapshot, [f for f in frames if f["t"] == "changes"]

    snapshot, frames = async_to_sync(scenario)()
    assert reads == [snapshot["rev"]]
    assert [f["from"] for f in frames] == [snapshot["rev"]]
    assert [c["key"] for c in frames[0]["changes"]] == [
        "services/specs/default/unnoticed",
        "services/specs/default/noticed",
    ]


def test_what_was_written_while_the_feed_was_disconnected_arrives(
    cluster, alice, monkeypatch
):
    import redis
    from django.conf import settings

    from cluster import watch

    cookie = session_cookie(alice)
    api = api_for(cluster)

    def write_while_disconnected():
        redis.Redis.from_url(settings.REDIS_URL).client_kill_filter(_type="pubsub")
        # Published to nobody: the feed is reconnecting.
        monkeypatch.setattr(watch, "logged", lambda *args, **kwargs: None)
        api.create(service("missed"))

    async def scenario():
        comm = communicator(cluster, cookie)
        await comm.connect()
        snapshot = await comm.receive_json_from(timeout=5)
        await database_sync_to_async(write_while_disconnected)()
        frames = await frames_until(comm, lambda f: f["t"] == "changes")
        await comm.disconnect()
        return snapshot, frames[-1]

    snapshot, frame = async_to_sync(scenario)()
    assert frame["from"] == snapshot["rev"]
    assert [c["key"] for c in frame["changes"]] == ["services/specs/default/missed"]
