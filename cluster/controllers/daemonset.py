"""DaemonSet controller: one pod per eligible node, pinned there by required node affinity.

The default scheduler still binds the pods; the controller only creates them with
`matchFields metadata.name In [<node>]` and the DaemonSet tolerations.
"""

from __future__ import annotations

import random

from cluster.actions import Action, UpdateStatus
from cluster.controllers.deployment_util import pod_template_hash
from cluster.controllers.replicaset import create_pods, delete_pods, new_pod_names
from cluster.objects import nodeaffinity
from cluster.objects import pods as P
from cluster.objects.clone import clone

COMPONENT = "daemonset-controller"
REVISION_LABEL = "controller-revision-hash"
GENERATION_LABEL = "pod-template-generation"
_FOREVER = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
_NO_SCHEDULE = (
    "node.kubernetes.io/disk-pressure",
    "node.kubernetes.io/memory-pressure",
    "node.kubernetes.io/pid-pressure",
    "node.kubernetes.io/unschedulable",
)


def daemon_tolerations(template_spec: dict) -> list[dict]:
    """The pod's tolerations plus the ones AddOrUpdateDaemonPodTolerations adds."""
    tolerations = list(template_spec.get("tolerations") or [])
    added = [{"key": k, "operator": "Exists", "effect": "NoExecute"} for k in _FOREVER]
    added += [
        {"key": k, "operator": "Exists", "effect": "NoSchedule"} for k in _NO_SCHEDULE
    ]
    if template_spec.get("hostNetwork"):
        added.append(
            {
                "key": "node.kubernetes.io/network-unavailable",
                "operator": "Exists",
                "effect": "NoSchedule",
            }
        )
    for t in added:
        if not any(
            t["key"] == x.get("key") and t["effect"] == x.get("effect")
            for x in tolerations
        ):
            tolerations.append(t)
    return tolerations


def tolerates(tolerations: list[dict], taint: dict) -> bool:
    """Whether any toleration matches the taint (key, operator, value, effect)."""
    for t in tolerations:
        if t.get("effect") and t["effect"] != taint.get("effect"):
            continue
        if t.get("key") and t["key"] != taint.get("key"):
            continue
        if not t.get("key") and t.get("operator") != "Exists":
            continue
        if t.get("operator", "Equal") == "Exists" or t.get("value", "") == taint.get(
            "value", ""
        ):
            return True
    return False


def should_run(ds: dict, node: dict) -> bool:
    """NodeShouldRunDaemonPod: node selector, required node affinity and taints."""
    spec = ds["spec"]["template"].get("spec") or {}
    if not nodeaffinity.matches(spec, node):
        return False
    tolerations = daemon_tolerations(spec)
    return all(
        tolerates(tolerations, taint)
        for taint in (node.get("spec") or {}).get("taints") or []
        if taint.get("effect") in ("NoSchedule", "NoExecute")
    )


def pod_template_for_node(ds: dict, node_name: str) -> dict:
    """The DaemonSet template with node-name affinity, tolerations and revision labels."""
    template = clone(ds["spec"]["template"])
    meta = template.setdefault("metadata", {})
    meta["labels"] = {
        **(meta.get("labels") or {}),
        REVISION_LABEL: pod_template_hash(ds["spec"]["template"]),
        GENERATION_LABEL: str(P.meta(ds).get("generation", 1)),
    }
    spec = template.setdefault("spec", {})
    spec["tolerations"] = daemon_tolerations(spec)
    affinity = spec.setdefault("affinity", {})
    affinity["nodeAffinity"] = {
        **(affinity.get("nodeAffinity") or {}),
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {
                    "matchFields": [
                        {
                            "key": "metadata.name",
                            "operator": "In",
                            "values": [node_name],
                        }
                    ]
                }
            ]
        },
    }
    return template


def pod_node(pod: dict) -> str:
    """The node a daemon pod is for: spec.nodeName, else its metadata.name affinity."""
    if P.node_name(pod):
        return P.node_name(pod)
    terms = (
        ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    ).get("nodeSelectorTerms") or []
    for term in terms:
        for e in term.get("matchFields") or []:
            if e.get("key") == "metadata.name" and e.get("values"):
                return e["values"][0]
    return ""


def reconcile(
    ds: dict, nodes: list[dict], pods: list[dict], now: float, rng: random.Random
) -> list[Action]:
    """Sync one DaemonSet: a pod on every eligible node, none elsewhere; status last."""
    owned, _, _ = P.claim(ds, ds["spec"].get("selector"), pods)
    by_node: dict[str, list[dict]] = {}
    for pod in owned:
        if not P.is_terminating(pod):
            by_node.setdefault(pod_node(pod), []).append(pod)
    actions: list[Action] = []
    eligible = [n for n in sorted(nodes, key=P.name) if should_run(ds, n)]
    eligible_names = {P.name(n) for n in eligible}
    taken = {P.name(p) for p in pods}
    victims: list[dict] = []
    for node in eligible:
        here = [p for p in by_node.get(P.name(node), []) if P.phase(p) != P.FAILED]
        victims += [p for p in by_node.get(P.name(node), []) if P.phase(p) == P.FAILED]
        if not here:
            (name,) = new_pod_names(P.name(ds), 1, taken, rng)
            taken.add(name)
            actions += create_pods(
                ds, pod_template_for_node(ds, P.name(node)), [name], COMPONENT
            )
        else:
            victims += sorted(here, key=lambda p: P.created_at(p) or 0.0)[1:]
    for node, here in sorted(by_node.items()):
        if node not in eligible_names:
            victims += here
    actions += delete_pods(ds, victims, COMPONENT)
    actions += _status(ds, eligible_names, by_node, now)
    return actions


def _status(ds: dict, eligible: set[str], by_node: dict, now: float) -> list[Action]:
    mrs = ds["spec"].get("minReadySeconds") or 0
    revision = pod_template_hash(ds["spec"]["template"])
    scheduled = [by_node[n][0] for n in sorted(eligible) if by_node.get(n)]
    ready = sum(1 for p in scheduled if P.is_ready(p))
    available = sum(1 for p in scheduled if P.is_available(p, mrs, now))
    status = {
        "currentNumberScheduled": len(scheduled),
        "numberMisscheduled": sum(
            1 for n in by_node if n not in eligible and by_node[n]
        ),
        "desiredNumberScheduled": len(eligible),
        "numberReady": ready,
        "observedGeneration": P.meta(ds).get("generation", 0),
        "updatedNumberScheduled": sum(
            1 for p in scheduled if P.labels(p).get(REVISION_LABEL) == revision
        ),
        "numberAvailable": available,
        "numberUnavailable": len(eligible) - available,
    }
    status = {
        k: v
        for k, v in status.items()
        if v
        or k
        in (
            "currentNumberScheduled",
            "numberMisscheduled",
            "desiredNumberScheduled",
            "numberReady",
        )
    }
    if status == (ds.get("status") or {}):
        return []
    return [UpdateStatus({**ds, "status": status})]


def sync(view: dict[str, list[dict]], now: float, rng: random.Random) -> list[Action]:
    """Reconcile every DaemonSet in the view."""
    nodes = view.get("Node", [])
    actions: list[Action] = []
    for ds in sorted(
        view.get("DaemonSet", []), key=lambda o: (P.namespace(o), P.name(o))
    ):
        pods = P.in_namespace(view.get("Pod", []), P.namespace(ds))
        actions += reconcile(ds, nodes, pods, now, rng)
    return actions
