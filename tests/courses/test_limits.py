"""Request rate per token or user (429 with Retry-After) on the Kubernetes and REST
APIs, and open WebSockets per user; both counted in Redis, shared by every process."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
import redis
from asgiref.sync import async_to_sync
from django.conf import settings
from django.test import Client

from cluster import limits
from cluster.k8sapi import auth
from tests.conftest import ROOT, subprocess_env
from tests.courses.kit import bare_cluster, user
from tests.foundation.test_config import manage
from tests.playground.test_consumer import communicator, session_cookie


@pytest.fixture(autouse=True)
def fresh_counters():
    """Ids repeat between tests: start each with empty buckets and no sockets held."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    for pattern in ("kubelab:rate:*", "kubelab:sockets:*"):
        for key in client.scan_iter(pattern):
            client.delete(key)


@pytest.fixture
def two_per_second_burst_three(settings):
    settings.KUBELAB_API_RATE = 2
    settings.KUBELAB_API_BURST = 3


def caller() -> str:
    return f"test:{uuid.uuid4().hex}"


# --- the bucket ------------------------------------------------------------------------
def test_a_bucket_allows_the_burst_then_refills_at_the_rate(two_per_second_burst_three):
    who, t = caller(), 1_000.0
    assert [limits.take(who, t) for _ in range(3)] == [0, 0, 0]
    assert limits.take(who, t) == pytest.approx(0.5)  # one token comes in 0.5 s
    assert limits.take(who, t + 0.25) == pytest.approx(0.25)
    assert limits.take(who, t + 0.5) == 0
    assert limits.take(who, t + 0.5) == pytest.approx(0.5)
    # After a long pause the bucket is full again, never fuller.
    assert [limits.take(who, t + 60) for _ in range(4)][-1] == pytest.approx(0.5)


def test_refused_requests_do_not_drain_the_bucket_further(two_per_second_burst_three):
    who, t = caller(), 1_000.0
    for _ in range(3):
        limits.take(who, t)
    waits = [limits.take(who, t + 0.1) for _ in range(5)]
    assert waits == [pytest.approx(0.4)] * 5
    assert limits.take(who, t + 0.5) == 0


def test_each_caller_has_its_own_bucket(two_per_second_burst_three):
    first, second, t = caller(), caller(), 1_000.0
    for _ in range(3):
        limits.take(first, t)
    assert limits.take(first, t) > 0
    assert limits.take(second, t) == 0


def test_a_rate_of_zero_turns_the_limit_off(settings):
    settings.KUBELAB_API_RATE = 0
    who = caller()
    assert all(limits.take(who, 1_000.0) == 0 for _ in range(500))


def test_the_bucket_is_shared_between_processes(settings):
    # Slow enough that the bucket cannot refill while the other process starts.
    settings.KUBELAB_API_RATE, settings.KUBELAB_API_BURST = 0.01, 3
    who = caller()
    for _ in range(3):
        limits.take(who)
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "settings.KUBELAB_API_RATE, settings.KUBELAB_API_BURST = 0.01, 3\n"
        "from cluster import limits\n"
        f"print(limits.take({who!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) > 0  # the other process sees the spent bucket


def test_retry_after_is_whole_seconds_and_at_least_one():
    assert [limits.retry_after(w) for w in (0.01, 0.5, 1.0, 1.2, 7.9)] == [
        1,
        1,
        1,
        2,
        8,
    ]


# --- the Kubernetes API -----------------------------------------------------------------
@pytest.mark.django_db
def test_kubectl_past_the_rate_gets_429_too_many_requests_with_retry_after(
    settings, client
):
    settings.KUBELAB_API_RATE, settings.KUBELAB_API_BURST = 0.5, 2
    alice = user("alice")
    cluster = bare_cluster(alice, "lab")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {auth.token_for(cluster, alice)}"}
    url = f"/k8s/clusters/{cluster.slug}/api/v1/namespaces"
    assert [client.get(url, **headers).status_code != 429 for _ in range(2)] == [
        True,
        True,
    ]
    refused = client.get(url, **headers)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "2"  # one request every two seconds
    assert refused.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Too many requests, please try again later (the limit is 0.5 "
        "requests per second, bursts of 2 per token)",
        "reason": "TooManyRequests",
        "code": 429,
        "details": {"retryAfterSeconds": 2},
    }


@pytest.mark.django_db
def test_the_kubernetes_rate_is_per_token(settings, client):
    settings.KUBELAB_API_RATE, settings.KUBELAB_API_BURST = 0.5, 1
    alice, bob = user("alice"), user("bob")
    mine, his = bare_cluster(alice, "lab"), bare_cluster(bob, "lab")

    def get(cluster, who):
        token = auth.token_for(cluster, who)
        return client.get(
            f"/k8s/clusters/{cluster.slug}/api/v1/namespaces",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        ).status_code

    assert get(mine, alice) != 429
    assert get(mine, alice) == 429
    assert get(his, bob) != 429
    # A rotated token keeps its bucket: rotating is no way around the limit.
    auth.rotate(mine, alice)
    assert get(mine, alice) == 429


@pytest.mark.django_db
def test_requests_without_a_valid_token_are_401_not_counted(settings, client):
    settings.KUBELAB_API_RATE, settings.KUBELAB_API_BURST = 0.5, 1
    alice = user("alice")
    cluster = bare_cluster(alice, "lab")
    url = f"/k8s/clusters/{cluster.slug}/api/v1/namespaces"
    for _ in range(3):
        assert client.get(url, HTTP_AUTHORIZATION="Bearer kl1.1.1.x").status_code == 401
    token = auth.token_for(cluster, alice)
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").status_code != 429


# --- the REST API -----------------------------------------------------------------------
@pytest.mark.django_db
def test_the_rest_api_past_the_rate_is_429_with_retry_after(settings):
    settings.KUBELAB_API_RATE, settings.KUBELAB_API_BURST = 0.25, 2
    alice, bob = Client(), Client()
    alice.force_login(user("alice"))
    bob.force_login(user("bob"))
    assert [alice.get("/api/clusters/").status_code for _ in range(2)] == [200, 200]
    refused = alice.get("/api/labs/")  # one bucket for the whole REST API
    assert refused.status_code == 429
    assert refused["Retry-After"] == "4"
    assert "Request was throttled" in refused.json()["detail"]
    assert bob.get("/api/clusters/").status_code == 200  # his own bucket


@pytest.mark.django_db
def test_pages_are_not_rate_limited(settings):
    settings.KUBELAB_API_RATE, settings.KUBELAB_API_BURST = 0.25, 1
    alice = Client()
    alice.force_login(user("alice"))
    assert {alice.get("/clusters/").status_code for _ in range(5)} == {200}


# --- WebSockets -------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_the_socket_past_the_cap_is_closed_with_4429_and_a_reason(settings):
    settings.KUBELAB_WS_MAX_PER_USER = 2
    alice, bob = user("alice"), user("bob")
    mine, his = bare_cluster(alice, "lab"), bare_cluster(bob, "lab")
    alice_cookie, bob_cookie = session_cookie(alice), session_cookie(bob)

    async def scenario():
        held = []
        for _ in range(2):
            comm = communicator(mine, alice_cookie)
            connected, _ = await comm.connect()
            assert connected
            held.append(comm)
        extra = communicator(mine, alice_cookie)
        connected, _ = await extra.connect()
        assert connected  # accepted, so that the close can carry a code
        refused = await extra.receive_json_from(timeout=5)
        closed = await extra.receive_output(timeout=5)
        await extra.disconnect()  # the browser's side of the close
        # Another user is not affected by alice's sockets.
        other = communicator(his, bob_cookie)
        bob_connected, _ = await other.connect()
        await other.disconnect()
        # Closing one of alice's sockets frees its slot.
        await held.pop().disconnect()
        again = communicator(mine, alice_cookie)
        reconnected, _ = await again.connect()
        for comm in [*held, again]:
            await comm.disconnect()
        return refused, closed, bob_connected, reconnected

    refused, closed, bob_connected, reconnected = async_to_sync(scenario)()
    reason = (
        "too many open connections: at most 2 per user; "
        "close another tab of the lab and reload this one"
    )
    assert refused == {"t": "refused", "code": 4429, "reason": reason}
    assert closed == {"type": "websocket.close", "code": 4429, "reason": reason}
    assert bob_connected
    assert reconnected


def test_socket_slots_expire_on_their_own(settings):
    settings.KUBELAB_WS_MAX_PER_USER = 1
    t = 1_000_000.0
    assert limits.claim_socket(99, "a", now=t)
    assert not limits.claim_socket(99, "b", now=t + 1)
    # A server killed without closing its sockets frees them after SLOT_SECONDS.
    assert limits.claim_socket(99, "b", now=t + limits.SLOT_SECONDS + 1)


def test_the_socket_cap_of_zero_means_no_limit(settings):
    settings.KUBELAB_WS_MAX_PER_USER = 0
    assert all(limits.claim_socket(99, str(i)) for i in range(50))


# --- configuration ----------------------------------------------------------------------
def test_the_limits_come_from_the_environment(tmp_path):
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.KUBELAB_API_RATE, "
        "s.KUBELAB_API_BURST, s.KUBELAB_WS_MAX_PER_USER, s.KUBELAB_IDLE_PAUSE_HOURS, "
        "s.EMAIL_BACKEND)",
        SECRET_KEY="x" * 50,
        KUBELAB_VAR_DIR=str(tmp_path),
        KUBELAB_API_RATE="7.5",
        KUBELAB_API_BURST="30",
        KUBELAB_WS_MAX_PER_USER="4",
        KUBELAB_IDLE_PAUSE_HOURS="0.5",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "7.5",
        "30",
        "4",
        "0.5",
        "django.core.mail.backends.console.EmailBackend",
    ]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"KUBELAB_API_RATE": "-1"}, "KUBELAB_API_RATE must be 0 or more"),
        ({"KUBELAB_API_RATE": "fast"}, "KUBELAB_API_RATE must be a number"),
        ({"KUBELAB_WS_MAX_PER_USER": "many"}, "must be an integer"),
        ({"KUBELAB_IDLE_PAUSE_HOURS": "nan"}, "KUBELAB_IDLE_PAUSE_HOURS must be 0"),
    ],
)
def test_a_bad_limit_is_one_clear_line(env, expected, tmp_path):
    result = manage("check", SECRET_KEY="x" * 50, KUBELAB_VAR_DIR=str(tmp_path), **env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]


@pytest.mark.parametrize(
    ("rate", "burst", "words"),
    [
        (20, 100, "20 requests per second, bursts of 100"),
        (1, 3, "1 request per second, bursts of 3"),
        (0.5, 1, "0.5 requests per second, bursts of 1"),
    ],
)
def test_the_limit_is_described_in_words(settings, rate, burst, words):
    settings.KUBELAB_API_RATE, settings.KUBELAB_API_BURST = rate, burst
    assert limits.describe_rate() == words
