"""DefaultPreemption (PostFilter): evict lower-priority pods so a pod that fits nowhere can fit.

For candidate nodes it removes every lower-priority pod, checks the pod fits, then
puts victims back most important first while the pod still fits, leaving a minimal
set. The node whose victims matter least wins; the pod is nominated to it.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from cluster.scheduler import framework
from cluster.scheduler import status as st

NAME = "DefaultPreemption"
PREFIX = "preemption: "
MSG_NOT_HELPFUL = "Preemption is not helpful for scheduling"
MSG_NO_VICTIMS = "No preemption victims found for incoming pod"
MSG_POLICY_NEVER = "not eligible due to preemptionPolicy=Never."
MSG_TERMINATING_ON_NOMINATED = (
    "not eligible due to a terminating pod on the nominated node."
)
MIN_CANDIDATE_NODES_PERCENTAGE = 10
MIN_CANDIDATE_NODES_ABSOLUTE = 100
# Victim priorities are offset by MaxInt32 + 1 before summing, so negative ones count too.
PRIORITY_OFFSET = 2**31


@dataclass
class PostFilterResult:
    """The preemption outcome: a message for the FitError, or a nominated node and its victims."""

    message: str = ""
    node: int | None = None
    victims: list = field(default_factory=list)
    clear_nominations: list = field(default_factory=list)
    clear_own_nomination: bool = False
    statuses: dict = field(default_factory=dict)


def _importance(p, now: float) -> tuple:
    # MoreImportantPod: higher priority first, then the one that started earlier.
    return (-p.priority, p.start_time if p.start_time is not None else now)


def eligible(ctx, node_statuses: dict) -> tuple[bool, str]:
    """PodEligibleToPreemptOthers: policy Never, or a victim still terminating on the nominated node."""
    pod, snap = ctx.pod, ctx.snap
    if pod.preemption_policy == "Never":
        return False, MSG_POLICY_NEVER
    i = snap.index.get(pod.nominated_node)
    if i is not None:
        nominated_status = node_statuses.get(i)
        if nominated_status is not None and nominated_status.code == st.UNRESOLVABLE:
            return True, ""
        if any(
            p.priority < pod.priority and p.preempting_terminating for p in snap.pods[i]
        ):
            return False, MSG_TERMINATING_ON_NOMINATED
    return True, ""


def _fits(ctx, i: int) -> bool:
    probe = framework.CycleContext(ctx.pod, ctx.snap, ctx.listers, ctx.nominated)
    return framework.fits_on(probe, i).ok


def select_victims_on_node(ctx, i: int, now: float) -> tuple[list | None, st.Status]:
    """The minimal set of lower-priority pods to remove from node `i`, or why there is none."""
    pod, snap = ctx.pod, ctx.snap
    potential = [p for p in snap.pods[i] if p.priority < pod.priority]
    if not potential:
        return None, st.unresolvable(MSG_NO_VICTIMS)
    for p in potential:
        snap.remove_pod(p, i)
    removed = list(potential)
    try:
        probe = framework.CycleContext(pod, snap, ctx.listers, ctx.nominated)
        status = framework.fits_on(probe, i)
        if not status.ok:
            return None, status
        victims = []
        for p in sorted(potential, key=lambda p: _importance(p, now)):
            snap.add_pod(p, i)
            removed.remove(p)
            if not _fits(ctx, i):
                snap.remove_pod(p, i)
                removed.append(p)
                victims.append(p)
        return victims, st.Status()
    finally:
        for p in removed:
            snap.add_pod(p, i)


def num_candidates(num_nodes: int) -> int:
    """max(10% of the nodes, 100), at most all of them."""
    return min(
        max(
            num_nodes * MIN_CANDIDATE_NODES_PERCENTAGE // 100,
            MIN_CANDIDATE_NODES_ABSOLUTE,
        ),
        num_nodes,
    )


def pick_one_node(candidates: list, now: float) -> tuple[int, list]:
    """Fewest high-priority victims, then lowest priority sum, fewest victims, latest start."""
    for i, victims in candidates:
        if not victims:
            return i, victims

    def key(c):
        victims = c[1]
        top = max(v.priority for v in victims)
        earliest = min(
            v.start_time if v.start_time is not None else now
            for v in victims
            if v.priority == top
        )
        return (
            top,
            sum(v.priority + PRIORITY_OFFSET for v in victims),
            len(victims),
            -earliest,
        )

    return min(candidates, key=key)


def post_filter(
    ctx, node_statuses: dict, rng: random.Random, now: float
) -> PostFilterResult:
    """Try to make room for the pod by preempting lower-priority pods on one node."""
    pod, snap = ctx.pod, ctx.snap
    ok, msg = eligible(ctx, node_statuses)
    if not ok:
        return PostFilterResult(message=PREFIX + msg)
    potential = [
        i
        for i in range(snap.n)
        if node_statuses.get(i, st.Status(st.UNRESOLVABLE)).code != st.UNRESOLVABLE
    ]
    statuses: dict[int, st.Status] = {}
    candidates: list = []
    if potential:
        offset, wanted = rng.randrange(len(potential)), num_candidates(len(potential))
        for k in range(len(potential)):
            i = potential[(offset + k) % len(potential)]
            victims, status = select_victims_on_node(ctx, i, now)
            if victims is None:
                statuses[i] = status
                continue
            candidates.append((i, victims))
            if len(candidates) >= wanted:
                break
    if not candidates:
        counts = Counter()
        for s in statuses.values():
            for r in s.reasons:
                counts[r] += 1
        counts[MSG_NOT_HELPFUL] += snap.n - len(statuses)
        message = st.fit_error_message(snap.n, +counts)
        return PostFilterResult(
            message=PREFIX + message,
            clear_own_nomination=not potential and bool(pod.nominated_node),
            statuses=statuses,
        )
    node, victims = pick_one_node(candidates, now)
    lower = [
        p
        for p, j in ctx.nominated
        if j == node and p.priority < pod.priority and p.uid != pod.uid
    ]
    return PostFilterResult(node=node, victims=victims, clear_nominations=lower)
