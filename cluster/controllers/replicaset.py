"""ReplicaSet controller: keep the number of live pods owned by a ReplicaSet equal to spec.replicas.

Pod names are chosen here (`<rs>-<5 random chars>`, generateName semantics with the
cluster's seeded rng) rather than by the API server, so a reconcile is an exact,
reproducible list of actions. `metadata.generateName` is still set on the pod.
"""

from __future__ import annotations

import random

from cluster.actions import Action, Create, Delete, Patch, RecordEvent, UpdateStatus
from cluster.objects import pods as P
from cluster.objects import selectors
from cluster.objects.clone import clone
from cluster.objects.names import generate_name
from cluster.simtime import rfc3339

COMPONENT = "replicaset-controller"
BURST_REPLICAS = 500
SLOW_START_INITIAL_BATCH_SIZE = 1
SUCCESSFUL_CREATE = "SuccessfulCreate"
FAILED_CREATE = "FailedCreate"
FAILED_CREATE_MESSAGE = "Error creating: {error}"
SUCCESSFUL_DELETE = "SuccessfulDelete"
CREATED_POD = "Created pod: {}"
DELETED_POD = "Deleted pod: {}"
REPLICA_FAILURE = "ReplicaFailure"


def slow_start_batches(
    count: int, initial: int = SLOW_START_INITIAL_BATCH_SIZE
) -> list[int]:
    """controller.slowStartBatch sizes: 1, 2, 4, … with the remainder last.

    A shell applying the creates should skip the later batches once a create in a
    batch fails, as the real controller does.
    """
    sizes, size, left = [], initial, count
    while left > 0:
        sizes.append(min(size, left))
        left -= sizes[-1]
        size *= 2
    return sizes


def new_pod_names(
    base: str, count: int, taken: set[str], rng: random.Random
) -> list[str]:
    """`count` fresh `<base>-xxxxx` names that collide with nothing in `taken`."""
    names: list[str] = []
    while len(names) < count:
        candidate = generate_name(f"{base}-", rng)
        if candidate not in taken and candidate not in names:
            names.append(candidate)
    return names


def create_pods(
    owner: dict,
    template: dict,
    names: list[str],
    component: str,
    failure_status: Patch | None = None,
) -> list[Action]:
    """Create + SuccessfulCreate event for each name (RealPodControl.CreatePods), in
    slow-start batches of 1, 2, 4... pods; a failed create records FailedCreate."""
    actions: list[Action] = []
    failed = RecordEvent(
        P.ref(owner), "Warning", FAILED_CREATE, FAILED_CREATE_MESSAGE, component
    )
    for i, pod_name in enumerate(names):
        pod = P.pod_from_template(template, owner, pod_name)
        actions.append(
            Create(
                pod,
                batch=(i + 1).bit_length(),
                on_failure=failed,
                failure_status=failure_status,
            )
        )
        actions.append(
            RecordEvent(
                P.ref(owner),
                "Normal",
                SUCCESSFUL_CREATE,
                CREATED_POD.format(pod_name),
                component,
                reports_previous=True,
            )
        )
    return actions


def delete_pods(owner: dict, victims: list[dict], component: str) -> list[Action]:
    """Delete + SuccessfulDelete event for each pod (RealPodControl.DeletePod)."""
    actions: list[Action] = []
    for pod in victims:
        actions.append(Delete(P.ref(pod), uid=P.uid(pod)))
        actions.append(
            _event(owner, SUCCESSFUL_DELETE, DELETED_POD.format(P.name(pod)), component)
        )
    return actions


def _event(owner: dict, reason: str, message: str, component: str) -> RecordEvent:
    return RecordEvent(P.ref(owner), "Normal", reason, message, component)


def claim_actions(owner: dict, adopt: list[dict], release: list[dict]) -> list[Action]:
    """The Patches that adopt orphans and release objects that stopped matching."""
    return [Patch(P.ref(o), P.adopt_patch(o, owner)) for o in adopt] + [
        Patch(P.ref(o), P.release_patch(o, owner)) for o in release
    ]


def reconcile(
    rs: dict,
    pods: list[dict],
    now: float,
    rng: random.Random,
    related_pods: list[dict] | None = None,
) -> list[Action]:
    """Sync one ReplicaSet against the pods of its namespace; status goes last.

    `related_pods` are the pods of sibling ReplicaSets (same Deployment), used to
    rank victims by co-location; they default to the ReplicaSet's own pods.
    """
    ns = P.namespace(rs)
    candidates = [p for p in pods if P.namespace(p) == ns]
    owned, adopt, release = P.claim(rs, rs["spec"].get("selector"), candidates)
    actions: list[Action] = claim_actions(rs, adopt, release)
    active = [p for p in owned if P.is_active(p)]
    if not P.is_terminating(rs):
        actions += _manage_replicas(rs, active, candidates, related_pods, now, rng)
    status = calculate_status(rs, active, now)
    if status != (rs.get("status") or {}):
        actions.append(UpdateStatus({**rs, "status": status}))
    return actions


def _manage_replicas(rs, active, candidates, related, now, rng) -> list[Action]:
    diff = len(active) - _replicas(rs)
    if diff < 0:
        count = min(-diff, BURST_REPLICAS)
        taken = {P.name(p) for p in candidates}
        names = new_pod_names(P.name(rs), count, taken, rng)
        return create_pods(
            rs,
            rs["spec"].get("template") or {},
            names,
            COMPONENT,
            _replica_failure(rs, now),
        )
    if diff > 0:
        count = min(diff, BURST_REPLICAS)
        victims = pods_to_delete(
            active, related if related is not None else active, count, now
        )
        return delete_pods(rs, victims, COMPONENT)
    return []


def _replica_failure(rs: dict, now: float) -> Patch | None:
    """The status patch that reports a failed create (manageReplicas' error), unless a
    ReplicaFailure is already reported: it is set once, then kept until the count is
    right."""
    conditions = (rs.get("status") or {}).get("conditions") or []
    if any(c.get("type") == REPLICA_FAILURE for c in conditions):
        return None
    failure = {
        "type": REPLICA_FAILURE,
        "status": "True",
        "lastTransitionTime": rfc3339(now),
        "reason": FAILED_CREATE,
        "message": "{error}",
    }
    return Patch(
        P.ref(rs), {"status": {"conditions": [*conditions, failure]}}, "status"
    )


def pods_to_delete(
    active: list[dict], related: list[dict], count: int, now: float
) -> list[dict]:
    """getPodsToDelete: the `count` pods to remove first by ActivePodsWithRanks order."""
    if count < len(active):
        active = P.deletion_order(active, P.ranks_by_node(active, related), now)
    return active[:count]


def _replicas(obj: dict) -> int:
    value = obj.get("spec", {}).get("replicas")
    return 1 if value is None else int(value)


def calculate_status(rs: dict, active: list[dict], now: float) -> dict:
    """The ReplicaSet status the controller writes (zero counts are omitted, as in JSON)."""
    mrs = rs["spec"].get("minReadySeconds") or 0
    template_labels = selectors.from_label_selector(
        {
            "matchLabels": (rs["spec"].get("template") or {})
            .get("metadata", {})
            .get("labels")
        }
    )
    fully = sum(1 for p in active if selectors.matches(template_labels, P.labels(p)))
    ready = [p for p in active if P.is_ready(p)]
    available = sum(1 for p in ready if P.is_available(p, mrs, now))
    status: dict = {"replicas": len(active)}
    for key, value in (
        ("fullyLabeledReplicas", fully),
        ("readyReplicas", len(ready)),
        ("availableReplicas", available),
        ("observedGeneration", P.meta(rs).get("generation", 0)),
    ):
        if value:
            status[key] = value
    conditions = clone((rs.get("status") or {}).get("conditions") or [])
    # A ReplicaFailure set after a failed create is cleared once the count is right.
    if len(active) == _replicas(rs):
        conditions = P.remove_condition(conditions, REPLICA_FAILURE)
    if conditions:
        status["conditions"] = conditions
    return status


def related_pods(rs: dict, view: dict[str, list[dict]]) -> list[dict]:
    """getIndirectlyRelatedPods: pods owned by any ReplicaSet sharing this one's controller."""
    owner = P.controller_ref(rs)
    if owner is None:
        siblings = {P.uid(rs)}
    else:
        siblings = {
            P.uid(r)
            for r in view.get("ReplicaSet", [])
            if (P.controller_ref(r) or {}).get("uid") == owner.get("uid")
        }
    return [
        p
        for p in view.get("Pod", [])
        if (P.controller_ref(p) or {}).get("uid") in siblings
    ]


def sync(view: dict[str, list[dict]], now: float, rng: random.Random) -> list[Action]:
    """Reconcile every ReplicaSet in the view, in namespace/name order."""
    pods_by_ns: dict[str, list[dict]] = {}
    for pod in view.get("Pod", []):
        pods_by_ns.setdefault(P.namespace(pod), []).append(pod)
    actions: list[Action] = []
    for rs in sorted(
        view.get("ReplicaSet", []), key=lambda o: (P.namespace(o), P.name(o))
    ):
        ns_pods = pods_by_ns.get(P.namespace(rs), [])
        actions += reconcile(rs, ns_pods, now, rng, related_pods(rs, view))
    return actions


def next_wake(view: dict[str, list[dict]], now: float) -> float | None:
    """When a Ready pod of a ReplicaSet with minReadySeconds becomes available."""
    by_uid = {P.uid(rs): rs for rs in view.get("ReplicaSet", [])}
    wakes = []
    for pod in view.get("Pod", []):
        rs = by_uid.get((P.controller_ref(pod) or {}).get("uid"))
        mrs = rs and (rs["spec"].get("minReadySeconds") or 0)
        if mrs and P.is_active(pod):
            at = P.available_at(pod, mrs)
            if at is not None and at > now:
                wakes.append(at)
    return min(wakes, default=None)
