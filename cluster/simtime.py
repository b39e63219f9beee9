"""Simulated time: each cluster has its own clock, measured in seconds since the Unix epoch.

Timestamps inside objects are RFC 3339 strings with second precision (`2026-11-23T01:30:00Z`),
as the API server writes them; MicroTime fields keep microseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime

SPEEDS = (0, 1, 2, 10, 60)


def rfc3339(t: float) -> str:
    """An API `Time`: whole seconds, UTC, `Z` suffix."""
    return datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(t: float) -> str:
    """An API `MicroTime` (Lease renewTime, events.k8s.io eventTime)."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_rfc3339(s: str | None) -> float | None:
    """Seconds since the epoch for an API timestamp, or None when it is absent."""
    if not s:
        return None
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def clock_now(
    sim_anchor: float, wall_anchor: float, speed: float, wall_now: float
) -> float:
    """The cluster's time: the anchor plus wall time elapsed since, scaled by speed."""
    return sim_anchor + max(0.0, wall_now - wall_anchor) * speed


def human_duration(seconds: float) -> str:
    """kubectl's short age (`5s`, `3m20s`, `2d3h`), as printed in AGE columns."""
    s = int(max(0, seconds))
    if s < 60 * 2:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 60 * 3:
        return f"{m}m"
    h = m // 60
    if h < 8:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if h < 48:
        return f"{h}h"
    d = h // 24
    if h < 24 * 8:
        return f"{d}d{h % 24}h" if h % 24 else f"{d}d"
    if d < 365 * 2:
        return f"{d}d"
    y = d // 365
    if d < 365 * 8:
        return f"{y}y{d % 365}d" if d % 365 else f"{y}y"
    return f"{y}y"
