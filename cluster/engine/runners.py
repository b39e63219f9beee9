"""One function per component kind: observe the view, run the pure core, return its
actions and next wake-up. Their state between ticks lives in `Component.memory`."""

from __future__ import annotations

import base64
import importlib
from dataclasses import dataclass, field

from cluster import scheduler
from cluster.controllers import (
    WORKLOAD_CONTROLLERS,
    apiserver_endpoints,
    rootcacertpublisher,
)
from cluster.engine.world import RecordingView, kubelet_objects, machine_dict
from cluster.k8sapi import kubeconfig
from cluster.nodes import access_log, kubelet, load, node_status, proxy, usage

# kube-controller-manager's controllers in the order one pass runs them.
CONTROLLER_MANAGER = (
    "cluster.controllers.node_lifecycle",
    *WORKLOAD_CONTROLLERS,
    "cluster.controllers.endpoints",
    "cluster.controllers.endpointslice",
    "cluster.controllers.serviceaccount",
    "cluster.controllers.rootcacertpublisher",
    "cluster.controllers.namespace",
    "cluster.controllers.garbage_collector",
    "cluster.controllers.podgc",
    "cluster.controllers.persistentvolume",
    "cluster.controllers.resourcequota",
    "cluster.controllers.clusterrole_aggregation",
)
CLOUD_CONTROLLER_MANAGER = ("cluster.controllers.cloud",)
_MODULES = {
    name: importlib.import_module(name)
    for name in (*CONTROLLER_MANAGER, *CLOUD_CONTROLLER_MANAGER)
}


# Components whose memory only records what their run computed from the view (not state
# that the next run builds on), so a run that asked for nothing may be skipped even when
# it rewrote its memory.
MEMORY_IS_OUTPUT = frozenset({"kube-proxy"})
# Its memory holds the requests it logged for containers (`cluster.request_logs`).
RUNTIME = "container-runtime"


@dataclass
class Step:
    actions: list = field(default_factory=list)
    next_wake: float | None = None
    memory: dict | None = None  # new memory, or None to keep it


def _earliest(*times):
    future = [t for t in times if t is not None]
    return min(future) if future else None


def run_controllers(
    modules, view: dict, now: float, rng, quiet=None, owner="", memory=None
) -> Step:
    """Each controller's sync over the view; with `quiet` (a `QuietRuns`), a controller
    whose last run asked for nothing is skipped until what it read changes or, for one
    carried over from the last tick, until its wake-up comes. A controller with a
    `remembered(view, its memory, now)` also gets what it kept from its last run,
    when the process has a `memory` to keep it in (and its `next_wake` gets what it
    keeps now); `sync(view, now, rng)` is what a controller does from the view alone."""
    step = Step()
    for name in modules:
        key = (owner, name)
        if quiet is not None and quiet.can_skip(key):
            step.next_wake = _earliest(step.next_wake, quiet.wake_of(key))
            continue
        module = _MODULES[name]
        seen = RecordingView(view)
        actions = []
        recall = getattr(module, "remembered", None)
        kept = None
        if recall is not None and memory is not None:
            actions, kept = recall(seen, memory.get(name), now)
            if kept != memory.get(name):
                memory = step.memory = {**memory, name: kept}
        if hasattr(module, "sync"):
            actions += module.sync(seen, now, rng)
        step.actions += actions
        timed = getattr(module, "next_wake", None)
        if timed is None:
            wake = None
        elif recall is not None:  # its timers may live in what it remembers
            wake = timed(seen, now, kept)
        else:
            wake = timed(seen, now)
        step.next_wake = _earliest(step.next_wake, wake)
        if quiet is not None:
            # Only a controller that reports its timers may sleep across ticks.
            quiet.note(
                key, not actions, seen.read, wake=wake, carryable=timed is not None
            )
    return step


def run_scheduler(view: dict, memory: dict, events: list, now: float, rng) -> Step:
    result = scheduler.run(
        view.get("Pod", []),
        view.get("Node", []),
        queue_state=memory.get("queue"),
        now=now,
        rng=rng,
        events=events,
        pvcs=view.get("PersistentVolumeClaim", []),
        pvs=view.get("PersistentVolume", []),
        storage_classes=view.get("StorageClass", []),
        priority_classes=view.get("PriorityClass", []),
        services=view.get("Service", []),
        controllers=[
            *view.get("ReplicaSet", []),
            *view.get("StatefulSet", []),
        ],
        namespaces=view.get("Namespace", []),
    )
    decisions = {**memory.get("decisions", {}), **result.decisions}
    live = {p["metadata"].get("uid") for p in view.get("Pod", [])}
    decisions = {uid: d for uid, d in decisions.items() if uid in live}
    return Step(
        result.actions,
        result.next_wake,
        {**memory, "queue": result.queue_state, "decisions": decisions},
    )


def root_ca() -> list[dict]:
    """The CA bundle the root CA publisher spreads (as its `RootCA` pseudo-kind): the
    PEM of the same CA every kubeconfig gives kubectl."""
    pem = base64.b64decode(kubeconfig.ca_data()).decode()
    return [{rootcacertpublisher.ROOT_CA_KEY: pem}]


def pod_metrics(view: dict, components, now: float) -> list[dict]:
    """What metrics-server would serve the HPA: each pod's use from its node's runtime
    (computed only when some HorizontalPodAutoscaler asks for it)."""
    if not view.get("HorizontalPodAutoscaler"):
        return []
    runtimes = {c.machine.name: c.memory for c in components if c.kind == RUNTIME}
    states = {
        c.machine.name: access_log.merged(c.memory, runtimes.get(c.machine.name))
        for c in components
        if c.kind == "kubelet"
    }
    found = []
    for pod in view.get("Pod", []):
        node = (pod.get("spec") or {}).get("nodeName")
        metrics = node and usage.pod_metrics(pod, states.get(node, {}), now)
        if metrics:
            found.append(metrics)
    return found


def run_kubelet(
    machine,
    view: RecordingView,
    memory: dict,
    runtime_up: bool,
    now: float,
    rng,
    static: list[dict] | None = None,
) -> Step:
    name = machine.name
    # Its own Node and Lease by key, so the other kubelets' heartbeats in the same
    # tick do not count as news to this one.
    node = view.one("Node", "", name)
    lease = view.one("Lease", node_status.LEASE_NAMESPACE, name)
    pods = [
        p for p in view.get("Pod", []) if (p.get("spec") or {}).get("nodeName") == name
    ]
    result = kubelet.sync(
        name,
        machine_dict(machine),
        node,
        pods,
        memory,
        now,
        rng,
        runtime_up,
        {
            "lease": lease,
            "static": static or [],
            "objects": kubelet_objects(view),
            "load": load.streams(
                view.get("Pod", []),
                view.get("Service", []),
                view.get("EndpointSlice", []),
            ),
        },
    )
    return Step(result.actions, result.next_wake, result.runtime_state)


def run_kube_proxy(node_name: str, view: dict, memory: dict, now: float) -> Step:
    """Rebuild the node's service rules; a stopped kube-proxy keeps its stale ones.

    Rules are saved only when the service table changes, so `synced_at` is when they
    were last rewritten and a resting cluster writes nothing for its proxies."""
    rules = proxy.build_rules(
        node_name, view.get("Service", []), view.get("EndpointSlice", []), now
    )
    if rules["services"] == (memory.get("rules") or {}).get("services"):
        return Step()
    return Step(memory={**memory, "rules": rules})


def run_apiserver_endpoints(view: dict, components) -> Step:
    """The `kubernetes` Service's endpoints: the machines whose API server is running."""
    ips = [
        machine_dict(c.machine)["internal_ip"]
        for c in components
        if c.kind == "kube-apiserver" and c.state == "running" and c.machine.powered
    ]
    return Step(apiserver_endpoints.sync(view, ips))
