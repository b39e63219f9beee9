"""kube-scheduler's loop for one tick: pop ready pods, schedule each, return the API calls.

`run` is the entry point the engine shell calls. Pods bound earlier in the same
run are assumed on their nodes, so later pods see the room they took. All state
that must outlive the tick is in the returned queue state.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from cluster.actions import Bind, Delete, Patch, RecordEvent, Ref
from cluster.scheduler import explain, framework
from cluster.scheduler import status as st
from cluster.scheduler.listers import Listers
from cluster.scheduler.plugins import default_preemption, volume_binding
from cluster.scheduler.podinfo import DEFAULT_SCHEDULER, parse_pod, pod_priority
from cluster.scheduler.queue import Queue
from cluster.scheduler.snapshot import Snapshot
from cluster.simtime import rfc3339

COMPONENT = DEFAULT_SCHEDULER
REASON_SCHEDULED = "Scheduled"
MSG_SCHEDULED = "Successfully assigned {namespace}/{name} to {node}"
REASON_FAILED_SCHEDULING = "FailedScheduling"
REASON_PREEMPTED = "Preempted"
MSG_PREEMPTED = "Preempted by pod {uid} on node {node}"
CONDITION_REASON_UNSCHEDULABLE = "Unschedulable"
CONDITION_REASON_SCHEDULER_ERROR = "SchedulerError"
DISRUPTION_REASON = "PreemptionByScheduler"
DISRUPTION_MESSAGE = "{scheduler}: preempting to accommodate a higher priority pod"
TERMINAL_PHASES = ("Succeeded", "Failed")


@dataclass
class SchedulerResult:
    """What one run asks for, the queue to persist, when to wake next, and the explanations."""

    actions: list = field(default_factory=list)
    queue_state: dict = field(default_factory=dict)
    next_wake: float | None = None
    decisions: dict = field(default_factory=dict)


def pod_ref(pod: dict) -> Ref:
    """The Ref of a pod object."""
    m = pod["metadata"]
    return Ref(
        "Pod", m.get("namespace") or "default", m["name"], "v1", m.get("uid", "")
    )


def responsible_for(pod: dict) -> bool:
    """A pending pod this scheduler must place: its schedulerName, unbound, not deleting, not gated."""
    spec, meta = pod.get("spec") or {}, pod.get("metadata") or {}
    return (
        (spec.get("schedulerName") or DEFAULT_SCHEDULER) == DEFAULT_SCHEDULER
        and not spec.get("nodeName")
        and not meta.get("deletionTimestamp")
        and not spec.get("schedulingGates")
        and (pod.get("status") or {}).get("phase") not in TERMINAL_PHASES
    )


def updated_conditions(pod: dict, condition: dict, now: float) -> list | None:
    """The pod's conditions with `condition` set (k8s UpdatePodCondition), or None if unchanged."""
    conditions = [dict(c) for c in (pod.get("status") or {}).get("conditions") or []]
    new = {
        "type": condition["type"],
        "status": condition["status"],
        "lastProbeTime": None,
        "lastTransitionTime": rfc3339(now),
    }
    new.update({k: v for k, v in condition.items() if k not in new})
    for k, old in enumerate(conditions):
        if old.get("type") == new["type"]:
            if old.get("status") == new["status"]:
                new["lastTransitionTime"] = old.get("lastTransitionTime")
            fields = (
                "status",
                "reason",
                "message",
                "lastProbeTime",
                "lastTransitionTime",
            )
            if all(old.get(f) == new.get(f) for f in fields):
                return None
            conditions[k] = new
            return conditions
    conditions.append(new)
    return conditions


def _failure_actions(
    pod: dict, message: str, reason: str, nominate: str | None, now: float
) -> list:
    """Event first, then the status patch (condition and nominatedNodeName), as handleSchedulingFailure does."""
    ref = pod_ref(pod)
    actions: list = [
        RecordEvent(
            ref,
            "Warning",
            REASON_FAILED_SCHEDULING,
            st.truncate_event_message(message),
            COMPONENT,
            extra={"action": "Scheduling"},
        )
    ]
    condition = {
        "type": "PodScheduled",
        "status": "False",
        "reason": reason,
        "message": message,
    }
    conditions = updated_conditions(pod, condition, now)
    current = (pod.get("status") or {}).get("nominatedNodeName") or ""
    patch: dict = {}
    if conditions is not None:
        patch["conditions"] = conditions
    if nominate is not None and nominate != current:
        patch["nominatedNodeName"] = nominate or None
    if patch:
        actions.append(Patch(ref, {"status": patch}, "status"))
    return actions


def _preemption_actions(preemptor, result, snap, now: float) -> list:
    """DisruptionTarget condition, delete and Preempted event per victim; lower nominations cleared."""
    node = snap.names[result.node]
    actions: list = []
    for victim in result.victims:
        ref = pod_ref(victim.obj)
        condition = {
            "type": "DisruptionTarget",
            "status": "True",
            "reason": DISRUPTION_REASON,
            "message": DISRUPTION_MESSAGE.format(scheduler=COMPONENT),
        }
        conditions = updated_conditions(victim.obj, condition, now)
        if conditions is not None:
            actions.append(Patch(ref, {"status": {"conditions": conditions}}, "status"))
        actions.append(Delete(ref, uid=victim.uid))
        actions.append(
            RecordEvent(
                ref,
                "Normal",
                REASON_PREEMPTED,
                MSG_PREEMPTED.format(uid=preemptor.uid, node=node),
                COMPONENT,
                extra={
                    "action": "Preempting",
                    "related": pod_ref(preemptor.obj).__dict__,
                },
            )
        )
    for other in result.clear_nominations:
        actions.append(
            Patch(pod_ref(other.obj), {"status": {"nominatedNodeName": None}}, "status")
        )
    return actions


def run(
    pods: list[dict],
    nodes: list[dict],
    *,
    queue_state: dict | None,
    now: float,
    rng: random.Random,
    events: list | None = None,
    pvcs=(),
    pvs=(),
    storage_classes=(),
    priority_classes=(),
    services=(),
    controllers=(),
    namespaces=(),
    percentage_of_nodes_to_score: int = 0,
    max_pods: int | None = None,
) -> SchedulerResult:
    """Schedule every pod whose turn has come; return actions, queue state, next wake and decisions."""
    listers = Listers.build(
        pvcs, pvs, storage_classes, services, controllers, priority_classes, namespaces
    )
    queue = Queue.from_state(queue_state)
    queue.observe(events or [], now)
    pending = {
        p["metadata"].get("uid") or p["metadata"]["name"]: p
        for p in pods
        if responsible_for(p)
    }
    queue.sync(
        pending,
        {u: pod_priority(p, listers.priority_classes) for u, p in pending.items()},
        now,
    )
    ready = queue.pop_ready(now, max_pods)
    result = SchedulerResult()
    if not ready:
        result.queue_state, result.next_wake = queue.to_state(), queue.next_wake(now)
        return result
    assigned = [
        parse_pod(p, listers.priority_classes)
        for p in pods
        if (p.get("spec") or {}).get("nodeName")
        and (p.get("status") or {}).get("phase") not in TERMINAL_PHASES
    ]
    snap = Snapshot(nodes, assigned, listers.ns_labels)
    infos = {u: parse_pod(pending[u], listers.priority_classes) for u in ready}
    nominated = []
    for u, p in pending.items():
        i = snap.index.get((p.get("status") or {}).get("nominatedNodeName") or "")
        if i is not None:
            nominated.append(
                (infos.get(u) or parse_pod(p, listers.priority_classes), i)
            )
    for uid in ready:
        actions, decision = _schedule(
            infos[uid],
            snap,
            listers,
            nominated,
            queue,
            rng,
            now,
            percentage_of_nodes_to_score,
        )
        result.actions += actions
        result.decisions[uid] = decision
    result.queue_state, result.next_wake = queue.to_state(), queue.next_wake(now)
    return result


def _schedule(
    pi, snap, listers, nominated, queue, rng, now, percentage
) -> tuple[list, dict]:
    """One scheduling cycle for one pod, with its bookkeeping in the snapshot and queue."""
    pod = pi.obj
    if snap.n == 0:
        queue.failed(pi.uid, now, [], error=True)
        msg = st.NO_NODES_REGISTERED
        # UnschedulableAndUnresolvable, not an error: the condition says Unschedulable.
        return _failure_actions(
            pod, msg, CONDITION_REASON_UNSCHEDULABLE, None, now
        ), explain.build(pi, snap, result=st.ERROR, node=None, message=msg)
    ctx = framework.CycleContext(pi, snap, listers, nominated)
    start = queue.next_start_node_index % snap.n
    num_to_find = framework.num_feasible_nodes_to_find(snap.n, percentage)
    outcome = framework.find_nodes_that_fit(ctx, start, percentage)
    queue.next_start_node_index = (start + outcome.processed) % snap.n
    if not len(outcome.feasible):
        return _unschedulable(ctx, outcome, queue, rng, now, start, num_to_find)
    scores = None
    if len(outcome.feasible) == 1:
        node = int(outcome.feasible[0])
    else:
        scores = framework.run_scores(ctx, outcome.feasible)
        node = int(outcome.feasible[framework.select_host(scores.total, rng)])
    node_name = snap.names[node]
    actions = volume_binding.pre_bind_actions(ctx, node)
    pi.node_name = node_name
    snap.add_pod(pi, node)
    nominated[:] = [(p, i) for p, i in nominated if p.uid != pi.uid]
    queue.done(pi.uid)
    ref = pod_ref(pod)
    actions.append(Bind(ref, node_name))
    message = MSG_SCHEDULED.format(namespace=pi.namespace, name=pi.name, node=node_name)
    actions.append(
        RecordEvent(
            ref,
            "Normal",
            REASON_SCHEDULED,
            message,
            COMPONENT,
            extra={"action": "Binding"},
        )
    )
    decision = explain.build(
        pi,
        snap,
        result=REASON_SCHEDULED,
        node=node,
        message=message,
        outcome=outcome,
        scores=scores,
        start=start,
        num_to_find=num_to_find,
    )
    return actions, decision


def _unschedulable(
    ctx, outcome, queue, rng, now, start, num_to_find
) -> tuple[list, dict]:
    """FitError handling: preemption, then the FailedScheduling event and condition."""
    pi, snap = ctx.pod, ctx.snap
    statuses = outcome.node_statuses(snap.n)
    post = default_preemption.post_filter(ctx, statuses, rng, now)
    counts = st.count_reasons([(s, 1) for s in statuses.values()])
    pre_msg = outcome.pre_filter_status.message if outcome.pre_filter_status else ""
    message = st.fit_error_message(snap.n, counts, pre_msg, post.message)
    actions: list = []
    nominate: str | None = None
    preemption: dict = {"message": post.message}
    if post.node is not None:
        actions += _preemption_actions(pi, post, snap, now)
        nominate = snap.names[post.node]
        ctx.nominated[:] = [(p, i) for p, i in ctx.nominated if p.uid != pi.uid] + [
            (pi, post.node)
        ]
        preemption.update(nominatedNode=nominate, victims=[v.key for v in post.victims])
    elif post.clear_own_nomination:
        nominate = ""
    actions += _failure_actions(
        pi.obj, message, CONDITION_REASON_UNSCHEDULABLE, nominate, now
    )
    plugins = {s.plugin for s in statuses.values() if s.plugin}
    queue.failed(pi.uid, now, sorted(plugins))
    decision = explain.build(
        pi,
        snap,
        result=CONDITION_REASON_UNSCHEDULABLE,
        node=None,
        message=message,
        outcome=outcome,
        start=start,
        num_to_find=num_to_find,
        preemption=preemption,
    )
    return actions, decision
