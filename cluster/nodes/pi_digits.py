"""Digits of pi for the Job tutorial's `perl -Mbignum=bpi -wle 'print bpi(2000)'`.

Machin's formula in integer arithmetic, rounded half-to-even to `digits`
significant digits as Math::BigFloat's bpi rounds, cached because every run of the
Job prints the same number.
"""

from __future__ import annotations

from functools import lru_cache

# Enough digits for any sane request; bpi(N) beyond this is refused, not computed.
MAX_DIGITS = 20_000
_GUARD = 10


def _arctan_inverse(x: int, scale: int) -> int:
    """arctan(1/x) * scale, by its Taylor series on integers."""
    total = term = scale // x
    x2, n, sign = x * x, 1, 1
    while term:
        term //= x2
        n += 2
        sign = -sign
        total += sign * (term // n)
    return total


@lru_cache(maxsize=8)
def pi(digits: int) -> str:
    """Pi to `digits` significant digits, as `3.1415…`."""
    if not 1 <= digits <= MAX_DIGITS:
        raise ValueError(f"digits must be between 1 and {MAX_DIGITS}")
    scale = 10 ** (digits - 1 + _GUARD)
    value = 4 * (4 * _arctan_inverse(5, scale) - _arctan_inverse(239, scale))
    whole, rest = divmod(value, 10**_GUARD)
    half = 10**_GUARD // 2
    if rest > half or (rest == half and whole % 2):
        whole += 1
    text = str(whole)
    return text[0] + ("." + text[1:] if len(text) > 1 else "")
