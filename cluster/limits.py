"""Per-caller limits kept in Redis, so every web process counts against the same budget.

- Request rate: each caller (a kubectl token, a REST user) has a token bucket holding
  up to KUBELAB_API_BURST requests, refilled at KUBELAB_API_RATE per second.
- Open WebSockets: each user holds at most KUBELAB_WS_MAX_PER_USER connection slots.

A limit is a guard against one student starving the host, not a security boundary:
when Redis cannot be reached the request is let through rather than refused.
"""

from __future__ import annotations

import functools
import logging
import math
import time

import redis
from django.conf import settings

log = logging.getLogger(__name__)

# A slot expires on its own after this long, so a server killed without closing its
# sockets frees its users' slots; a connection open longer simply stops counting.
SLOT_SECONDS = 3600

# KEYS[1] the bucket; ARGV: rate per second, capacity, now. Returns the seconds to wait
# before a request would be allowed ("0" when this one is).
_TAKE = """
local rate, capacity, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(math.max(at, now)))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return tostring(wait)
"""

# KEYS[1] the user's slots; ARGV: slot id, limit, now, expiry. 1 when the slot is taken.
_CLAIM = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


@functools.lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2)


@functools.lru_cache(maxsize=4)
def _scripts(url: str):
    client = _client(url)
    return client.register_script(_TAKE), client.register_script(_CLAIM)


def rate() -> float:
    return float(getattr(settings, "KUBELAB_API_RATE", 0) or 0)


def burst() -> int:
    return max(1, int(getattr(settings, "KUBELAB_API_BURST", 1) or 1))


def describe_rate() -> str:
    """The limit in words, for refusals (`20 requests per second, bursts of 100`)."""
    per_second = rate()
    noun = "request" if per_second == 1 else "requests"
    return f"{per_second:g} {noun} per second, bursts of {burst()}"


def take(caller: str, now: float | None = None) -> float:
    """Spend one request of `caller`'s bucket: 0 when allowed, else seconds to wait."""
    per_second = rate()
    if per_second <= 0:
        return 0.0
    now = time.time() if now is None else now
    take_script, _ = _scripts(settings.REDIS_URL)
    try:
        wait = float(
            take_script(
                keys=[f"kubelab:rate:{caller}"], args=[per_second, burst(), now]
            )
        )
    except (redis.RedisError, OSError):
        log.warning("rate limit unavailable (Redis); letting %s through", caller)
        return 0.0
    return wait


def retry_after(wait: float) -> int:
    """Whole seconds for a `Retry-After` header (at least 1)."""
    return max(1, math.ceil(wait))


def max_sockets() -> int:
    return int(getattr(settings, "KUBELAB_WS_MAX_PER_USER", 0) or 0)


def claim_socket(user_id: int, slot: str, now: float | None = None) -> bool:
    """Hold one of the user's WebSocket slots; False when all are taken."""
    limit = max_sockets()
    if limit <= 0:
        return True
    now = time.time() if now is None else now
    _, claim_script = _scripts(settings.REDIS_URL)
    try:
        return bool(
            claim_script(
                keys=[f"kubelab:sockets:{user_id}"],
                args=[slot, limit, now, now + SLOT_SECONDS, SLOT_SECONDS],
            )
        )
    except (redis.RedisError, OSError):
        log.warning("socket limit unavailable (Redis); letting user %s in", user_id)
        return True


def release_socket(user_id: int, slot: str) -> None:
    """Give the slot back (a closed connection)."""
    try:
        _client(settings.REDIS_URL).zrem(f"kubelab:sockets:{user_id}", slot)
    except (redis.RedisError, OSError):
        log.warning("could not release a socket slot of user %s", user_id)
