"""Kubernetes resource quantities (`500m`, `1.5`, `64Mi`, `1G`, `1e3`).

CPU is handled in millicores and everything else in bytes (or units), both as ints,
rounding up as the API server does when it canonicalises a quantity.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

_SUFFIXES = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}
_QUANTITY = re.compile(
    r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$"
)

# The message the API server gives for a malformed quantity (apimachinery resource.ErrFormatWrong).
QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"


class InvalidQuantity(ValueError):
    pass


def parse(value: str | int | float) -> Decimal:
    """The exact value of a quantity, in base units."""
    if isinstance(value, bool):
        raise InvalidQuantity(QUANTITY_FORMAT_ERROR)
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    m = _QUANTITY.match(str(value).strip())
    if not m:
        raise InvalidQuantity(QUANTITY_FORMAT_ERROR)
    number, exponent, suffix = m.groups()
    try:
        base = Decimal(number)
    except InvalidOperation as exc:  # pragma: no cover - the regex guards this
        raise InvalidQuantity(QUANTITY_FORMAT_ERROR) from exc
    if exponent:
        return base * (Decimal(10) ** int(exponent[1:]))
    return base * _SUFFIXES[suffix or ""]


def is_valid(value) -> bool:
    try:
        parse(value)
    except InvalidQuantity:
        return False
    return True


def millicores(value: str | int | float | None) -> int:
    """CPU in millicores, rounded up (`0.1` → 100, `1` → 1000)."""
    if value in (None, ""):
        return 0
    return math.ceil(parse(value) * 1000)


def to_int(value: str | int | float | None) -> int:
    """Memory, storage or a count in whole units, rounded up."""
    if value in (None, ""):
        return 0
    return math.ceil(parse(value))


def format_millicores(m: int) -> str:
    """CPU as kubectl prints it: `250m`, or whole cores as `2`."""
    return str(m // 1000) if m % 1000 == 0 else f"{m}m"


def format_bytes(n: int) -> str:
    """Memory in the largest binary suffix that divides it (`64Mi`), as the API canonicalises."""
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        unit = int(_SUFFIXES[suffix])
        if n and n % unit == 0:
            return f"{n // unit}{suffix}"
    return str(n)


BINARY_SUFFIXES = ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
_DECIMAL_EXPONENTS = (
    ("E", 18),
    ("P", 15),
    ("T", 12),
    ("G", 9),
    ("M", 6),
    ("k", 3),
    ("", 0),
    ("m", -3),
    ("u", -6),
    ("n", -9),
)


def to_string(value: Decimal, binary: bool = False) -> str:
    """A quantity as resource.Quantity.String() prints it: `1536`, `2Gi`, `1500m`, `2k`
    (binary suffixes only for a value written with one that they divide exactly)."""
    if binary and value == value.to_integral_value() and abs(value) >= 1024:
        for suffix in reversed(BINARY_SUFFIXES):
            unit = _SUFFIXES[suffix]
            if value % unit == 0:
                return f"{int(value / unit)}{suffix}"
        return str(int(value))
    for suffix, exp in _DECIMAL_EXPONENTS:
        scaled = value / (Decimal(10) ** exp)
        if scaled == scaled.to_integral_value() and (scaled or not exp):
            return f"{int(scaled)}{suffix}"
    return f"{int((value * Decimal(10) ** 9).to_integral_value('ROUND_CEILING'))}n"


def canonical(value) -> str:
    """A quantity as the API server stores it (`2000m` -> `2`, `1024Mi` -> `1Gi`)."""
    text = str(value).strip()
    return to_string(parse(value), text.endswith(BINARY_SUFFIXES))
