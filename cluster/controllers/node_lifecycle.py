"""Node lifecycle controller (`node-controller`): node health, taints by condition, eviction.

A node's health signal is the newer of its Lease renewal (`kube-node-lease`) and its
Ready condition's heartbeat. Past the grace period the controller marks the node's
conditions Unknown, taints it, and marks its pods not ready; the taint-eviction
controller then deletes pods whose tolerations of the NoExecute taints run out.

Simplifications: taints are added at once (no per-zone rate limiter or zone
disruption states). What it remembers between runs (`remembered`) is which nodes
its monitor has seen and which pods had a deletion pending, for the events the
real controllers emit from their caches.
"""

from __future__ import annotations

import random

from cluster.actions import Action, Delete, Patch, RecordEvent, Ref
from cluster.controllers.meta import event, objects, ref_of
from cluster.objects import pods as podutil
from cluster.simtime import parse_rfc3339, rfc3339

COMPONENT = "node-controller"
EVICTION_COMPONENT = "taint-eviction-controller"

# kube-controller-manager --node-monitor-grace-period (50 s since 1.32, PR #126287).
NODE_MONITOR_GRACE_PERIOD = 50.0
NODE_STARTUP_GRACE_PERIOD = 60.0
LEASE_NAMESPACE = "kube-node-lease"
# The controller manager's own leader Lease: when its leader took over is when its node
# monitor first saw every node.
LEADER_LEASE = ("kube-system", "kube-controller-manager")
MONITORED_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")

REASON_STATUS_UNKNOWN = "NodeStatusUnknown"
MESSAGE_STATUS_UNKNOWN = "Kubelet stopped posting node status."
REASON_NEVER_UPDATED = "NodeStatusNeverUpdated"
MESSAGE_NEVER_UPDATED = "Kubelet never posted node status."
REASON_REGISTERED_NODE = "RegisteredNode"
MESSAGE_REGISTERED_NODE = "Node {node} event: Registered Node {node} in Controller"
REASON_REMOVING_NODE = "RemovingNode"
MESSAGE_REMOVING_NODE = "Node {node} event: Removing Node {node} from Controller"
REASON_NODE_NOT_READY = "NodeNotReady"
MESSAGE_POD_NODE_NOT_READY = "Node is not ready"
REASON_TAINT_EVICTION = "TaintManagerEviction"
REASON_DELETION_BY_TAINT_MANAGER = "DeletionByTaintManager"
MESSAGE_DELETION_BY_TAINT_MANAGER = "Taint manager: deleting due to NoExecute taint"

TAINT_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
TAINT_MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure"
TAINT_DISK_PRESSURE = "node.kubernetes.io/disk-pressure"
TAINT_PID_PRESSURE = "node.kubernetes.io/pid-pressure"
TAINT_NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"

# TaintNodesByCondition: (condition type, status) -> NoSchedule taint key.
_NO_SCHEDULE_BY_CONDITION = {
    ("Ready", "False"): TAINT_NOT_READY,
    ("Ready", "Unknown"): TAINT_UNREACHABLE,
    ("MemoryPressure", "True"): TAINT_MEMORY_PRESSURE,
    ("DiskPressure", "True"): TAINT_DISK_PRESSURE,
    ("PIDPressure", "True"): TAINT_PID_PRESSURE,
    ("NetworkUnavailable", "True"): TAINT_NETWORK_UNAVAILABLE,
}
_NO_EXECUTE_BY_READY = {"False": TAINT_NOT_READY, "Unknown": TAINT_UNREACHABLE}
_MANAGED = {(k, "NoSchedule") for k in _NO_SCHEDULE_BY_CONDITION.values()} | {
    (TAINT_UNSCHEDULABLE, "NoSchedule"),
    (TAINT_NOT_READY, "NoExecute"),
    (TAINT_UNREACHABLE, "NoExecute"),
}


def sync(view: dict, now: float, rng: random.Random) -> list[Action]:
    """Monitor every node's health, then evict pods from NoExecute-tainted nodes."""
    leases = {
        podutil.name(lease): lease
        for lease in objects(view, "Lease")
        if podutil.namespace(lease) == LEASE_NAMESPACE
    }
    pods_by_node = _pods_by_node(view)
    since = observing_since(view)
    actions: list[Action] = []
    nodes = sorted(objects(view, "Node"), key=podutil.name)
    for node in nodes:
        actions += reconcile_node(
            node,
            leases.get(podutil.name(node)),
            pods_by_node.get(podutil.name(node), []),
            now,
            since,
        )
    for node in nodes:
        actions += evict_pods(node, pods_by_node.get(podutil.name(node), []), now)
    return actions


def remembered(
    view: dict, memory: dict | None, now: float
) -> tuple[list[Action], dict]:
    """What needs the last run's memory: RegisteredNode for each node the monitor sees
    first since its process took the leader Lease (so again after every restart or
    hand-over), RemovingNode for each node gone since, and `Cancelling deletion` for
    each pod whose eviction was pending and no longer is. Returns the events and what
    to remember for the next run."""
    since = observing_since(view)
    memory = memory or {}
    fresh = memory.get("since") != since
    known: dict[str, str] = {} if fresh else dict(memory.get("nodes") or {})
    nodes = {podutil.name(n): n for n in objects(view, "Node")}
    actions: list[Action] = []
    for name in sorted(set(nodes) - set(known)):
        actions.append(
            event(
                nodes[name],
                "Normal",
                REASON_REGISTERED_NODE,
                MESSAGE_REGISTERED_NODE.format(node=name),
                COMPONENT,
                "Node",
            )
        )
    for name in sorted(set(known) - set(nodes)):
        actions.append(
            RecordEvent(
                Ref("Node", None, name, "v1", known[name]),
                "Normal",
                REASON_REMOVING_NODE,
                MESSAGE_REMOVING_NODE.format(node=name),
                COMPONENT,
            )
        )
    pending = pending_evictions(view)
    for uid, (namespace, name, due) in sorted(
        (memory.get("evicting") or {}).items(), key=lambda kv: kv[1]
    ):
        if fresh or uid in pending:
            continue
        pod = next((p for p in objects(view, "Pod") if podutil.uid(p) == uid), None)
        if (pod is None and due <= now) or (pod and podutil.is_terminating(pod)):
            continue  # carried out: the pod was marked for deletion
        actions.append(
            RecordEvent(
                Ref("Pod", namespace, name, "v1", uid),
                "Normal",
                REASON_TAINT_EVICTION,
                f"Cancelling deletion of Pod {namespace}/{name}",
                EVICTION_COMPONENT,
            )
        )
    return actions, {
        "since": since,
        "nodes": {name: podutil.uid(n) for name, n in nodes.items()},
        "evicting": pending,
    }


def pending_evictions(view: dict) -> dict[str, list]:
    """The pods the taint-eviction controller has a deletion queued for, by uid:
    namespace, name and when it is due; not yet marked for deletion."""
    out: dict[str, list] = {}
    nodes = {podutil.name(n): n for n in objects(view, "Node")}
    for name, pods in _pods_by_node(view).items():
        taints = _no_execute_taints(nodes.get(name) or {})
        for pod in pods:
            due = eviction_time(pod, taints)
            if due is not None and not podutil.is_terminating(pod):
                meta = [podutil.namespace(pod) or "", podutil.name(pod), due]
                out[podutil.uid(pod)] = meta
    return out


def next_wake(view: dict, now: float, memory: dict | None = None) -> float | None:
    """The earliest grace-period expiry or toleration expiry still ahead."""
    leases = {
        podutil.name(lease): lease
        for lease in objects(view, "Lease")
        if podutil.namespace(lease) == LEASE_NAMESPACE
    }
    pods_by_node = _pods_by_node(view)
    since = observing_since(view)
    times = []
    for node in objects(view, "Node"):
        ready = podutil.condition(node, "Ready")
        if not ready or ready.get("status") != "Unknown":
            times.append(health_deadline(node, leases.get(podutil.name(node)), since))
        taints = _no_execute_taints(node)
        for pod in pods_by_node.get(podutil.name(node), []):
            due = eviction_time(pod, taints)
            if due is not None and not podutil.is_terminating(pod):
                times.append(due)
    ahead = [t for t in times if t > now]
    return min(ahead) if ahead else None


def observing_since(view: dict) -> float | None:
    """When the running controller manager took its leader Lease, if it holds one."""
    for lease in objects(view, "Lease"):
        if (podutil.namespace(lease), podutil.name(lease)) == LEADER_LEASE:
            return parse_rfc3339((lease.get("spec") or {}).get("acquireTime"))
    return None


def health_deadline(
    node: dict, lease: dict | None, observing_since: float | None = None
) -> float:
    """When the node's conditions turn Unknown unless the kubelet reports again.

    A node monitor that has just started (or taken over) first sees every node at that
    moment, and the real one's probe timestamps start there: a node that fell silent
    while no controller manager ran gets a whole grace period from `observing_since`.
    """
    ready = podutil.condition(node, "Ready")
    probes = [parse_rfc3339((lease or {}).get("spec", {}).get("renewTime"))]
    if ready:
        probes.append(parse_rfc3339(ready.get("lastHeartbeatTime")))
    probes = [p for p in probes if p is not None]
    if not ready and not probes:
        created = parse_rfc3339(node["metadata"].get("creationTimestamp")) or 0.0
        return created + NODE_STARTUP_GRACE_PERIOD
    if observing_since is not None:
        probes.append(observing_since)
    return max(probes or [0.0]) + NODE_MONITOR_GRACE_PERIOD


def stale_conditions(
    node: dict, lease: dict | None, now: float, observing_since: float | None = None
) -> list[dict] | None:
    """The node's conditions with the monitored ones set Unknown, None while healthy."""
    if now < health_deadline(node, lease, observing_since):
        return None
    conditions = [dict(c) for c in (node.get("status") or {}).get("conditions") or []]
    by_type = {c["type"]: c for c in conditions}
    changed = False
    for type_ in MONITORED_CONDITIONS:
        c = by_type.get(type_)
        if c is None:
            conditions.append(
                {
                    "type": type_,
                    "status": "Unknown",
                    "lastHeartbeatTime": node["metadata"].get("creationTimestamp"),
                    "lastTransitionTime": rfc3339(now),
                    "reason": REASON_NEVER_UPDATED,
                    "message": MESSAGE_NEVER_UPDATED,
                }
            )
            changed = True
        elif c.get("status") != "Unknown":
            c.update(
                status="Unknown",
                lastTransitionTime=rfc3339(now),
                reason=REASON_STATUS_UNKNOWN,
                message=MESSAGE_STATUS_UNKNOWN,
            )
            changed = True
    return conditions if changed else None


def desired_taints(node: dict, now: float) -> list[dict]:
    """The node's taints with the condition-driven ones added or removed."""
    spec = node.get("spec") or {}
    status = {c["type"]: c.get("status") for c in _conditions(node)}
    wanted = [
        (key, "NoSchedule")
        for (type_, value), key in _NO_SCHEDULE_BY_CONDITION.items()
        if status.get(type_) == value
    ]
    if spec.get("unschedulable"):
        wanted.append((TAINT_UNSCHEDULABLE, "NoSchedule"))
    if status.get("Ready") in _NO_EXECUTE_BY_READY:
        wanted.append((_NO_EXECUTE_BY_READY[status["Ready"]], "NoExecute"))
    current = list(spec.get("taints") or [])
    kept = [
        t
        for t in current
        if (t["key"], t["effect"]) not in _MANAGED or (t["key"], t["effect"]) in wanted
    ]
    present = {(t["key"], t["effect"]) for t in kept}
    for key, effect in wanted:
        if (key, effect) in present:
            continue
        taint = {"key": key, "effect": effect}
        if effect == "NoExecute":
            # The eviction countdown of tolerating pods starts here.
            taint["timeAdded"] = rfc3339(now)
        kept.append(taint)
    return kept


def reconcile_node(
    node: dict,
    lease: dict | None,
    pods: list[dict],
    now: float,
    observing_since: float | None = None,
) -> list[Action]:
    """Status, taints, the NodeNotReady event and pod readiness for one node."""
    actions: list[Action] = []
    old_ready = (podutil.condition(node, "Ready") or {}).get("status")
    conditions = stale_conditions(node, lease, now, observing_since)
    if conditions is not None:
        actions.append(
            Patch(
                ref_of(node, "Node"), {"status": {"conditions": conditions}}, "status"
            )
        )
        node = {
            **node,
            "status": {**(node.get("status") or {}), "conditions": conditions},
        }
    taints = desired_taints(node, now)
    if taints != list((node.get("spec") or {}).get("taints") or []):
        actions.append(
            Patch(ref_of(node, "Node"), {"spec": {"taints": taints or None}})
        )
    new_ready = (podutil.condition(node, "Ready") or {}).get("status")
    if old_ready == "True" and new_ready != "True":
        actions.append(
            event(
                node,
                "Normal",
                REASON_NODE_NOT_READY,
                f"Node {podutil.name(node)} status is now: {REASON_NODE_NOT_READY}",
                COMPONENT,
                "Node",
            )
        )
    if new_ready == "Unknown":
        for pod in sorted(
            pods, key=lambda p: (podutil.namespace(p) or "", podutil.name(p))
        ):
            actions += mark_pod_not_ready(pod, now)
    return actions


def mark_pod_not_ready(pod: dict, now: float) -> list[Action]:
    """Set a ready pod's Ready condition False (MarkPodsNotReady) and record why."""
    conditions = [dict(c) for c in (pod.get("status") or {}).get("conditions") or []]
    for c in conditions:
        if c.get("type") == "Ready" and c.get("status") == "True":
            c.update(status="False", lastTransitionTime=rfc3339(now))
            return [
                Patch(
                    ref_of(pod, "Pod"), {"status": {"conditions": conditions}}, "status"
                ),
                event(
                    pod,
                    "Warning",
                    REASON_NODE_NOT_READY,
                    MESSAGE_POD_NODE_NOT_READY,
                    COMPONENT,
                    "Pod",
                ),
            ]
    return []


def tolerates(toleration: dict, taint: dict) -> bool:
    """core/v1 ToleratesTaint: effect, key and value (or Exists) must match."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    if (toleration.get("operator") or "Equal") == "Exists":
        return True
    return (toleration.get("value") or "") == (taint.get("value") or "")


def eviction_time(pod: dict, taints: list[dict]) -> float | None:
    """When the taint-eviction controller deletes the pod; None if never."""
    if not taints:
        return None
    start = min(parse_rfc3339(t.get("timeAdded")) or 0.0 for t in taints)
    # A pod bound after the taint appeared is counted from its binding.
    start = max(start, _bound_time(pod))
    used = []
    for taint in taints:
        match = next((t for t in _tolerations(pod) if tolerates(t, taint)), None)
        if match is None:
            return start
        used.append(match)
    seconds = [
        t["tolerationSeconds"] for t in used if t.get("tolerationSeconds") is not None
    ]
    if not seconds:
        return None
    return start + max(0, min(seconds))


def evict_pods(node: dict, pods: list[dict], now: float) -> list[Action]:
    """Delete the pods on `node` whose tolerations of its NoExecute taints ran out."""
    taints = _no_execute_taints(node)
    actions: list[Action] = []
    for pod in sorted(
        pods, key=lambda p: (podutil.namespace(p) or "", podutil.name(p))
    ):
        due = eviction_time(pod, taints)
        if due is None or due > now or podutil.is_terminating(pod):
            continue
        actions += evict_pod(pod, now)
    return actions


def evict_pod(pod: dict, now: float) -> list[Action]:
    """The event, DisruptionTarget condition and delete for one evicted pod."""
    conditions = podutil.with_disruption_target(
        pod, REASON_DELETION_BY_TAINT_MANAGER, MESSAGE_DELETION_BY_TAINT_MANAGER, now
    )
    return [
        event(
            pod,
            "Normal",
            REASON_TAINT_EVICTION,
            f"Marking for deletion Pod {podutil.namespace(pod)}/{podutil.name(pod)}",
            EVICTION_COMPONENT,
            "Pod",
        ),
        Patch(ref_of(pod, "Pod"), {"status": {"conditions": conditions}}, "status"),
        Delete(ref_of(pod, "Pod")),
    ]


def _conditions(node: dict) -> list[dict]:
    return (node.get("status") or {}).get("conditions") or []


def _no_execute_taints(node: dict) -> list[dict]:
    return [
        t
        for t in (node.get("spec") or {}).get("taints") or []
        if t.get("effect") == "NoExecute"
    ]


def _tolerations(pod: dict) -> list[dict]:
    return (pod.get("spec") or {}).get("tolerations") or []


def _bound_time(pod: dict) -> float:
    scheduled = podutil.condition(pod, "PodScheduled")
    when = parse_rfc3339((scheduled or {}).get("lastTransitionTime"))
    if when is None:
        when = parse_rfc3339(pod["metadata"].get("creationTimestamp"))
    return when or 0.0


def _pods_by_node(view: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for pod in objects(view, "Pod"):
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            out.setdefault(node, []).append(pod)
    return out
