"""Plugin results and the FitError message kube-scheduler writes when no node fits.

Codes mirror the framework's: a node rejected `Unschedulable` may be helped by
preemption, one rejected `UnschedulableAndUnresolvable` may not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

SUCCESS = "Success"
ERROR = "Error"
UNSCHEDULABLE = "Unschedulable"
UNRESOLVABLE = "UnschedulableAndUnresolvable"
SKIP = "Skip"

NO_NODE_AVAILABLE = "0/{n} nodes are available:"
NO_NODES_REGISTERED = "no nodes available to schedule pods"
# An event message longer than this is cut and ends with " ..." (k8s truncateMessage).
EVENT_MESSAGE_LIMIT = 1024


@dataclass(frozen=True)
class Status:
    """The verdict of one plugin: a code, its reasons and the plugin that gave it."""

    code: str = SUCCESS
    reasons: tuple[str, ...] = ()
    plugin: str = ""

    @property
    def ok(self) -> bool:
        return self.code == SUCCESS

    @property
    def rejected(self) -> bool:
        return self.code in (UNSCHEDULABLE, UNRESOLVABLE)

    @property
    def message(self) -> str:
        return ", ".join(self.reasons)

    def to_dict(self) -> dict:
        """The JSON form shown in explanations."""
        return {"code": self.code, "reasons": list(self.reasons), "plugin": self.plugin}


def unschedulable(*reasons: str, plugin: str = "") -> Status:
    """A rejection that preemption might resolve."""
    return Status(UNSCHEDULABLE, tuple(reasons), plugin)


def unresolvable(*reasons: str, plugin: str = "") -> Status:
    """A rejection that preemption cannot resolve."""
    return Status(UNRESOLVABLE, tuple(reasons), plugin)


def fit_error_message(
    num_all_nodes: int,
    reason_counts: Counter,
    pre_filter_msg: str = "",
    post_filter_msg: str = "",
) -> str:
    """`0/N nodes are available: <count reason>, ... .` plus the PostFilter message."""
    msg = NO_NODE_AVAILABLE.format(n=num_all_nodes)
    if pre_filter_msg:
        msg += f" {pre_filter_msg}."
    else:
        # Go sorts the "<count> <reason>" strings themselves, so "10 x" sorts before "2 y".
        parts = sorted(f"{count} {reason}" for reason, count in reason_counts.items())
        if parts:
            msg += f" {', '.join(parts)}."
    if post_filter_msg:
        msg += f" {post_filter_msg}"
    return msg


def count_reasons(statuses: list[tuple[Status, int]]) -> Counter:
    """Histogram of reasons over nodes, from (status, number of nodes with it) pairs."""
    counts: Counter = Counter()
    for status, n in statuses:
        for reason in status.reasons:
            counts[reason] += n
    return counts


def truncate_event_message(msg: str) -> str:
    """Cut a message to the event limit the way the scheduler does."""
    if len(msg) <= EVENT_MESSAGE_LIMIT:
        return msg
    return msg[: EVENT_MESSAGE_LIMIT - 4] + " ..."
