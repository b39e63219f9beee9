"""Settings come from the environment; bad configuration fails fast with one line."""

from __future__ import annotations

import secrets
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import database_from_url, env_bool, env_int, redis_url
from tests.conftest import ROOT

GOOD_KEY = secrets.token_urlsafe(50)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "SECRET_KEY is not set"),
        (
            {"SECRET_KEY": GOOD_KEY, "DATABASE_URL": "mysql://u@h/db"},
            "DATABASE_URL must start",
        ),
        (
            {"SECRET_KEY": GOOD_KEY, "DATABASE_URL": "postgres://u:p@"},
            "names no database",
        ),
        ({"SECRET_KEY": GOOD_KEY, "DATABASE_URL": "::::"}, "DATABASE_URL"),
        (
            {"SECRET_KEY": GOOD_KEY, "REDIS_URL": "http://h:1"},
            "REDIS_URL must look like",
        ),
        ({"SECRET_KEY": GOOD_KEY, "DEBUG": "maybe"}, "DEBUG must be a boolean"),
        ({"SECRET_KEY": GOOD_KEY, "K8S_PORT": "six"}, "K8S_PORT must be an integer"),
    ],
)
def test_bad_configuration_is_one_clear_line(env, expected, tmp_path):
    result = manage("check", KUBELAB_VAR_DIR=str(tmp_path), **env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_unreachable_redis_url_fails_the_lab_fast(tmp_path):
    result = manage(
        "lab",
        "--port",
        "18099",
        "--no-demo",
        SECRET_KEY=GOOD_KEY,
        KUBELAB_VAR_DIR=str(tmp_path),
        REDIS_URL="redis://127.0.0.1:1/0",
        K8S_PORT="18098",
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "CommandError: REDIS_URL redis://127.0.0.1:1/0 is unreachable"
    ]


def test_check_deploy_is_clean_with_debug_off(tmp_path):
    result = manage(
        "check", "--deploy", SECRET_KEY=GOOD_KEY, KUBELAB_VAR_DIR=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("On", True),
        ("0", False),
        ("no", False),
        ("", False),
    ],
)
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG") is expected


def test_env_int_rejects_words(monkeypatch):
    monkeypatch.setenv("N", "12")
    assert env_int("N", 1) == 12
    monkeypatch.setenv("N", "twelve")
    with pytest.raises(ImproperlyConfigured, match="N must be an integer"):
        env_int("N", 1)


def test_database_url_selects_postgresql():
    config = database_from_url("postgres://kube:pw@db.example:5433/lab")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == (
        "db.example",
        5433,
        "lab",
    )
    assert config["OPTIONS"]["options"] == "-c synchronous_commit=off"


def test_postgresql_sessions_commit_without_waiting_for_the_flush(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("runs on PostgreSQL (DATABASE_URL)")
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://cache:6380", "unix:///run/redis.sock"]
)
def test_redis_url_accepts_tcp_tls_and_unix(url):
    assert redis_url(url) == url
