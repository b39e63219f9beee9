"""Lease-based leader election for kube-scheduler and kube-controller-manager.

client-go's leaderelection as pure functions: a candidate reads the Lease, and
acquires it when it is free or expired; the holder renews it every retry period.
The engine applies the returned Lease (Create when new, otherwise Update carrying
the read resourceVersion, so two candidates racing get a Conflict).
"""

from __future__ import annotations

import random
import uuid

from cluster.actions import RecordEvent, Ref
from cluster.simtime import parse_rfc3339, rfc3339_micro

LEASE_NAMESPACE = "kube-system"
LEASE_DURATION = 15.0  # component-base RecommendedDefaultLeaderElectionConfiguration
RENEW_DEADLINE = 10.0
RETRY_PERIOD = 2.0
REASON_LEADER_ELECTION = "LeaderElection"


def new_identity(machine: str, rng: random.Random) -> str:
    """A holder identity as the components build it: `<hostname>_<uuid>`."""
    return f"{machine}_{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def holder(lease: dict | None, now: float) -> str | None:
    """The identity currently holding a valid lease, or None when it is free or expired."""
    if not lease:
        return None
    spec = lease.get("spec") or {}
    who = spec.get("holderIdentity")
    if not who or expired(lease, now):
        return None
    return who


def expired(lease: dict, now: float) -> bool:
    """True once renewTime + leaseDurationSeconds has passed."""
    spec = lease.get("spec") or {}
    renewed = parse_rfc3339(spec.get("renewTime")) or 0.0
    return renewed + float(spec.get("leaseDurationSeconds") or LEASE_DURATION) <= now


def try_acquire_or_renew(
    lease: dict | None,
    identity: str,
    now: float,
    name: str = "kube-scheduler",
    namespace: str = LEASE_NAMESPACE,
) -> tuple[dict | None, bool]:
    """(the Lease to write, or None when nothing changes; whether `identity` leads)."""
    stamp = rfc3339_micro(now)
    if lease is None:
        return _lease(name, namespace, identity, stamp, stamp, 0), True
    spec = lease.get("spec") or {}
    current = holder(lease, now)
    if current == identity:
        renewed = parse_rfc3339(spec.get("renewTime")) or 0.0
        if now - renewed < RETRY_PERIOD:
            return None, True
        return renewed_lease(lease, now), True
    if current is not None:
        return None, False
    transitions = int(spec.get("leaseTransitions") or 0)
    if spec.get("holderIdentity") and spec.get("holderIdentity") != identity:
        transitions += 1
    new_spec = {
        **spec,
        "holderIdentity": identity,
        "leaseDurationSeconds": int(LEASE_DURATION),
        "acquireTime": stamp,
        "renewTime": stamp,
        "leaseTransitions": transitions,
    }
    return {**lease, "spec": new_spec}, True


def renewed_lease(lease: dict, now: float) -> dict:
    """The holder's Lease with its renewTime moved to `now`."""
    spec = lease.get("spec") or {}
    return {**lease, "spec": {**spec, "renewTime": rfc3339_micro(now)}}


def became_leader_event(lease: dict, component: str) -> RecordEvent:
    """The `<holder> became leader` event recorded on the Lease."""
    meta = lease.get("metadata") or {}
    who = (lease.get("spec") or {}).get("holderIdentity", "")
    return RecordEvent(
        involved=Ref(
            "Lease",
            meta.get("namespace", LEASE_NAMESPACE),
            meta.get("name", ""),
            "coordination.k8s.io/v1",
            meta.get("uid", ""),
        ),
        type="Normal",
        reason=REASON_LEADER_ELECTION,
        message=f"{who} became leader",
        component=component,
    )


def next_wake(lease: dict | None, identity: str, now: float) -> float | None:
    """When `identity` should try again: its next renewal, or the lease's expiry."""
    if lease is None:
        return now
    spec = lease.get("spec") or {}
    renewed = parse_rfc3339(spec.get("renewTime")) or 0.0
    if holder(lease, now) == identity:
        return renewed + RETRY_PERIOD
    if holder(lease, now) is None:
        return now
    return renewed + float(spec.get("leaseDurationSeconds") or LEASE_DURATION)


def _lease(
    name: str,
    namespace: str,
    identity: str,
    acquired: str,
    renewed: str,
    transitions: int,
) -> dict:
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "holderIdentity": identity,
            "leaseDurationSeconds": int(LEASE_DURATION),
            "acquireTime": acquired,
            "renewTime": renewed,
            "leaseTransitions": transitions,
        },
    }
