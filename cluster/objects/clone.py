"""Deep copies of objects held as plain JSON dicts."""

from __future__ import annotations

import copy
import marshal


def clone(obj):
    """A deep copy of JSON-shaped data (dicts, lists, strings, numbers, None).

    A marshal round trip is about ten times faster than `copy.deepcopy` on such data,
    which matters where every tick and every write copies objects; anything marshal
    cannot carry falls back to `copy.deepcopy`.
    """
    try:
        return marshal.loads(marshal.dumps(obj))
    except ValueError:
        return copy.deepcopy(obj)
