"""PersistentVolume controller: binding, provisioning, reclaim and lost claims."""

import random

import pytest

from cluster.actions import Delete, Patch, RecordEvent, Ref
from cluster.controllers import persistentvolume as pvc_ctl
from cluster.simtime import rfc3339
from tests.controllers import fakeapi

T0 = 1_767_225_600.0


def pv(
    name,
    size,
    cls="",
    modes=("ReadWriteOnce",),
    claim=None,
    reclaim="Retain",
    phase="Available",
):
    spec = {
        "capacity": {"storage": size},
        "accessModes": list(modes),
        "storageClassName": cls,
        "persistentVolumeReclaimPolicy": reclaim,
        "hostPath": {"path": f"/data/{name}"},
    }
    if claim:
        spec["claimRef"] = claim
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, "uid": f"{name}-uid"},
        "spec": spec,
        "status": {"phase": phase},
    }


def pvc(name="data", size="1Gi", cls="", volume=None, annotations=None, rv="3"):
    spec = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": size}},
        "storageClassName": cls,
    }
    if volume:
        spec["volumeName"] = volume
    meta = {
        "name": name,
        "namespace": "default",
        "uid": f"{name}-uid",
        "resourceVersion": rv,
    }
    if annotations:
        meta["annotations"] = annotations
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta,
        "spec": spec,
        "status": {"phase": "Pending"},
    }


def storage_class(name="standard", mode="Immediate", reclaim=None):
    sc = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name},
        "provisioner": "kubelab.dev/hostpath",
        "volumeBindingMode": mode,
    }
    if reclaim:
        sc["reclaimPolicy"] = reclaim
    return sc


def pv_ref(name):
    return Ref("PersistentVolume", None, name, "v1", f"{name}-uid")


CLAIM_REF = Ref("PersistentVolumeClaim", "default", "data", "v1", "data-uid")
BOUND_CLAIM = {
    "kind": "PersistentVolumeClaim",
    "namespace": "default",
    "name": "data",
    "uid": "data-uid",
    "apiVersion": "v1",
    "resourceVersion": "3",
}


def test_claim_binds_to_the_smallest_volume_that_fits():
    """Among fitting volumes the smallest wins; too small or wrong mode ones are skipped."""
    view = {
        "PersistentVolume": [
            pv("big", "10Gi"),
            pv("small", "500Mi"),
            pv("snug", "2Gi"),
            pv("rox", "1Gi", modes=("ReadOnlyMany",)),
            pv("fast", "1Gi", cls="fast"),
        ],
        "PersistentVolumeClaim": [pvc()],
    }
    actions = pvc_ctl.reconcile(view, T0)
    assert actions == [
        Patch(
            pv_ref("snug"),
            {
                "spec": {"claimRef": BOUND_CLAIM},
                "metadata": {
                    "annotations": {"pv.kubernetes.io/bound-by-controller": "yes"}
                },
            },
        ),
        Patch(
            pv_ref("snug"),
            {"status": {"phase": "Bound", "lastPhaseTransitionTime": rfc3339(T0)}},
            "status",
        ),
        Patch(
            CLAIM_REF,
            {
                "metadata": {
                    "annotations": {
                        "pv.kubernetes.io/bind-completed": "yes",
                        "pv.kubernetes.io/bound-by-controller": "yes",
                    }
                },
                "spec": {"volumeName": "snug"},
            },
        ),
        Patch(
            CLAIM_REF,
            {
                "status": {
                    "phase": "Bound",
                    "accessModes": ["ReadWriteOnce"],
                    "capacity": {"storage": "2Gi"},
                }
            },
            "status",
        ),
    ]
    fakeapi.apply(view, actions, T0)
    assert pvc_ctl.reconcile(view, T0 + 1) == []


def test_claim_without_match_or_class_waits_with_failed_binding():
    """No volume and no class: the claim stays Pending with FailedBinding."""
    view = {
        "PersistentVolume": [pv("small", "500Mi")],
        "PersistentVolumeClaim": [pvc()],
    }
    assert pvc_ctl.reconcile(view, T0) == [
        RecordEvent(
            CLAIM_REF,
            "Normal",
            "FailedBinding",
            "no persistent volumes available for this claim and no storage class is set",
            "persistentvolume-controller",
        )
    ]


def test_dynamic_provisioning_creates_pvc_uid_volume_and_binds_it():
    """ExternalProvisioning, then the provisioner creates pvc-<uid>, then the claim binds."""
    view = {
        "StorageClass": [storage_class()],
        "PersistentVolumeClaim": [pvc(cls="standard")],
        "PersistentVolume": [],
    }
    events = []
    for step in range(4):
        fakeapi.apply(view, pvc_ctl.reconcile(view, T0 + step), T0 + step, events)
    waiting = (
        "ExternalProvisioning",
        "Waiting for a volume to be created either by the external provisioner 'kubelab.dev/hostpath' "
        "or manually by the system administrator. If volume creation is delayed, please verify that "
        "the provisioner is running and correctly registered.",
    )
    # The claim is annotated on the first sync; the provisioner answers on the next.
    assert events == [
        waiting,
        waiting,
        (
            "Provisioning",
            'External provisioner is provisioning volume for claim "default/data"',
        ),
        ("ProvisioningSucceeded", "Successfully provisioned volume pvc-data-uid"),
    ]
    [volume] = view["PersistentVolume"]
    assert volume["metadata"]["name"] == "pvc-data-uid"
    assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
    assert volume["status"]["phase"] == "Bound"
    claim = view["PersistentVolumeClaim"][0]
    assert claim["spec"]["volumeName"] == "pvc-data-uid"
    assert claim["status"] == {
        "phase": "Bound",
        "accessModes": ["ReadWriteOnce"],
        "capacity": {"storage": "1Gi"},
    }
    assert pvc_ctl.reconcile(view, T0 + 9) == []


def test_wait_for_first_consumer_provisions_only_after_scheduling():
    """A WaitForFirstConsumer claim waits until a pod using it is on a node."""
    view = {
        "StorageClass": [storage_class(mode="WaitForFirstConsumer")],
        "PersistentVolumeClaim": [pvc(cls="standard")],
        "PersistentVolume": [],
        "Pod": [],
    }
    assert pvc_ctl.reconcile(view, T0) == [
        RecordEvent(
            CLAIM_REF,
            "Normal",
            "WaitForFirstConsumer",
            "waiting for first consumer to be created before binding",
            "persistentvolume-controller",
        )
    ]
    user = {
        "kind": "Pod",
        "metadata": {"name": "db", "namespace": "default"},
        "spec": {
            "nodeName": "worker-2",
            "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}],
        },
    }
    view["Pod"].append(user)
    for step in range(4):
        fakeapi.apply(view, pvc_ctl.reconcile(view, T0 + step), T0 + step)
    [volume] = view["PersistentVolume"]
    assert volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"] == [
        {
            "matchExpressions": [
                {
                    "key": "kubernetes.io/hostname",
                    "operator": "In",
                    "values": ["worker-2"],
                }
            ]
        }
    ]
    assert (
        view["PersistentVolumeClaim"][0]["metadata"]["annotations"][
            "volume.kubernetes.io/selected-node"
        ]
        == "worker-2"
    )


@pytest.mark.parametrize(
    ("reclaim", "expected"),
    [
        pytest.param(
            "Retain",
            [
                Patch(
                    pv_ref("vol"),
                    {
                        "status": {
                            "phase": "Released",
                            "lastPhaseTransitionTime": rfc3339(T0),
                        }
                    },
                    "status",
                )
            ],
            id="retain-keeps-a-released-volume",
        ),
        pytest.param(
            "Delete",
            [
                Patch(
                    pv_ref("vol"),
                    {
                        "status": {
                            "phase": "Released",
                            "lastPhaseTransitionTime": rfc3339(T0),
                        }
                    },
                    "status",
                ),
                Delete(pv_ref("vol")),
            ],
            id="delete-removes-the-volume",
        ),
    ],
)
def test_deleted_claim_releases_or_deletes_its_volume(reclaim, expected):
    """When the bound claim is gone the reclaim policy decides the volume's fate."""
    view = {
        "PersistentVolume": [
            pv("vol", "1Gi", claim=BOUND_CLAIM, reclaim=reclaim, phase="Bound")
        ],
        "PersistentVolumeClaim": [],
    }
    assert pvc_ctl.reconcile(view, T0) == expected


def test_bound_claim_whose_volume_vanished_is_lost():
    """ClaimLost: a claim bound to a missing volume turns Lost with a warning."""
    view = {"PersistentVolume": [], "PersistentVolumeClaim": [pvc(volume="vol")]}
    assert pvc_ctl.reconcile(view, T0) == [
        Patch(CLAIM_REF, {"status": {"phase": "Lost"}}, "status"),
        RecordEvent(
            CLAIM_REF,
            "Warning",
            "ClaimLost",
            "Bound claim has lost its PersistentVolume. Data on the volume is lost!",
            "persistentvolume-controller",
        ),
    ]


FAILED_BINDING = RecordEvent(
    CLAIM_REF,
    "Normal",
    "FailedBinding",
    "no persistent volumes available for this claim and no storage class is set",
    "persistentvolume-controller",
)


def test_sync_leaves_the_waiting_event_to_remembered():
    """The writes come from `sync` on every pass; a waiting claim's event does not."""
    view = {"PersistentVolume": [], "PersistentVolumeClaim": [pvc()]}
    assert pvc_ctl.sync(view, T0, random.Random(1)) == []


@pytest.mark.parametrize(
    ("memory", "at", "claim_rv", "expected"),
    [
        pytest.param(None, T0, "3", [FAILED_BINDING], id="first-sync-records"),
        pytest.param(
            {"since": None, "resync": int(T0 // 15), "claims": {"data-uid": "3"}},
            T0 + 5,
            "3",
            [],
            id="same-period-stays-quiet",
        ),
        pytest.param(
            {"since": None, "resync": int(T0 // 15), "claims": {"data-uid": "3"}},
            T0 + 15,
            "3",
            [FAILED_BINDING],
            id="resync-records-again",
        ),
        pytest.param(
            {"since": None, "resync": int(T0 // 15), "claims": {"data-uid": "3"}},
            T0 + 1,
            "4",
            [FAILED_BINDING],
            id="changed-claim-records-again",
        ),
    ],
)
def test_waiting_claim_event_is_recorded_once_per_sync(memory, at, claim_rv, expected):
    """A Pending claim gets FailedBinding when first seen, when it changes, and at each
    15 s resync; passes in between record nothing."""
    view = {"PersistentVolume": [], "PersistentVolumeClaim": [pvc(rv=claim_rv)]}
    actions, kept = pvc_ctl.remembered(view, memory, at)
    assert actions == expected
    assert kept == {
        "since": None,
        "resync": int(at // 15),
        "claims": {"data-uid": claim_rv},
    }


def test_next_wake_is_the_next_resync_only_while_a_claim_waits():
    """A waiting claim wakes the controller at the next 15 s resync; a bound one not."""
    waiting = {"PersistentVolume": [], "PersistentVolumeClaim": [pvc()]}
    bound = {"PersistentVolume": [], "PersistentVolumeClaim": [pvc(volume="vol")]}
    assert pvc_ctl.next_wake(waiting, 20.0) == 30.0
    assert pvc_ctl.next_wake(waiting, 30.0) == 45.0
    assert pvc_ctl.next_wake(bound, 20.0) is None
