"""Shared score normalisation and toleration matching used by several plugins."""

from __future__ import annotations

import numpy as np

MAX_NODE_SCORE = 100


def default_normalize(raw: np.ndarray, reverse: bool = False) -> np.ndarray:
    """k8s DefaultNormalizeScore: scale to 0..100 by the maximum, optionally reversed."""
    top = int(raw.max()) if len(raw) else 0
    if top == 0:
        return (
            np.full(len(raw), MAX_NODE_SCORE, dtype=np.int64) if reverse else raw.copy()
        )
    scaled = MAX_NODE_SCORE * raw // top
    return MAX_NODE_SCORE - scaled if reverse else scaled


def tolerates(toleration: dict, taint: tuple) -> bool:
    """Whether one toleration tolerates a (key, value, effect) taint."""
    key, value, effect = taint
    t_effect = toleration.get("effect") or ""
    if t_effect and t_effect != effect:
        return False
    t_key = toleration.get("key") or ""
    if t_key and t_key != key:
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    if op == "Equal":
        return (toleration.get("value") or "") == value
    return False


def tolerated(tolerations: list, taint: tuple) -> bool:
    """Whether any of the tolerations tolerates the taint."""
    return any(tolerates(t, taint) for t in tolerations)
