"""Garbage collector: Background, Foreground and Orphan cascades."""

import random

from cluster.actions import Delete, Patch, Ref
from cluster.controllers import garbage_collector as gc
from tests.controllers import fakeapi

T0 = 1_767_225_600.0


def rs(uid="rs-1", finalizers=None, deleting=False):
    meta = {"name": "web", "namespace": "default", "uid": uid, "resourceVersion": "5"}
    if finalizers:
        meta["finalizers"] = finalizers
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta}


def pod(name, owner_uid="rs-1", block=True):
    ref = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": "web",
        "uid": owner_uid,
        "controller": True,
    }
    if block:
        ref["blockOwnerDeletion"] = True
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"{name}-uid",
            "ownerReferences": [ref],
        },
    }


def pod_ref(name):
    return Ref("Pod", "default", name, "v1", f"{name}-uid")


RS_REF = Ref("ReplicaSet", "default", "web", "apps/v1", "rs-1")


def test_background_deletes_dependents_of_a_gone_owner():
    """Dependents whose owner uid no longer exists are deleted; owned ones stay."""
    view = {
        "ReplicaSet": [rs(uid="rs-2")],
        "Pod": [pod("web-a"), pod("web-b", owner_uid="rs-2")],
    }
    assert gc.sync(view, T0, random.Random(1)) == [
        Delete(pod_ref("web-a"), propagation_policy="Background", uid="web-a-uid")
    ]


def test_foreground_keeps_owner_until_blocking_dependents_are_gone():
    """Foreground: dependents are deleted first, then the owner's finalizer goes."""
    view = {
        "ReplicaSet": [rs(finalizers=["foregroundDeletion"], deleting=True)],
        "Pod": [pod("web-a")],
    }
    first = gc.sync(view, T0, random.Random(1))
    assert first == [
        Delete(pod_ref("web-a"), propagation_policy="Background", uid="web-a-uid")
    ]
    fakeapi.apply(view, first, T0)
    assert gc.sync(view, T0, random.Random(1)) == [
        Patch(RS_REF, {"metadata": {"finalizers": None, "resourceVersion": "5"}})
    ]


def test_foreground_does_not_wait_for_non_blocking_dependents():
    """A dependent without blockOwnerDeletion does not hold the owner back."""
    owner = rs(finalizers=["foregroundDeletion"], deleting=True)
    assert gc.reconcile_owner(owner, [pod("web-a", block=False)]) == [
        Patch(RS_REF, {"metadata": {"finalizers": None, "resourceVersion": "5"}})
    ]


def test_orphan_removes_owner_references_then_the_finalizer():
    """Orphan: dependents lose the reference and survive; the owner loses `orphan`."""
    view = {
        "ReplicaSet": [rs(finalizers=["orphan"], deleting=True)],
        "Pod": [pod("web-a")],
    }
    actions = gc.sync(view, T0, random.Random(1))
    assert actions == [
        Patch(pod_ref("web-a"), {"metadata": {"ownerReferences": None}}),
        Patch(RS_REF, {"metadata": {"finalizers": None, "resourceVersion": "5"}}),
    ]
    fakeapi.apply(view, actions, T0)
    assert gc.sync(view, T0, random.Random(1)) == []
    assert "ownerReferences" not in view["Pod"][0]["metadata"]


def test_dangling_reference_is_dropped_when_another_owner_lives():
    """An object with one live owner keeps living and only loses the dangling reference."""
    dep = pod("web-a")
    live = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "rs-2"}
    dep["metadata"]["ownerReferences"].append(live)
    view = {"ReplicaSet": [rs(uid="rs-2")], "Pod": [dep]}
    assert gc.sync(view, T0, random.Random(1)) == [
        Patch(pod_ref("web-a"), {"metadata": {"ownerReferences": [live]}})
    ]
