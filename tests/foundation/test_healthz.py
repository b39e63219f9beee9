"""/healthz reports each dependency, with a real Redis, channel layer and Celery worker."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def test_healthz_is_ok_when_every_dependency_answers(client, celery_worker_process):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "redis": "ok",
            "channel_layer": "ok",
            "celery": "ok",
        },
    }
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_without_a_celery_worker(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["celery"] == "no worker answered"
    assert body["checks"]["redis"] == "ok"
    assert body["checks"]["channel_layer"] == "ok"


def test_healthz_is_503_when_redis_is_gone(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "unreachable"
