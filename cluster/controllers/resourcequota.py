"""ResourceQuota controller (`resourcequota-controller`): each quota's status.

`status.hard` is the quota's `spec.hard`, and `status.used` what its namespace uses of
each of those resources: object counts (`pods`, `services`, `count/<resource>`, ...),
the requests and limits of its non-terminal pods, its claims' storage, and its
Services' node ports and load balancers. A resource no evaluator knows gets no `used`
entry. `usage` is also what quota admission charges a new object with.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from cluster import kinds
from cluster.actions import Action, Patch
from cluster.controllers.meta import objects, ref_of
from cluster.objects import pods as podutil
from cluster.objects import quantity
from cluster.simtime import parse_rfc3339

COMPONENT = "resourcequota-controller"
COUNT_PREFIX = "count/"
# The object-count names Kubernetes kept from before `count/<resource>`.
LEGACY_COUNTS = {
    "pods": "Pod",
    "services": "Service",
    "configmaps": "ConfigMap",
    "secrets": "Secret",
    "persistentvolumeclaims": "PersistentVolumeClaim",
    "resourcequotas": "ResourceQuota",
    "replicationcontrollers": "ReplicationController",
}
POD_COMPUTE = {
    "cpu": ("requests", "cpu"),
    "memory": ("requests", "memory"),
    "requests.cpu": ("requests", "cpu"),
    "requests.memory": ("requests", "memory"),
    "limits.cpu": ("limits", "cpu"),
    "limits.memory": ("limits", "memory"),
}
# Scopes a pod quota may narrow itself to (`spec.scopes`).
POD_SCOPES = ("Terminating", "NotTerminating", "BestEffort", "NotBestEffort")


@dataclass(frozen=True)
class Amount:
    """A quantity being summed: its value and whether it prints in binary suffixes
    (as resource.Quantity keeps the format of the first non-zero term added)."""

    value: Decimal = Decimal(0)
    binary: bool = False

    @classmethod
    def of(cls, text) -> Amount:
        text = str(text).strip()
        return cls(quantity.parse(text), text.endswith(quantity.BINARY_SUFFIXES))

    def __add__(self, other: Amount) -> Amount:
        binary = self.binary if self.value else other.binary
        return Amount(self.value + other.value, binary)

    def __str__(self) -> str:
        return quantity.to_string(self.value, self.binary)


ONE = Amount(Decimal(1))


def canonical(value) -> str:
    """A quantity as the API server stores it; a malformed one is left as given."""
    return str(Amount.of(value)) if quantity.is_valid(value) else str(value)


def sync(view: dict, now: float, rng: random.Random) -> list[Action]:
    """Write each quota's hard and used where they differ from its status."""
    actions: list[Action] = []
    for rq in objects(view, "ResourceQuota"):
        want = quota_status(rq, view, now)
        current = rq.get("status") or {}
        if {k: current.get(k) or {} for k in want} == want:
            continue
        patch = {
            key: {
                **dict.fromkeys(current.get(key) or {}),
                **values,
            }
            for key, values in want.items()
        }
        actions.append(Patch(ref_of(rq, "ResourceQuota"), {"status": patch}, "status"))
    return actions


def next_wake(view: dict, now: float) -> float | None:
    """Usage follows the objects in the view; nothing is timed."""
    return None


def quota_status(rq: dict, view: dict, now: float) -> dict:
    """{"hard": spec.hard, "used": the namespace's use of each hard resource}."""
    spec = rq.get("spec") or {}
    given = spec.get("hard") or {}
    hard = {name: canonical(v) for name, v in given.items()}
    namespace = podutil.namespace(rq)
    scopes = spec.get("scopes") or []
    totals: dict[str, Amount] = {
        name: Amount()
        for name in hard
        if quantity.is_valid(given[name]) and tracked(name, view, scopes)
    }
    for kind_name in counted_kinds(totals):
        for obj in objects(view, kind_name):
            if podutil.namespace(obj) != namespace:
                continue
            if kind_name == "Pod" and not pod_matches_scopes(obj, scopes):
                continue
            for name, amount in usage(obj, kind_name, now).items():
                if name in totals:
                    totals[name] = totals[name] + amount
    return {"hard": hard, "used": {name: str(t) for name, t in totals.items()}}


def counted_kinds(resources) -> set[str]:
    """The kinds whose objects add to any of `resources`."""
    found = set()
    for name in resources:
        kind = kind_counted_by(name)
        if kind:
            found.add(kind)
        elif name in POD_COMPUTE:
            found.add("Pod")
        elif name == "requests.storage":
            found.add("PersistentVolumeClaim")
        elif name.startswith("services."):
            found.add("Service")
    return found


def kind_counted_by(resource: str) -> str | None:
    """The kind an object-count resource counts (`pods`, `count/deployments.apps`)."""
    if resource in LEGACY_COUNTS:
        return LEGACY_COUNTS[resource]
    if not resource.startswith(COUNT_PREFIX):
        return None
    plural, _, group = resource[len(COUNT_PREFIX) :].partition(".")
    try:
        return kinds.by_resource(group, plural).kind
    except kinds.UnknownKind:
        return None


def tracked(resource: str, view: dict, scopes: list[str]) -> bool:
    """Whether some evaluator computes `resource` (count kinds must be watched); a
    scoped quota tracks only pod resources."""
    kind = kind_counted_by(resource)
    if scopes:
        return kind == "Pod" or resource in POD_COMPUTE
    if kind is not None:
        return kind in view
    return resource in POD_COMPUTE or resource in (
        "requests.storage",
        "services.nodeports",
        "services.loadbalancers",
    )


def usage(obj: dict, kind_name: str, now: float) -> dict[str, Amount]:
    """What one object adds to its namespace's use, by resource name."""
    kind = kinds.by_kind(kind_name)
    counts = [f"{COUNT_PREFIX}{kind.qualified}"]
    counts += [name for name, k in LEGACY_COUNTS.items() if k == kind_name]
    if kind_name == "Pod":
        if not counts_against_quota(obj, now):
            return {}
        return {**dict.fromkeys(counts, ONE), **pod_compute(obj)}
    used = dict.fromkeys(counts, ONE)
    if kind_name == "PersistentVolumeClaim":
        requests = ((obj.get("spec") or {}).get("resources") or {}).get("requests")
        used["requests.storage"] = Amount.of((requests or {}).get("storage") or 0)
    if kind_name == "Service":
        used.update(service_usage(obj))
    return used


def counts_against_quota(pod: dict, now: float) -> bool:
    """Non-terminal pods count: not Succeeded or Failed, and not past the end of
    their deletion grace period."""
    if podutil.phase(pod) in (podutil.SUCCEEDED, podutil.FAILED):
        return False
    meta = podutil.meta(pod)
    deleting = parse_rfc3339(meta.get("deletionTimestamp"))
    grace = meta.get("deletionGracePeriodSeconds")
    return deleting is None or grace is None or now <= deleting + grace


def pod_compute(pod: dict) -> dict[str, Amount]:
    """The pod's cpu and memory requests and limits under their quota names."""
    found = {}
    for name, (field, resource) in POD_COMPUTE.items():
        amount = pod_total(pod.get("spec") or {}, field, resource)
        if amount is not None:
            found[name] = amount
    return found


def pod_total(spec: dict, field: str, resource: str) -> Amount | None:
    """A pod's effective request or limit of one resource: the containers' sum (with
    sidecars), or the largest init container's if more, plus the pod overhead; None
    when no container sets it."""

    def of(container) -> Amount | None:
        value = ((container.get("resources") or {}).get(field) or {}).get(resource)
        return None if value is None else Amount.of(value)

    total, seen = Amount(), False
    for c in spec.get("containers") or []:
        if (a := of(c)) is not None:
            total, seen = total + a, True
    sidecars, init_max = Amount(), Amount()
    for c in spec.get("initContainers") or []:
        a = of(c)
        if a is not None:
            seen = True
        a = a or Amount()
        if c.get("restartPolicy") == "Always":
            sidecars = sidecars + a
            a = sidecars
        else:
            a = a + sidecars
        if a.value > init_max.value:
            init_max = a
    if not seen:
        return None
    total = total + sidecars
    if init_max.value > total.value:
        total = init_max
    overhead = (spec.get("overhead") or {}).get(resource)
    return total + Amount.of(overhead) if overhead is not None else total


def service_usage(svc: dict) -> dict[str, Amount]:
    """services.loadbalancers and services.nodeports (one per port that gets one)."""
    spec = svc.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    ports = len(spec.get("ports") or [])
    if kind == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is False:
        ports = 0
    node_ports = ports if kind in ("NodePort", "LoadBalancer") else 0
    return {
        "services.loadbalancers": Amount(Decimal(int(kind == "LoadBalancer"))),
        "services.nodeports": Amount(Decimal(node_ports)),
    }


def pod_matches_scopes(pod: dict, scopes: list[str]) -> bool:
    """Whether a pod falls under every scope of the quota."""
    spec = pod.get("spec") or {}
    terminating = spec.get("activeDeadlineSeconds") is not None
    best_effort = not any(
        ((c.get("resources") or {}).get(field) or {}).get(r) is not None
        for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]
        for field in ("requests", "limits")
        for r in ("cpu", "memory")
    )
    answers = {
        "Terminating": terminating,
        "NotTerminating": not terminating,
        "BestEffort": best_effort,
        "NotBestEffort": not best_effort,
    }
    return all(answers.get(scope, True) for scope in scopes)
