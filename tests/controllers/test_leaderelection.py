"""Lease-based leader election for the scheduler and controller-manager."""

import random

from cluster.actions import RecordEvent, Ref
from cluster.controllers import leaderelection as le
from cluster.simtime import rfc3339_micro

T0 = 1_767_225_600.0


def test_first_candidate_creates_the_lease_and_leads():
    """With no Lease, the candidate creates one holding it."""
    lease, leading = le.try_acquire_or_renew(None, "master-1_a", T0, "kube-scheduler")
    assert leading
    assert lease == {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "kube-scheduler", "namespace": "kube-system"},
        "spec": {
            "holderIdentity": "master-1_a",
            "leaseDurationSeconds": 15,
            "acquireTime": rfc3339_micro(T0),
            "renewTime": rfc3339_micro(T0),
            "leaseTransitions": 0,
        },
    }


def test_leader_that_stops_renewing_loses_the_lease_after_15s():
    """A second candidate waits while the lease is valid and takes it once it expires."""
    lease, _ = le.try_acquire_or_renew(None, "master-1_a", T0)
    renewed, leading = le.try_acquire_or_renew(lease, "master-1_a", T0 + 2)
    assert leading and renewed["spec"]["renewTime"] == rfc3339_micro(T0 + 2)
    assert le.try_acquire_or_renew(renewed, "master-2_b", T0 + 16.9) == (None, False)
    assert le.next_wake(renewed, "master-2_b", T0 + 3) == T0 + 17
    taken, leading = le.try_acquire_or_renew(renewed, "master-2_b", T0 + 17)
    assert leading
    assert taken["spec"] == {
        "holderIdentity": "master-2_b",
        "leaseDurationSeconds": 15,
        "acquireTime": rfc3339_micro(T0 + 17),
        "renewTime": rfc3339_micro(T0 + 17),
        "leaseTransitions": 1,
    }
    assert le.try_acquire_or_renew(taken, "master-1_a", T0 + 18) == (None, False)


def test_holder_renews_only_every_retry_period():
    """Within 2 s of the last renewal the holder writes nothing but still leads."""
    lease, _ = le.try_acquire_or_renew(None, "master-1_a", T0)
    assert le.try_acquire_or_renew(lease, "master-1_a", T0 + 1.5) == (None, True)


def test_became_leader_event_and_identity_format():
    """The event names the holder; identities are `<machine>_<uuid>` and reproducible."""
    lease, _ = le.try_acquire_or_renew(
        None, "master-1_a", T0, "kube-controller-manager"
    )
    assert le.became_leader_event(lease, "kube-controller-manager") == RecordEvent(
        Ref(
            "Lease",
            "kube-system",
            "kube-controller-manager",
            "coordination.k8s.io/v1",
            "",
        ),
        "Normal",
        "LeaderElection",
        "master-1_a became leader",
        "kube-controller-manager",
    )
    one = le.new_identity("master-1", random.Random(5))
    assert one == le.new_identity("master-1", random.Random(5))
    assert one.startswith("master-1_") and len(one) == len("master-1_") + 36
