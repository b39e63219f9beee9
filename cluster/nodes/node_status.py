"""The kubelet's view of its Node: registration, conditions, status posts and the Lease.

Status is checked every 10 s (nodeStatusUpdateFrequency) and posted when it
changed, or at least every 5 min (nodeStatusReportFrequency). The Lease in
kube-node-lease is renewed every 10 s (a quarter of its 40 s duration).
"""

from __future__ import annotations

import hashlib

from cluster.actions import Create, RecordEvent, Ref, Update, UpdateStatus
from cluster.objects import quantity
from cluster.simtime import parse_rfc3339, rfc3339, rfc3339_micro

KUBELET_VERSION = "v1.32.4"
CONTAINER_RUNTIME_VERSION = "containerd://1.7.24"
OS_IMAGE = "Ubuntu 22.04.5 LTS"
KERNEL_VERSION = "6.8.0-1019-gcp"
MAX_PODS = 110
MAX_IMAGES = 50  # nodeStatusMaxImages
EVICTION_HARD_MEMORY = 100 * 2**20  # memory.available<100Mi
NODEFS_RESERVE = 0.10  # nodefs.available<10%
STATUS_UPDATE_PERIOD = 10.0
STATUS_EARLY_OK = 0.5
STATUS_REPORT_PERIOD = 300.0
LEASE_DURATION = 40
LEASE_RENEW_PERIOD = 10.0
LEASE_NAMESPACE = "kube-node-lease"
# The runtime state a kubelet trusts before it calls the runtime down (maxWaitForContainerRuntime).
RUNTIME_DOWN_AFTER = 30.0
PLEG_THRESHOLD = 180.0
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
CONTROL_PLANE_TAINT = {"key": CONTROL_PLANE_LABEL, "effect": "NoSchedule"}

COMPONENT = "kubelet"
STARTING_MESSAGE = "Starting kubelet."
ALLOCATABLE_MESSAGE = "Updated Node Allocatable limit across pods"
NODE_EVENT_MESSAGE = "Node {node} status is now: {reason}"
READY_MESSAGE = "kubelet is posting ready status"
RUNTIME_DOWN_MESSAGE = "container runtime is down"
PLEG_MESSAGE = (
    "PLEG is not healthy: pleg was last seen active {ago} ago; threshold is 3m0s"
)

HEALTHY = {
    "MemoryPressure": (
        "False",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
    ),
    "DiskPressure": (
        "False",
        "KubeletHasNoDiskPressure",
        "kubelet has no disk pressure",
    ),
    "PIDPressure": (
        "False",
        "KubeletHasSufficientPID",
        "kubelet has sufficient PID available",
    ),
    "Ready": ("True", "KubeletReady", READY_MESSAGE),
}
NODE_EVENT = {
    ("MemoryPressure", "False"): "NodeHasSufficientMemory",
    ("MemoryPressure", "True"): "NodeHasInsufficientMemory",
    ("DiskPressure", "False"): "NodeHasNoDiskPressure",
    ("DiskPressure", "True"): "NodeHasDiskPressure",
    ("PIDPressure", "False"): "NodeHasSufficientPID",
    ("PIDPressure", "True"): "NodeHasInsufficientPID",
    ("Ready", "True"): "NodeReady",
    ("Ready", "False"): "NodeNotReady",
}


def node_ref(name: str) -> Ref:
    """The kubelet's reference to its node: the uid is the node name, as upstream does."""
    return Ref(kind="Node", namespace=None, name=name, api_version="v1", uid=name)


def node_event(
    name: str, reason: str, message: str, type_: str = "Normal"
) -> RecordEvent:
    """An event about the node from this kubelet."""
    return RecordEvent(node_ref(name), type_, reason, message, COMPONENT, host=name)


def _hex(seed: str, n: int = 32) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def capacity(machine: dict) -> tuple[dict, dict]:
    """(capacity, allocatable): allocatable keeps back the hard eviction thresholds."""
    mem = quantity.to_int(machine.get("memory", "4Gi"))
    disk = quantity.to_int(machine.get("disk", "100Gi"))
    cap = {
        "cpu": str(machine.get("cpu", "2")),
        "ephemeral-storage": f"{disk // 1024}Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": f"{mem // 1024}Ki",
        "pods": str(MAX_PODS),
    }
    alloc = dict(cap)
    alloc["memory"] = f"{(mem - EVICTION_HARD_MEMORY) // 1024}Ki"
    alloc["ephemeral-storage"] = str(int(disk * (1 - NODEFS_RESERVE)))
    return cap, alloc


def register(machine: dict, now: float) -> dict:
    """The Node object a kubelet creates when it first starts."""
    name = machine["name"]
    arch = machine.get("arch", "amd64")
    labels = {
        "beta.kubernetes.io/arch": arch,
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": arch,
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
    }
    spec: dict = {}
    if machine.get("pod_cidr"):
        spec["podCIDR"] = machine["pod_cidr"]
        spec["podCIDRs"] = [machine["pod_cidr"]]
    if machine.get("role") == "control-plane":
        labels[CONTROL_PLANE_LABEL] = ""
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
        spec["taints"] = [dict(CONTROL_PLANE_TAINT)]
    cap, alloc = capacity(machine)
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {
                "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///var/run/containerd/containerd.sock",
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": spec,
        "status": {
            "capacity": cap,
            "allocatable": alloc,
            "conditions": conditions([], True, None, now),
            "addresses": [
                {"type": "InternalIP", "address": machine.get("internal_ip", "")},
                {"type": "Hostname", "address": name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": _hex("machine" + name),
                "systemUUID": _uuid(name),
                "bootID": _uuid("boot" + name),
                "kernelVersion": KERNEL_VERSION,
                "osImage": OS_IMAGE,
                "containerRuntimeVersion": CONTAINER_RUNTIME_VERSION,
                "kubeletVersion": KUBELET_VERSION,
                "kubeProxyVersion": "",
                "operatingSystem": "linux",
                "architecture": arch,
            },
            "images": [],
        },
    }


def _uuid(seed: str) -> str:
    h = _hex(seed)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def registration_events(name: str) -> list[RecordEvent]:
    """What a starting kubelet records about its node."""
    out = [node_event(name, "Starting", STARTING_MESSAGE)]
    for reason in (
        "NodeHasSufficientMemory",
        "NodeHasNoDiskPressure",
        "NodeHasSufficientPID",
    ):
        out.append(
            node_event(
                name, reason, NODE_EVENT_MESSAGE.format(node=name, reason=reason)
            )
        )
    out.append(node_event(name, "NodeAllocatableEnforced", ALLOCATABLE_MESSAGE))
    return out


def ready_message(runtime_down_since: float | None, now: float) -> str | None:
    """The Ready=False message, None when the runtime answers."""
    if runtime_down_since is None or now - runtime_down_since < RUNTIME_DOWN_AFTER:
        return None
    if now - runtime_down_since < PLEG_THRESHOLD:
        return RUNTIME_DOWN_MESSAGE
    from cluster.nodes.runtime import go_duration

    ago = go_duration(now - runtime_down_since)
    return f"[{RUNTIME_DOWN_MESSAGE}, {PLEG_MESSAGE.format(ago=ago)}]"


def conditions(
    old: list[dict], runtime_ok: bool, not_ready: str | None, now: float
) -> list[dict]:
    """The four node conditions with fresh heartbeats, transition times kept when unchanged."""
    prev = {c["type"]: c for c in old}
    out = []
    for type_ in ("MemoryPressure", "DiskPressure", "PIDPressure", "Ready"):
        status, reason, message = HEALTHY[type_]
        if type_ == "Ready" and not_ready:
            status, reason, message = "False", "KubeletNotReady", not_ready
        p = prev.get(type_)
        changed = not p or p.get("status") != status
        out.append(
            {
                "type": type_,
                "status": status,
                "lastHeartbeatTime": rfc3339(now),
                "lastTransitionTime": rfc3339(now)
                if changed
                else p.get("lastTransitionTime"),
                "reason": reason,
                "message": message,
            }
        )
    return out


def image_list(state: dict) -> list[dict]:
    """status.images: the node's images, biggest first, at most 50."""
    entries = [
        {"names": list(v["names"]), "sizeBytes": v["size"]}
        for v in state.get("images", {}).values()
    ]
    entries.sort(key=lambda e: (-e["sizeBytes"], e["names"][0]))
    return entries[:MAX_IMAGES]


def _comparable(status: dict) -> dict:
    conds = [
        {k: v for k, v in c.items() if k not in ("lastHeartbeatTime",)}
        for c in status.get("conditions") or []
    ]
    return {"conditions": conds, "images": status.get("images") or []}


def status_actions(
    node: dict, state: dict, machine: dict, runtime_down_since, now: float
) -> tuple[list, float]:
    """The node status post and transition events due now, and when to check again."""
    mem = state.setdefault("node", {})
    next_check = mem.get("status_checked", 0.0) + STATUS_UPDATE_PERIOD
    status = node.get("status") or {}
    # The status loop is jittered; running it with the lease renewal that falls just
    # before keeps the node's two heartbeats in one tick.
    if now < next_check - STATUS_EARLY_OK:
        return [], _status_wake(status, state, runtime_down_since, next_check)
    mem["status_checked"] = now
    not_ready = ready_message(runtime_down_since, now)
    new_conds = conditions(status.get("conditions") or [], True, not_ready, now)
    new_status = {**status, "conditions": new_conds, "images": image_list(state)}
    last_beat = _last_heartbeat(status)
    changed = _comparable(new_status) != _comparable(status)
    actions: list = []
    if changed or now - last_beat >= STATUS_REPORT_PERIOD:
        actions.append(UpdateStatus({**node, "status": new_status}))
        old = {c["type"]: c.get("status") for c in status.get("conditions") or []}
        for c in new_conds:
            if old.get(c["type"]) not in (None, c["status"]):
                reason = NODE_EVENT[(c["type"], c["status"])]
                actions.append(
                    node_event(
                        node["metadata"]["name"],
                        reason,
                        NODE_EVENT_MESSAGE.format(
                            node=node["metadata"]["name"], reason=reason
                        ),
                    )
                )
    actions += _schedulable_event(node, mem)
    posted = new_status if any(isinstance(a, UpdateStatus) for a in actions) else status
    return actions, _status_wake(
        posted, state, runtime_down_since, now + STATUS_UPDATE_PERIOD
    )


def _schedulable_event(node: dict, mem: dict) -> list:
    """recordNodeSchedulableEvent: NodeNotSchedulable / NodeSchedulable when the node's
    spec.unschedulable (cordon, uncordon) differs from what the kubelet last saw."""
    unschedulable = bool((node.get("spec") or {}).get("unschedulable"))
    if unschedulable == mem.get("unschedulable", False):
        return []
    mem["unschedulable"] = unschedulable
    reason = "NodeNotSchedulable" if unschedulable else "NodeSchedulable"
    name = node["metadata"]["name"]
    message = NODE_EVENT_MESSAGE.format(node=name, reason=reason)
    return [node_event(name, reason, message)]


def _status_wake(
    status: dict, state: dict, runtime_down_since, next_check: float
) -> float:
    """When the status loop needs a tick of its own.

    It checks every 10 s, but a check with nothing to report writes nothing. So it asks
    for its own tick only when it has something to post (the runtime is down and the
    Ready message moves with time, or the images changed) or the 5-minute report is
    due; otherwise it runs on the Lease renewal's tick, every 10 s as well, which keeps
    the node's two heartbeats from drifting into two ticks.
    """
    if runtime_down_since is not None or image_list(state) != (
        status.get("images") or []
    ):
        return next_check
    return max(next_check, _last_heartbeat(status) + STATUS_REPORT_PERIOD)


def _last_heartbeat(status: dict) -> float:
    return max(
        (
            parse_rfc3339(c.get("lastHeartbeatTime")) or 0
            for c in status.get("conditions") or []
        ),
        default=0,
    )


def lease_actions(node: dict, lease: dict | None, now: float) -> tuple[list, float]:
    """Create or renew the node's Lease when its renew period is up."""
    name = node["metadata"]["name"]
    if lease is None:
        obj = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": name,
                "namespace": LEASE_NAMESPACE,
                "ownerReferences": [
                    {
                        "apiVersion": "v1",
                        "kind": "Node",
                        "name": name,
                        "uid": node["metadata"].get("uid", ""),
                    }
                ],
            },
            "spec": {
                "holderIdentity": name,
                "leaseDurationSeconds": LEASE_DURATION,
                "renewTime": rfc3339_micro(now),
            },
        }
        return [Create(obj)], now + LEASE_RENEW_PERIOD
    renewed = parse_rfc3339((lease.get("spec") or {}).get("renewTime")) or 0
    due = renewed + LEASE_RENEW_PERIOD
    if now < due:
        return [], due
    spec = {
        **(lease.get("spec") or {}),
        "holderIdentity": name,
        "renewTime": rfc3339_micro(now),
    }
    spec.setdefault("leaseDurationSeconds", LEASE_DURATION)
    return [Update({**lease, "spec": spec})], now + LEASE_RENEW_PERIOD
