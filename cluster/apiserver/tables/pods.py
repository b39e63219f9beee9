"""The Pod table: READY, STATUS (with the kubelet's reasons), RESTARTS and the wide columns.

STATUS follows the apiserver printer: init progress (`Init:0/1`), a waiting or
terminated container's reason (`CrashLoopBackOff`, `Completed`, `Error`), then
`Terminating` once a deletion is under way.
"""

from __future__ import annotations

from cluster.simtime import human_duration, parse_rfc3339

from ._format import AGE_COL, NAME_COL, NONE, age, col

NODE_UNREACHABLE_REASON = "NodeLost"
SUCCEEDED_CONDITION = {
    "type": "Completed",
    "status": "True",
    "reason": "Succeeded",
    "message": "The pod has completed successfully.",
}
FAILED_CONDITION = {
    "type": "Completed",
    "status": "True",
    "reason": "Failed",
    "message": "The pod failed.",
}

COLUMNS = [
    NAME_COL,
    col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    col("Status", "The aggregate status of the containers in this pod."),
    col(
        "Restarts",
        "The number of times the containers in this pod have been restarted and "
        "when the last container in this pod has restarted.",
    ),
    AGE_COL,
    col(
        "IP",
        "podIP address allocated to the pod. Routable at least within the cluster. "
        "Empty if not yet allocated.",
        priority=1,
    ),
    col(
        "Node",
        "NodeName indicates in which node this pod is scheduled. If empty, this pod "
        "is a candidate for scheduling by the scheduler defined in schedulerName.",
        priority=1,
    ),
    col(
        "Nominated Node",
        "nominatedNodeName is set only when this pod preempts other pods on the node, "
        "but it cannot be scheduled right away as preemption victims receive their "
        "graceful termination periods.",
        priority=1,
    ),
    col(
        "Readiness Gates",
        "If specified, all readiness gates will be evaluated for pod readiness.",
        priority=1,
    ),
]


def _condition_true(status: dict, type_: str) -> bool:
    return any(
        c.get("type") == type_ and c.get("status") == "True"
        for c in status.get("conditions") or []
    )


def _later(current: float | None, state: dict) -> float | None:
    """The later of `current` and a last termination's `finishedAt`."""
    terminated = (state or {}).get("terminated")
    if not terminated:
        return current
    finished = parse_rfc3339(terminated.get("finishedAt"))
    if finished is None:
        return current
    return finished if current is None or finished > current else current


def _terminated_reason(terminated: dict, prefix: str = "") -> str:
    if terminated.get("reason"):
        return prefix + terminated["reason"]
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"


def status_and_restarts(pod: dict, now: float) -> tuple[str, str, int, int]:
    """STATUS, RESTARTS, ready and total container counts, as `kubectl get pods` shows."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    phase = status.get("phase", "")
    reason = status.get("reason") or phase
    for c in status.get("conditions") or []:
        if c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
    sidecars = {n for n, c in init_specs.items() if c.get("restartPolicy") == "Always"}
    total = len(spec.get("containers") or []) + len(sidecars)
    ready = restarts = sidecar_restarts = 0
    last_restart = last_sidecar_restart = None

    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        state = cs.get("state") or {}
        restarts += cs.get("restartCount", 0)
        last_restart = _later(last_restart, cs.get("lastState"))
        sidecar = cs.get("name") in sidecars
        if sidecar:
            sidecar_restarts += cs.get("restartCount", 0)
            last_sidecar_restart = _later(last_sidecar_restart, cs.get("lastState"))
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated and terminated.get("exitCode", 0) == 0:
            continue
        if sidecar and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        if terminated:
            reason = _terminated_reason(terminated, "Init:")
        elif (
            waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing"
        ):
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(status, "Initialized"):
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            state = cs.get("state") or {}
            restarts += cs.get("restartCount", 0)
            last_restart = _later(last_restart, cs.get("lastState"))
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated:
                reason = _terminated_reason(terminated)
            elif cs.get("ready") and "running" in state:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"

    deleting = bool(pod.get("metadata", {}).get("deletionTimestamp"))
    if deleting and status.get("reason") == NODE_UNREACHABLE_REASON:
        reason = "Unknown"
    elif deleting and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    restarts_text = str(restarts)
    if restarts and last_restart is not None:
        restarts_text = f"{restarts} ({human_duration(now - last_restart)} ago)"
    return reason, restarts_text, ready, total


def _readiness_gates(pod: dict) -> str:
    gates = (pod.get("spec") or {}).get("readinessGates") or []
    if not gates:
        return NONE
    conditions = {
        c.get("type"): c.get("status")
        for c in (pod.get("status") or {}).get("conditions") or []
    }
    passed = sum(1 for g in gates if conditions.get(g.get("conditionType")) == "True")
    return f"{passed}/{len(gates)}"


def cells(pod: dict, now: float) -> list:
    """One Pod row."""
    reason, restarts, ready, total = status_and_restarts(pod, now)
    status = pod.get("status") or {}
    pod_ips = status.get("podIPs") or []
    ip = (pod_ips[0].get("ip") if pod_ips else "") or NONE
    return [
        pod["metadata"].get("name", ""),
        f"{ready}/{total}",
        reason,
        restarts,
        age(pod, now),
        ip,
        (pod.get("spec") or {}).get("nodeName") or NONE,
        status.get("nominatedNodeName") or NONE,
        _readiness_gates(pod),
    ]


def conditions(pod: dict) -> list[dict] | None:
    """Row conditions: finished pods are marked Completed."""
    phase = (pod.get("status") or {}).get("phase")
    if phase == "Succeeded":
        return [dict(SUCCEEDED_CONDITION)]
    if phase == "Failed":
        return [dict(FAILED_CONDITION)]
    return None
