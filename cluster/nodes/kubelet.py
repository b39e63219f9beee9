"""The kubelet of one node: register the Node, renew its Lease, post status, run pods.

`sync` is a pure step: it reads the node's objects and persisted runtime state
and returns the API calls to make, the new runtime state and the next time any
of its timers fires.
"""

from __future__ import annotations

from dataclasses import dataclass

from cluster.actions import Action, Create, Delete, RecordEvent, Ref, UpdateStatus
from cluster.nodes import access_log, admission, node_status, pod_status, static_pods
from cluster.nodes import runtime as rt
from cluster.nodes.lifecycle import DEADLINE_MESSAGE, DEADLINE_REASON, PodSync
from cluster.objects.clone import clone
from cluster.simtime import rfc3339


@dataclass
class KubeletResult:
    actions: list[Action]
    runtime_state: dict
    next_wake: float | None


def sync(
    node_name: str,
    machine: dict,
    node: dict | None,
    pods: list[dict],
    runtime_state: dict,
    now: float,
    rng,
    runtime_up: bool,
    extra: dict,
) -> KubeletResult:
    """One pass of the kubelet of `node_name` at `now`."""
    state = clone(runtime_state) if runtime_state else rt.new_state()
    for key, value in rt.new_state().items():
        state.setdefault(key, value)
    machine = {**machine, "name": node_name}
    if node is None:
        actions: list[Action] = [Create(node_status.register(machine, now))]
        actions += node_status.registration_events(node_name)
        state["node"]["status_checked"] = now
        return KubeletResult(actions, state, now + 1.0)

    actions = []
    wakes: list[float] = []
    mem = state["node"]
    if runtime_up:
        mem.pop("runtime_down_since", None)
    else:
        mem.setdefault("runtime_down_since", now)

    lease_acts, lease_wake = node_status.lease_actions(node, extra.get("lease"), now)
    actions += lease_acts
    wakes.append(lease_wake)
    status_acts, status_wake = node_status.status_actions(
        node, state, machine, mem.get("runtime_down_since"), now
    )
    actions += status_acts
    wakes.append(status_wake)

    if runtime_up:
        mirrors = [p for p in pods if static_pods.is_mirror(p)]
        actions += static_pods.actions(
            node, machine["internal_ip"], extra.get("static") or [], mirrors
        )
        pod_actions, pod_wakes = _sync_pods(
            [p for p in pods if not static_pods.is_mirror(p)],
            state,
            machine,
            now,
            rng,
            extra,
            node,
            mirrors,
        )
        actions += pod_actions
        wakes += pod_wakes
    future = [w for w in wakes if w is not None and w > now]
    return KubeletResult(actions, state, min(future) if future else None)


def _sync_pods(
    pods, state, machine, now, rng, extra, node, static=()
) -> tuple[list, list]:
    actions: list = []
    wakes: list[float] = []
    live = {p["metadata"].get("uid", ""): p for p in pods}
    for uid in [u for u in state["pods"] if u not in live]:
        # The API object is gone (deleted or force-deleted): drop its containers.
        del state["pods"][uid]
        rt.release_ip(state, uid)
    rejected = state.setdefault("rejected", [])
    rejected[:] = [u for u in rejected if u in live]
    admitted = [*static] + [  # the active pods: admitted and not finished
        live[u]
        for u, ps in state["pods"].items()
        if not ps.get("terminated")
        and (live[u].get("status") or {}).get("phase") not in ("Succeeded", "Failed")
    ]
    for pod in sorted(
        pods,
        key=lambda p: (
            p["metadata"].get("creationTimestamp", ""),
            p["metadata"]["name"],
        ),
    ):
        uid = pod["metadata"].get("uid", "")
        if uid in rejected:
            continue
        if uid not in state["pods"] and _is_new(pod):
            refused = admission.rejection(pod, admitted, node)
            if refused is not None:
                rejected.append(uid)
                actions += _reject(pod, *refused, now)
                continue
            admitted.append(pod)
        step = PodSync(pod, state, machine, now, rng, extra)
        step.run()
        streams = (extra.get("load") or {}).get(step.uid) or []
        _note_load(pod, state["pods"].get(step.uid), streams, now)
        actions += step.actions
        wakes += step.wakes
        new = build_status(pod, state["pods"][step.uid], machine, now)
        if new != (pod.get("status") or {}):
            actions.append(UpdateStatus({**pod, "status": new}))
        if state["pods"][step.uid].get("terminated"):
            meta = pod["metadata"]
            ref = Ref(
                "Pod", meta.get("namespace"), meta["name"], "v1", meta.get("uid", "")
            )
            actions.append(Delete(ref, grace_period_seconds=0, uid=meta.get("uid", "")))
    return actions, wakes


def _note_load(pod: dict, ps: dict | None, streams: list, now: float) -> None:
    """The requests per second load generators send the pod, on its first
    container's record, where the usage model reads them (rounded, so the memory
    stays still under a steady load), and their lines in the access log."""
    containers = (pod.get("spec") or {}).get("containers") or []
    cs = (
        (ps or {}).get("containers", {}).get(containers[0]["name"])
        if containers
        else None
    )
    if cs is None:
        return
    rate = round(sum(s.rate for s in streams), 1)
    if rate:
        cs["offered_rps"] = rate
    else:
        cs.pop("offered_rps", None)
    access_log.log_load(pod, ps, streams, now)


def _is_new(pod: dict) -> bool:
    """A pod the kubelet has not admitted yet and that still wants to run."""
    status = pod.get("status") or {}
    return not pod["metadata"].get("deletionTimestamp") and status.get("phase") in (
        None,
        "",
        "Pending",
    )


def _reject(pod: dict, reason: str, message: str, now: float) -> list:
    """kubelet.rejectPod: a Warning event, and the pod Failed with the reason."""
    meta = pod["metadata"]
    ref = Ref("Pod", meta.get("namespace"), meta["name"], "v1", meta.get("uid", ""))
    status = {
        "phase": "Failed",
        "reason": reason,
        "message": admission.REJECTED_PREFIX + message,
        "qosClass": pod_status.qos_class(pod),
        "startTime": (pod.get("status") or {}).get("startTime") or rfc3339(now),
    }
    return [
        RecordEvent(
            ref,
            "Warning",
            reason,
            message,
            component="kubelet",
            host=(pod.get("spec") or {}).get("nodeName", ""),
        ),
        UpdateStatus({**pod, "status": status}),
    ]


def build_status(pod: dict, ps: dict, machine: dict, now: float) -> dict:
    """The pod status the kubelet would post from its runtime record of the pod."""
    old = pod.get("status") or {}
    spec = pod.get("spec") or {}
    records = ps.get("containers", {})
    statuses = [
        pod_status.container_status(c, records.get(c["name"]))
        for c in spec.get("containers") or []
    ]
    init_statuses = [
        pod_status.container_status(c, records.get(c["name"]))
        for c in spec.get("initContainers") or []
    ]
    for s in statuses:
        if (
            "waiting" in s["state"]
            and spec.get("initContainers")
            and not records.get(s["name"])
        ):
            s["state"] = {"waiting": {"reason": "PodInitializing"}}
    for s in init_statuses:
        if not records.get(s["name"]):
            s["state"] = {"waiting": {"reason": "PodInitializing"}}
    terminal = bool(ps.get("terminated"))
    phase = pod_status.phase(pod, statuses, init_statuses, terminal)
    status = {
        k: v
        for k, v in old.items()
        if k not in ("containerStatuses", "initContainerStatuses")
    }
    if ps.get("deadline_exceeded"):
        # Failed at once, while the containers are still being stopped.
        phase = "Failed"
        status.update(reason=DEADLINE_REASON, message=DEADLINE_MESSAGE)
    status["phase"] = phase
    # A finished pod's sandbox is torn down: it could not start containers again.
    sandbox_ready = (
        "ip" in ps and not ps.get("terminated") and phase not in ("Succeeded", "Failed")
    )
    status["conditions"] = pod_status.conditions(
        pod, sandbox_ready, statuses, init_statuses, phase, now
    )
    host_ip = machine.get("internal_ip", "")
    status["hostIP"] = host_ip
    status["hostIPs"] = [{"ip": host_ip}]
    if "ip" in ps:
        status["podIP"] = ps["ip"]
        status["podIPs"] = [{"ip": ps["ip"]}]
    status["startTime"] = old.get("startTime") or rfc3339(ps.get("start_time", now))
    if init_statuses:
        status["initContainerStatuses"] = init_statuses
    status["containerStatuses"] = statuses
    status["qosClass"] = pod_status.qos_class(pod)
    return status
