"""PrioritySort: the active queue pops higher `spec.priority` first, then the earlier enqueued."""

from __future__ import annotations

NAME = "PrioritySort"


def sort_key(priority: int, timestamp: float, uid: str) -> tuple:
    """Key under which the pod with the smallest key is popped first."""
    return (-priority, timestamp, uid)
