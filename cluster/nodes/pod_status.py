"""The pod status the kubelet posts: container statuses, conditions, phase and QoS class.

Built from the runtime state of one pod, merged with the status the API already
holds so transition times only move when a condition's status changes.
"""

from __future__ import annotations

from cluster.objects import quantity
from cluster.simtime import rfc3339

CONTAINERS_NOT_READY = "ContainersNotReady"
CONTAINERS_NOT_INITIALIZED = "ContainersNotInitialized"
POD_COMPLETED = "PodCompleted"
UNREADY_MESSAGE = "containers with unready status: [{names}]"
INCOMPLETE_MESSAGE = "containers with incomplete status: [{names}]"
# The order generateAPIPodStatus appends them (PodScheduled is re-added last).
KUBELET_CONDITIONS = (
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
)


def qos_class(pod: dict) -> str:
    """Guaranteed, Burstable or BestEffort, as the API server computes it."""
    containers = (pod.get("spec") or {}).get("containers") or []
    inits = (pod.get("spec") or {}).get("initContainers") or []
    any_set = False
    guaranteed = True
    for c in containers + inits:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            any_set = True
        for r in ("cpu", "memory"):
            if (
                r not in lim
                or r in req
                and quantity.parse(req[r]) != quantity.parse(lim[r])
            ):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def container_status(spec: dict, cs: dict | None) -> dict:
    """One entry of containerStatuses from the runtime's record of the container."""
    out: dict = {"name": spec["name"]}
    if not cs:
        out.update(
            state={"waiting": {"reason": "ContainerCreating"}},
            lastState={},
            ready=False,
            restartCount=0,
            image=spec.get("image", ""),
            imageID="",
            started=False,
        )
        return _with_mounts(out, spec)
    out["state"] = _state(cs)
    out["lastState"] = {"terminated": cs["last"]} if cs.get("last") else {}
    if cs.get("pending_restart") and not cs.get("reason") and cs.get("last"):
        out["state"] = {"terminated": cs["last"]}
        prev = cs.get("prev_last")
        out["lastState"] = {"terminated": prev} if prev else {}
    out["ready"] = bool(cs.get("ready"))
    out["restartCount"] = cs.get("restart_count", 0)
    out["image"] = cs.get("image_ref") or spec.get("image", "")
    out["imageID"] = cs.get("image_id", "")
    if cs.get("id"):
        out["containerID"] = f"containerd://{cs['id']}"
    out["started"] = cs.get("state") == "running" and bool(cs.get("started"))
    return _with_mounts(out, spec)


def _state(cs: dict) -> dict:
    if cs.get("state") == "running":
        return {"running": {"startedAt": rfc3339(cs["started_at"])}}
    if cs.get("state") == "terminated":
        return {"terminated": terminated(cs)}
    waiting = {"reason": cs.get("reason") or "ContainerCreating"}
    if cs.get("message"):
        waiting["message"] = cs["message"]
    return {"waiting": waiting}


def terminated(cs: dict) -> dict:
    """The `terminated` state of the container's current (finished) run."""
    out = {
        "exitCode": cs.get("exit_code", 0),
        "reason": cs.get("term_reason")
        or ("Completed" if not cs.get("exit_code") else "Error"),
        "startedAt": rfc3339(cs["started_at"]),
        "finishedAt": rfc3339(cs["finished_at"]),
        "containerID": f"containerd://{cs['id']}",
    }
    if cs.get("term_message"):
        out["message"] = cs["term_message"]
    return out


def _with_mounts(out: dict, spec: dict) -> dict:
    mounts = []
    for m in spec.get("volumeMounts") or []:
        entry = {"name": m["name"], "mountPath": m["mountPath"]}
        if m.get("readOnly"):
            entry["readOnly"] = True
            entry["recursiveReadOnly"] = "Disabled"
        mounts.append(entry)
    if mounts:
        out["volumeMounts"] = mounts
    return out


def phase(
    pod: dict, statuses: list[dict], init_statuses: list[dict], terminal: bool
) -> str:
    """getPhase: the pod phase from its container statuses."""
    spec = pod.get("spec") or {}
    policy = spec.get("restartPolicy", "Always")
    previous = (pod.get("status") or {}).get("phase")
    if previous in ("Succeeded", "Failed"):
        return previous
    inits = {s["name"]: s for s in init_statuses}
    pending_init = False
    for c in spec.get("initContainers") or []:
        if c.get("restartPolicy") == "Always":
            continue
        s = inits.get(c["name"])
        term = (s or {}).get("state", {}).get("terminated")
        if term and term.get("exitCode") == 0:
            continue
        if term and policy == "Never":
            return "Failed"
        last = (s or {}).get("lastState", {}).get("terminated")
        if policy == "Never" and last and last.get("exitCode"):
            return "Failed"
        pending_init = True
    running = waiting = stopped = succeeded = unknown = 0
    for s in statuses:
        st = s.get("state", {})
        if "running" in st:
            running += 1
        elif "terminated" in st:
            stopped += 1
            if st["terminated"].get("exitCode") == 0:
                succeeded += 1
        elif "waiting" in st:
            if s.get("lastState", {}).get("terminated"):
                stopped += 1
            else:
                waiting += 1
        else:
            unknown += 1
    unknown += len(spec.get("containers") or []) - len(statuses)
    if pending_init and running == 0 or waiting > 0:
        return "Pending"
    if running > 0 and unknown == 0:
        return "Running"
    if running == 0 and stopped > 0 and unknown == 0:
        if terminal:
            return "Succeeded" if stopped == succeeded else "Failed"
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        return "Failed" if policy == "Never" else "Running"
    return "Pending"


def conditions(
    pod: dict,
    sandbox_ready: bool,
    statuses: list[dict],
    init_statuses: list[dict],
    phase_: str,
    now: float,
) -> list[dict]:
    """The pod conditions in the kubelet's order, keeping unchanged transition times."""
    spec = pod.get("spec") or {}
    old = {c["type"]: c for c in (pod.get("status") or {}).get("conditions") or []}
    inits_ok = [
        c["name"]
        for c in spec.get("initContainers") or []
        if not _init_done(c, init_statuses)
    ]
    unready = [s["name"] for s in statuses if not s.get("ready")]
    missing = [
        c["name"]
        for c in spec.get("containers") or []
        if c["name"] not in {s["name"] for s in statuses}
    ]
    new: list[tuple[str, bool, str, str]] = [
        ("PodReadyToStartContainers", sandbox_ready, "", "")
    ]
    if phase_ == "Succeeded":
        # GeneratePodInitializedCondition: a completed pod was initialized.
        new.append(("Initialized", True, POD_COMPLETED, ""))
    elif inits_ok:
        new.append(
            (
                "Initialized",
                False,
                CONTAINERS_NOT_INITIALIZED,
                INCOMPLETE_MESSAGE.format(names=" ".join(inits_ok)),
            )
        )
    else:
        new.append(("Initialized", True, "", ""))
    if phase_ == "Succeeded":
        ready = (False, POD_COMPLETED, "")
    elif unready or missing:
        names = " ".join(unready + missing)
        ready = (False, CONTAINERS_NOT_READY, UNREADY_MESSAGE.format(names=names))
    else:
        ready = (True, "", "")
    new.append(("Ready", *ready))
    new.append(("ContainersReady", *ready))
    result = []
    for type_, ok, reason, message in new:
        status = "True" if ok else "False"
        prev = old.get(type_)
        changed = not prev or prev.get("status") != status
        cond = {
            "type": type_,
            "status": status,
            "lastProbeTime": None,
            "lastTransitionTime": rfc3339(now)
            if changed
            else prev.get("lastTransitionTime"),
        }
        if reason:
            cond["reason"] = reason
        if message:
            cond["message"] = message
        result.append(cond)
    scheduled = old.get("PodScheduled") or {
        "type": "PodScheduled",
        "status": "True",
        "lastProbeTime": None,
        "lastTransitionTime": rfc3339(now),
    }
    result.append(scheduled)
    others = [
        c for t, c in old.items() if t not in KUBELET_CONDITIONS and t != "PodScheduled"
    ]
    return result + others


def _init_done(c: dict, init_statuses: list[dict]) -> bool:
    for s in init_statuses:
        if s["name"] != c["name"]:
            continue
        if c.get("restartPolicy") == "Always":
            return bool(s.get("started"))
        term = s.get("state", {}).get("terminated")
        return bool(term) and term.get("exitCode") == 0
    return False
