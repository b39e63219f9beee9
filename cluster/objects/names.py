"""Object names as Kubernetes generates them."""

from __future__ import annotations

import random

# apimachinery pkg/util/rand: no vowels, no 0/1/3, so generated names spell no words.
ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"
MAX_GENERATED_NAME_LENGTH = 58  # 63 minus the 5 random characters


def random_suffix(rng: random.Random, n: int = 5) -> str:
    return "".join(rng.choice(ALPHANUMS) for _ in range(n))


def generate_name(base: str, rng: random.Random) -> str:
    """`generateName` semantics: base truncated to 58 chars plus 5 random characters."""
    return base[:MAX_GENERATED_NAME_LENGTH] + random_suffix(rng)


def safe_encode_string(s: str) -> str:
    """apimachinery rand.SafeEncodeString: map each hex digit onto the alphabet (used for hashes)."""
    return "".join(ALPHANUMS[ord(c) % len(ALPHANUMS)] for c in s)


def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h
