"""Deployment strategies: RollingUpdate, Recreate, proportional scaling and history cleanup.

Each function works on a deployment `Sync` (the working copies of one reconcile)
and follows k/k pkg/controller/deployment rolling.go, recreate.go and sync.go.
"""

from __future__ import annotations

from cluster.controllers import deployment_util as U
from cluster.objects import pods as P


def rollout_rolling(s) -> tuple[dict | None, list[dict]]:
    """rolloutRolling: scale the new ReplicaSet up, then the old ones down, one step."""
    new_rs, olds = s.new_and_old(create=True)
    all_rss = [*olds, new_rs]
    if _reconcile_new(s, all_rss, new_rs):
        return new_rs, all_rss
    if _reconcile_old(s, all_rss, [r for r in olds if U.is_active_rs(r)], new_rs):
        return new_rs, all_rss
    if U.complete(s.d, s.d["status"]):
        cleanup(s, olds)
    return new_rs, all_rss


def _reconcile_new(s, all_rss: list[dict], new_rs: dict) -> bool:
    want = U.replicas(s.d)
    if U.replicas(new_rs) == want:
        return False
    if U.replicas(new_rs) > want:
        return s.scale_rs(new_rs, want)
    return s.scale_rs(new_rs, U.new_rs_new_replicas(s.d, all_rss, new_rs))


def _reconcile_old(s, all_rss: list[dict], olds: list[dict], new_rs: dict) -> bool:
    if sum(U.replicas(r) for r in olds) == 0:
        return False
    all_count = sum(U.replicas(r) for r in all_rss)
    min_available = U.replicas(s.d) - U.max_unavailable(s.d)
    new_unavailable = U.replicas(new_rs) - U.status_int(new_rs, "availableReplicas")
    max_scaled_down = all_count - min_available - new_unavailable
    if max_scaled_down <= 0:
        return False
    cleaned = _cleanup_unhealthy(s, olds, max_scaled_down)
    scaled = _scale_down_old_for_rolling(s, [*olds, new_rs], olds)
    return cleaned + scaled > 0


def _cleanup_unhealthy(s, olds: list[dict], max_cleanup: int) -> int:
    total = 0
    for rs in U.by_creation(olds):
        if total >= max_cleanup:
            break
        have, available = U.replicas(rs), U.status_int(rs, "availableReplicas")
        if have == 0 or have == available:
            continue
        down = min(max_cleanup - total, have - available)
        s.scale_rs(rs, have - down)
        total += down
    return total


def _scale_down_old_for_rolling(s, all_rss: list[dict], olds: list[dict]) -> int:
    min_available = U.replicas(s.d) - U.max_unavailable(s.d)
    available = sum(U.status_int(r, "availableReplicas") for r in all_rss)
    if available <= min_available:
        return 0
    budget = available - min_available
    total = 0
    for rs in U.by_creation(olds):
        if total >= budget:
            break
        if U.replicas(rs) == 0:
            continue
        down = min(U.replicas(rs), budget - total)
        s.scale_rs(rs, U.replicas(rs) - down)
        total += down
    return total


def rollout_recreate(s) -> tuple[dict | None, list[dict]]:
    """rolloutRecreate: scale old ReplicaSets to 0, wait for their pods, then scale up the new."""
    new_rs, olds = s.new_and_old(create=False)
    all_rss = [*olds, new_rs] if new_rs else list(olds)
    scaled_down = False
    for rs in [r for r in olds if U.is_active_rs(r)]:
        scaled_down |= s.scale_rs(rs, 0)
    if scaled_down or _old_pods_running(s, new_rs, olds):
        return new_rs, all_rss
    if new_rs is None:
        new_rs, olds = s.new_and_old(create=True)
        all_rss = [*olds, new_rs]
    if U.replicas(new_rs) != U.replicas(s.d):
        s.scale_rs(new_rs, U.replicas(s.d))
    if U.complete(s.d, s.d["status"]):
        cleanup(s, olds)
    return new_rs, all_rss


def _old_pods_running(s, new_rs: dict | None, olds: list[dict]) -> bool:
    if sum(U.status_int(r, "replicas") for r in olds) > 0:
        return True
    old_uids = {P.uid(r) for r in olds}
    for pod in s.pods:
        owner = (P.controller_ref(pod) or {}).get("uid")
        if owner in old_uids and P.phase(pod) not in (P.SUCCEEDED, P.FAILED):
            return True
    return False


def scale(s, new_rs: dict | None, olds: list[dict]) -> None:
    """scale: follow a spec.replicas change, proportionally across ReplicaSets mid-rollout."""
    d = s.d
    want = U.replicas(d)
    active_or_latest = _active_or_latest(new_rs, olds)
    if active_or_latest is not None:
        if U.replicas(active_or_latest) != want:
            s.scale_rs(active_or_latest, want)
        return
    if _saturated(d, new_rs):
        for rs in [r for r in olds if U.is_active_rs(r)]:
            s.scale_rs(rs, 0)
        return
    if not U.is_rolling(d):
        return
    rss = [r for r in [*olds, new_rs] if r is not None and U.is_active_rs(r)]
    allowed = want + U.max_surge(d) if want > 0 else 0
    to_add = allowed - sum(U.replicas(r) for r in rss)
    operation = ""
    if to_add > 0:
        rss = _by_size(rss, newer_first=True)
        operation = "up"
    elif to_add < 0:
        rss = _by_size(rss, newer_first=False)
        operation = "down"
    added, sizes = 0, {}
    for rs in rss:
        if to_add:
            proportion = _proportion(rs, d, to_add, added)
            sizes[P.name(rs)] = U.replicas(rs) + proportion
            added += proportion
        else:
            sizes[P.name(rs)] = U.replicas(rs)
    for i, rs in enumerate(rss):
        if i == 0 and to_add:
            sizes[P.name(rs)] = max(0, sizes[P.name(rs)] + to_add - added)
        s.scale_rs(rs, sizes[P.name(rs)], operation or None)


def _by_size(rss: list[dict], newer_first: bool) -> list[dict]:
    ordered = U.by_creation(rss)
    if newer_first:
        ordered.reverse()
    # Python's sort is stable, so equal sizes keep the age order chosen above.
    return sorted(ordered, key=lambda r: -U.replicas(r))


def _active_or_latest(new_rs: dict | None, olds: list[dict]) -> dict | None:
    if new_rs is None and not olds:
        return None
    olds_newest_first = list(reversed(U.by_creation(olds)))
    active = [
        r for r in [*olds_newest_first, new_rs] if r is not None and U.is_active_rs(r)
    ]
    if not active:
        return new_rs if new_rs is not None else olds_newest_first[0]
    return active[0] if len(active) == 1 else None


def _saturated(d: dict, rs: dict | None) -> bool:
    if rs is None:
        return False
    desired = P.annotations(rs).get(U.DESIRED_REPLICAS)
    want = U.replicas(d)
    return (
        desired == str(want)
        and U.replicas(rs) == want
        and U.status_int(rs, "availableReplicas") == want
    )


def _proportion(rs: dict, d: dict, to_add: int, added: int) -> int:
    if U.replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def _fraction(rs: dict, d: dict) -> int:
    if U.replicas(d) == 0:
        return -U.replicas(rs)
    max_now = U.replicas(d) + U.max_surge(d)
    try:
        before = int(P.annotations(rs).get(U.MAX_REPLICAS, "0"))
    except ValueError:
        before = 0
    if before == 0:
        before = U.status_int(d, "replicas")
    if before == 0:
        return 0
    size = U.replicas(rs) * max_now / before
    rounded = int(size - 0.5) if size < 0 else int(size + 0.5)
    return rounded - U.replicas(rs)


def cleanup(s, olds: list[dict]) -> None:
    """cleanupDeployment: delete the oldest idle ReplicaSets beyond revisionHistoryLimit."""
    limit = s.d["spec"].get("revisionHistoryLimit", 10)
    if limit is None:
        return
    alive = [r for r in olds if not P.is_terminating(r)]
    diff = len(alive) - limit
    if diff <= 0:
        return
    ordered = sorted(
        alive, key=lambda r: (U.revision(r), P.created_at(r) or 0.0, P.name(r))
    )
    for rs in ordered[:diff]:
        if (
            U.status_int(rs, "replicas") != 0
            or U.replicas(rs) != 0
            or P.meta(rs).get("generation", 0) > U.status_int(rs, "observedGeneration")
            or any(rs is u for u in s.updated)
        ):
            continue
        s.deleted.append(rs)
