"""Typed reads of environment variables; a bad value is one clear ImproperlyConfigured line."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (1/0, true/false), not {raw!r}"
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """A DATABASES entry for `DATABASE_URL`; only PostgreSQL and SQLite are supported."""
    import dj_database_url

    scheme = urlsplit(url).scheme
    if scheme not in ("postgres", "postgresql", "pgsql", "sqlite"):
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres:// or sqlite://, got {url!r}"
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # dj-database-url raises several types on garbage
        raise ImproperlyConfigured(
            f"DATABASE_URL is malformed ({exc}): {url!r}"
        ) from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"DATABASE_URL names no database: {url!r}")
    if config["ENGINE"] == "django.db.backends.postgresql":
        # A commit does not wait for its WAL flush, as SQLite's WAL with
        # synchronous=NORMAL does not: a crash may lose the last moments of a
        # simulation, never its consistency, and creates run about twice as fast.
        options = config.setdefault("OPTIONS", {})
        extra = options.get("options", "")
        options["options"] = f"{extra} -c synchronous_commit=off".strip()
    return config


def redis_url(url: str) -> str:
    """Validate `REDIS_URL` (redis://, rediss:// or unix://)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix") or not (
        parts.hostname or parts.path
    ):
        raise ImproperlyConfigured(
            f"REDIS_URL must look like redis://host:port/0 or unix:///path, got {url!r}"
        )
    return url
