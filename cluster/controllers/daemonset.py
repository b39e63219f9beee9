"""DaemonSet controller: one pod per eligible node, pinned there by required node affinity.

The default scheduler still binds the pods; the controller only creates them with
`matchFields metadata.name In [<node>]` and the DaemonSet tolerations.
"""

from __future__ import annotations

import random

from cluster.actions import Action, Create, UpdateStatus
from cluster.controllers import daemonset_update as update
from cluster.controllers import history
from cluster.controllers.deployment_util import pod_template_hash
from cluster.controllers.replicaset import create_pods, delete_pods, new_pod_names
from cluster.objects import nodeaffinity
from cluster.objects import pods as P
from cluster.objects.clone import clone

COMPONENT = "daemonset-controller"
REVISION_LABEL = history.HASH_LABEL
GENERATION_LABEL = "pod-template-generation"
TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"
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


def template_generation(ds: dict) -> str | None:
    """The template generation the API server keeps in an annotation, if any."""
    return (P.meta(ds).get("annotations") or {}).get(TEMPLATE_GENERATION)


def pod_template_for_node(ds: dict, node_name: str, hash_: str) -> dict:
    """CreatePodTemplate: the template with revision labels, tolerations and node-name
    affinity."""
    template = clone(ds["spec"]["template"])
    meta = template.setdefault("metadata", {})
    labels = {**(meta.get("labels") or {})}
    generation = template_generation(ds)
    if generation is not None:
        labels[GENERATION_LABEL] = generation
    labels[REVISION_LABEL] = hash_
    meta["labels"] = labels
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


def nodes_to_pods(ds: dict, pods: list[dict]) -> dict[str, list[dict]]:
    """getNodesToDaemonPods: owned pods by node, leaving out deleted terminal ones
    (a pod still shutting down keeps its node occupied)."""
    owned, _, _ = P.claim(ds, ds["spec"].get("selector"), pods)
    by_node: dict[str, list[dict]] = {}
    for pod in owned:
        if P.is_terminating(pod) and P.phase(pod) in (P.FAILED, P.SUCCEEDED):
            continue
        by_node.setdefault(pod_node(pod), []).append(pod)
    return by_node


def reconcile(
    ds: dict,
    nodes: list[dict],
    pods: list[dict],
    now: float,
    rng: random.Random,
    revisions: list[dict] | None = None,
) -> list[Action]:
    """Sync one DaemonSet: its revisions, a pod on every eligible node and none
    elsewhere, then the update strategy and history clean-up; status last."""
    current, old, actions = _construct_history(ds, history.owned(ds, revisions or []))
    # A revision without the hash label is known by its name, as upstream labels it.
    hash_ = P.labels(current).get(REVISION_LABEL) or P.name(current)
    by_node = nodes_to_pods(ds, pods)
    eligible = [n for n in sorted(nodes, key=P.name) if should_run(ds, n)]
    surge = update.allows_surge(ds, len(eligible))
    taken = {P.name(p) for p in pods}
    create_on: list[str] = []
    victims: list[dict] = []
    for node in eligible:
        here = by_node.get(P.name(node), [])
        if not here:
            create_on.append(P.name(node))
            continue
        create, delete = update.pods_on_node(
            ds, here, hash_, surge, now, template_generation(ds)
        )
        create_on += [P.name(node)] if create else []
        victims += delete
    eligible_names = {P.name(n) for n in eligible}
    for node_name, here in sorted(by_node.items()):
        if node_name not in eligible_names:
            victims += [p for p in here if not P.is_terminating(p)]
    if not create_on and not victims:
        # The rollout runs only when the core loop has nothing in flight.
        create_on, victims = update.rolling_update(
            ds, eligible, by_node, hash_, now, template_generation(ds)
        )
        actions += _cleanup_history(ds, old, by_node)
    for node_name in create_on:
        (name,) = new_pod_names(P.name(ds), 1, taken, rng)
        taken.add(name)
        template = pod_template_for_node(ds, node_name, hash_)
        actions += create_pods(ds, template, [name], COMPONENT)
    actions += delete_pods(ds, victims, COMPONENT)
    actions += _status(ds, eligible_names, by_node, hash_, now)
    return actions


def _construct_history(ds: dict, revisions: list[dict]):
    """constructHistory: the revision of the current template (created or renumbered
    as needed), the old ones, and the writes that takes."""
    data = history.template_patch(ds)
    collision = (ds.get("status") or {}).get("collisionCount")
    current = [r for r in revisions if history.matches(r, data)]
    old = [r for r in revisions if not history.matches(r, data)]
    number = history.next_number(old)
    if not current:
        hash_ = pod_template_hash(ds["spec"]["template"], collision)
        revision = history.new_revision(ds, data, number, hash_)
        return revision, old, [Create(revision)]
    revision = current[-1]
    if revision.get("revision", 0) < number:
        return revision, old, [history.renumber(revision, number)]
    return revision, old, []


def _cleanup_history(ds: dict, old: list[dict], by_node: dict) -> list[Action]:
    live_hashes = {
        P.labels(p).get(REVISION_LABEL) for here in by_node.values() for p in here
    }
    live = {P.name(r) for r in old if P.labels(r).get(REVISION_LABEL) in live_hashes}
    return history.prune(ds, old, live, count_live=True)


def _status(
    ds: dict, eligible: set[str], by_node: dict, hash_: str, now: float
) -> list[Action]:
    """updateDaemonSetStatus: counts over the oldest pod of each eligible node."""
    mrs = ds["spec"].get("minReadySeconds") or 0
    generation = template_generation(ds)
    scheduled = [
        sorted(by_node[n], key=update.pod_order)[0]
        for n in sorted(eligible)
        if by_node.get(n)
    ]
    available = sum(1 for p in scheduled if P.is_available(p, mrs, now))
    status = {
        "currentNumberScheduled": len(scheduled),
        "numberMisscheduled": sum(
            1 for n in by_node if n not in eligible and by_node[n]
        ),
        "desiredNumberScheduled": len(eligible),
        "numberReady": sum(1 for p in scheduled if P.is_ready(p)),
        "observedGeneration": P.meta(ds).get("generation", 0),
        "updatedNumberScheduled": sum(
            1 for p in scheduled if update.is_updated(p, hash_, generation)
        ),
        "numberAvailable": available,
        "numberUnavailable": len(eligible) - available,
        "collisionCount": (ds.get("status") or {}).get("collisionCount"),
    }
    # Fields Go marshals with omitempty vanish at zero.
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
        revisions = P.in_namespace(view.get("ControllerRevision", []), P.namespace(ds))
        actions += reconcile(ds, nodes, pods, now, rng, revisions)
    return actions
