"""The simulated external provisioner `kubelab.dev/hostpath`: a volume per handed-over claim.

The persistentvolume-controller hands a claim over by annotating it with
`volume.kubernetes.io/storage-provisioner`; this provisioner then creates the
PersistentVolume `pvc-<claim uid>` (as real provisioners name them), pre-bound to the
claim through claimRef, with the class's reclaimPolicy (default Delete) and, for
WaitForFirstConsumer, node affinity to the selected node.
"""

from __future__ import annotations

from cluster.actions import Action, Create
from cluster.controllers.meta import event
from cluster.objects import pods as podutil

PROVISIONER = "kubelab.dev/hostpath"
ANN_PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
REASON_PROVISIONING = "Provisioning"
MESSAGE_PROVISIONING = 'External provisioner is provisioning volume for claim "{}/{}"'
REASON_PROVISIONING_SUCCEEDED = "ProvisioningSucceeded"
MESSAGE_PROVISIONING_SUCCEEDED = "Successfully provisioned volume {}"


def provisioned_volume(claim: dict, cls: dict) -> dict:
    """The PersistentVolume the hostpath provisioner creates for a claim."""
    name = f"pvc-{podutil.uid(claim)}"
    spec: dict = {
        "accessModes": (claim.get("spec") or {}).get("accessModes")
        or ["ReadWriteOnce"],
        "capacity": {
            "storage": (
                (claim["spec"].get("resources") or {}).get("requests") or {}
            ).get("storage", "0")
        },
        "claimRef": _claim_ref(claim),
        "hostPath": {"path": f"/var/lib/kubelab/hostpath/{name}", "type": ""},
        "persistentVolumeReclaimPolicy": cls.get("reclaimPolicy") or "Delete",
        "storageClassName": podutil.name(cls),
        "volumeMode": (claim.get("spec") or {}).get("volumeMode") or "Filesystem",
    }
    node = podutil.annotations(claim).get(ANN_SELECTED_NODE)
    if node:
        term = {
            "matchExpressions": [
                {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}
            ]
        }
        spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [term]}}
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, "annotations": {ANN_PROVISIONED_BY: PROVISIONER}},
        "spec": spec,
    }


def provision(
    claim: dict, pvs: dict[str, dict], classes: dict[str, dict]
) -> list[Action]:
    """The hostpath provisioner: create `pvc-<uid>` for a claim handed to it."""
    if podutil.is_terminating(claim) or (claim.get("spec") or {}).get("volumeName"):
        return []
    if podutil.annotations(claim).get(ANN_STORAGE_PROVISIONER) != PROVISIONER:
        return []
    cls = classes.get((claim.get("spec") or {}).get("storageClassName") or "")
    if cls is None or cls.get("provisioner") != PROVISIONER:
        return []
    delayed = cls.get("volumeBindingMode") == "WaitForFirstConsumer"
    if delayed and not podutil.annotations(claim).get(ANN_SELECTED_NODE):
        return []
    pv = provisioned_volume(claim, cls)
    if podutil.name(pv) in pvs:
        return []
    key = (podutil.namespace(claim), podutil.name(claim))
    return [
        _event(claim, REASON_PROVISIONING, MESSAGE_PROVISIONING.format(*key)),
        Create(pv),
        _event(
            claim,
            REASON_PROVISIONING_SUCCEEDED,
            MESSAGE_PROVISIONING_SUCCEEDED.format(podutil.name(pv)),
        ),
    ]


def _claim_ref(claim: dict) -> dict:
    return {
        "kind": "PersistentVolumeClaim",
        "namespace": podutil.namespace(claim),
        "name": podutil.name(claim),
        "uid": podutil.uid(claim),
        "apiVersion": "v1",
        "resourceVersion": podutil.meta(claim).get("resourceVersion", ""),
    }


def _event(claim: dict, reason: str, message: str):
    return event(claim, "Normal", reason, message, PROVISIONER, "PersistentVolumeClaim")
