"""DaemonSet update strategies: which pods the core loop and a rolling update
replace on each node (pkg/controller/daemon/update.go and podsShouldBeOnNode).

Without surge, an old pod is deleted first and its replacement is created on a later
sync, once the node is empty; with maxSurge, the new pod starts next to the old one,
and the old one goes when the new one is available. OnDelete replaces nothing: a new
pod appears only where a user deleted the old one.
"""

from __future__ import annotations

from cluster.controllers.deployment_util import scaled_value
from cluster.objects import pods as P

HASH_LABEL = "controller-revision-hash"
GENERATION_LABEL = "pod-template-generation"


def _rolling(ds: dict) -> dict | None:
    strategy = ds["spec"].get("updateStrategy") or {}
    if (strategy.get("type") or "RollingUpdate") != "RollingUpdate":
        return None
    return strategy.get("rollingUpdate") or {}


def surge_count(ds: dict, desired: int) -> int:
    """SurgeCount: maxSurge scaled to the nodes, rounded up; 0 unless RollingUpdate."""
    rolling = _rolling(ds)
    if not rolling or rolling.get("maxSurge") is None:
        return 0
    return scaled_value(rolling["maxSurge"], desired, True)


def unavailable_count(ds: dict, desired: int) -> int:
    """UnavailableCount: maxUnavailable scaled to the nodes, rounded up."""
    rolling = _rolling(ds)
    if rolling is None:
        return 0
    return scaled_value(rolling.get("maxUnavailable", 1), desired, True)


def allows_surge(ds: dict, desired: int) -> bool:
    """AllowsSurge (upstream asks with one node, so any non-zero surge counts)."""
    return surge_count(ds, 1) != 0


def is_updated(pod: dict, hash_: str, generation: str | None) -> bool:
    """IsPodUpdated: the pod carries the current hash or template generation."""
    labels = P.labels(pod)
    if generation is not None and labels.get(GENERATION_LABEL) == generation:
        return True
    return bool(hash_) and labels.get(HASH_LABEL) == hash_


def pod_order(pod: dict):
    """podByCreationTimestampAndPhase: bound pods first, then oldest, then by name."""
    return (not P.node_name(pod), P.created_at(pod) or 0.0, P.name(pod))


def pods_on_node(
    ds: dict,
    here: list[dict],
    hash_: str,
    surge: bool,
    now: float,
    generation: str | None,
) -> tuple[bool, list[dict]]:
    """podsShouldBeOnNode for a node that should run the daemon and has pods:
    (whether to create one, which to delete)."""
    victims = [
        p
        for p in here
        if not P.is_terminating(p) and P.phase(p) in (P.FAILED, P.SUCCEEDED)
    ]
    running = sorted(
        (p for p in here if not P.is_terminating(p) and p not in victims),
        key=pod_order,
    )
    if not surge:
        return False, victims + running[1:]
    if not running:
        # Surging keeps at least one live pod on the node.
        return True, victims
    oldest_new = oldest_old = None
    for pod in running:
        if P.labels(pod).get(HASH_LABEL) == hash_:
            if oldest_new is None:
                oldest_new = pod
                continue
        elif oldest_old is None:
            oldest_old = pod
            continue
        victims.append(pod)
    if oldest_new is not None and oldest_old is not None:
        mrs = ds["spec"].get("minReadySeconds") or 0
        if not P.is_ready(oldest_old) or P.is_available(oldest_new, mrs, now):
            victims.append(oldest_old)
    return False, victims


def _split(here: list[dict], hash_: str, generation: str | None):
    """findUpdatedPodsOnNode: (new, old, ok); not ok when a node has two of a kind."""
    new = old = None
    for pod in here:
        if P.is_terminating(pod):
            continue
        if is_updated(pod, hash_, generation):
            if new is not None:
                return None, None, False
            new = pod
        else:
            if old is not None:
                return None, None, False
            old = pod
    return new, old, True


def rolling_update(
    ds: dict,
    eligible: list[dict],
    by_node: dict[str, list[dict]],
    hash_: str,
    now: float,
    generation: str | None,
) -> tuple[list[str], list[dict]]:
    """rollingUpdate: (nodes to start a new pod on, old pods to delete)."""
    if _rolling(ds) is None:
        return [], []
    desired = len(eligible)
    max_surge = surge_count(ds, desired)
    max_unavailable = unavailable_count(ds, desired)
    if desired > 0 and max_surge == 0 and max_unavailable == 0:
        max_unavailable = 1
    mrs = ds["spec"].get("minReadySeconds") or 0
    names = [P.name(n) for n in eligible]
    # Nodes that run old pods but should not run the daemon count too.
    names += sorted(n for n in by_node if n not in names)
    if max_surge == 0:
        return [], _delete_within_budget(
            names, by_node, hash_, generation, max_unavailable, mrs, now
        )
    return _surge(
        ds, names, by_node, hash_, generation, max_surge, mrs, now, set(names[:desired])
    )


def _delete_within_budget(names, by_node, hash_, generation, budget, mrs, now):
    unavailable = 0
    replace, candidates = [], []
    for name in names:
        new, old, ok = _split(by_node.get(name, []), hash_, generation)
        if not ok or (old is None) == (new is None):
            # The core loop still has work here; the node counts as unavailable.
            unavailable += 1
        elif new is not None:
            unavailable += 0 if P.is_available(new, mrs, now) else 1
        elif not P.is_available(old, mrs, now):
            replace.append(old)
        elif unavailable < budget:
            candidates.append(old)
    room = max(0, min(budget - unavailable, len(candidates)))
    return replace + candidates[:room]


def _surge(ds, names, by_node, hash_, generation, budget, mrs, now, should_run):
    surged = 0
    delete, allowed, candidates = [], [], []
    for name in names:
        new, old, ok = _split(by_node.get(name, []), hash_, generation)
        if not ok:
            surged += 1
        elif old is None:
            continue
        elif new is None:
            if not P.is_available(old, mrs, now):
                if name in should_run:
                    allowed.append(name)
                else:
                    delete.append(old)
            elif surged < budget:
                candidates.append(name)
        elif not P.is_available(new, mrs, now):
            surged += 1
        else:
            delete.append(old)
    room = max(0, min(budget - surged, len(candidates)))
    return allowed + candidates[:room], delete
