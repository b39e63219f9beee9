"""PersistentVolume controller (`persistentvolume-controller`): bind claims to volumes.

A Pending claim binds to the smallest Available volume that matches its class,
access modes, volume mode, selector and size; a class with a provisioner gets a
volume made for the claim instead. Binding is four writes in Kubernetes' order:
the volume's claimRef, its phase, the claim's volumeName, the claim's phase. When
a claim goes away its volume is Released (reclaim `Retain`) or deleted (`Delete`).

The pvc/pv protection controllers live here too, because they only complete this
state machine; the simulated provisioner is `hostpath_provisioner`.

A waiting claim's event (FailedBinding, WaitForFirstConsumer, ExternalProvisioning,
ProvisioningFailed) is recorded when the claim is first seen or changes, and again on
each resync of all claims every CLAIM_SYNC_PERIOD (`--pvclaimbinder-sync-period`);
the event recorder folds repeats into a count. `sync` does the writes, `remembered`
the waiting events, since only it knows when they were last recorded.
"""

from __future__ import annotations

import random

from cluster.actions import Action, Delete, Patch, RecordEvent
from cluster.controllers import hostpath_provisioner
from cluster.controllers.meta import event, objects, ref_of
from cluster.controllers.node_lifecycle import observing_since
from cluster.objects import pods as podutil
from cluster.objects.quantity import to_int
from cluster.objects.selectors import (
    from_label_selector,
    from_node_selector_term,
    matches,
)
from cluster.simtime import rfc3339

COMPONENT = "persistentvolume-controller"
CLAIM_SYNC_PERIOD = 15.0  # seconds, kube-controller-manager's default
PVC_PROTECTION_COMPONENT = "pvc-protection-controller"
PV_PROTECTION_COMPONENT = "pv-protection-controller"

ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"

REASON_FAILED_BINDING = "FailedBinding"
MESSAGE_NO_VOLUMES_NO_CLASS = (
    "no persistent volumes available for this claim and no storage class is set"
)
REASON_WAIT_FOR_FIRST_CONSUMER = "WaitForFirstConsumer"
MESSAGE_WAIT_FOR_FIRST_CONSUMER = (
    "waiting for first consumer to be created before binding"
)
REASON_EXTERNAL_PROVISIONING = "ExternalProvisioning"
MESSAGE_EXTERNAL_PROVISIONING = (
    "Waiting for a volume to be created either by the external provisioner '{}' or "
    "manually by the system administrator. If volume creation is delayed, please "
    "verify that the provisioner is running and correctly registered."
)
REASON_PROVISIONING_FAILED = "ProvisioningFailed"
MESSAGE_CLASS_NOT_FOUND = 'storageclass.storage.k8s.io "{}" not found'
WAITING_REASONS = frozenset(
    {
        REASON_FAILED_BINDING,
        REASON_WAIT_FOR_FIRST_CONSUMER,
        REASON_EXTERNAL_PROVISIONING,
        REASON_PROVISIONING_FAILED,
    }
)
REASON_CLAIM_LOST = "ClaimLost"
MESSAGE_CLAIM_LOST = (
    "Bound claim has lost its PersistentVolume. Data on the volume is lost!"
)
REASON_CLAIM_MISBOUND = "ClaimMisbound"
MESSAGE_CLAIM_MISBOUND = (
    "Two claims are bound to the same volume, this one is bound incorrectly"
)


def sync(view: dict, now: float, rng: random.Random) -> list[Action]:
    """Every write of `reconcile`; its waiting events come from `remembered`."""
    return [a for a in reconcile(view, now) if not is_waiting_event(a)]


def remembered(
    view: dict, memory: dict | None, now: float
) -> tuple[list[Action], dict]:
    """The waiting events of the claims synced now: each new or changed claim, and
    every claim at each resync. Remembers the resync done and each claim's version."""
    since = observing_since(view)
    memory = memory or {}
    fresh = memory.get("since") != since
    resync = _resync_index(since, now)
    claims = {
        podutil.uid(c): podutil.meta(c).get("resourceVersion", "")
        for c in objects(view, "PersistentVolumeClaim")
    }
    seen = {} if fresh else memory.get("claims") or {}
    resyncing = fresh or resync != memory.get("resync")
    due = {
        uid for uid, version in claims.items() if resyncing or seen.get(uid) != version
    }
    actions: list[Action] = []
    if due:
        actions = [
            a
            for a in reconcile(view, now)
            if is_waiting_event(a) and a.involved.uid in due
        ]
    return actions, {"since": since, "resync": resync, "claims": claims}


def is_waiting_event(action: Action) -> bool:
    """An event a Pending claim gets on each of its syncs while it waits."""
    return (
        isinstance(action, RecordEvent)
        and action.involved.kind == "PersistentVolumeClaim"
        and action.reason in WAITING_REASONS
    )


def _resync_index(since: float | None, now: float) -> int:
    """Which periodic resync of the claims `now` falls in, counted from `since`."""
    return int((now - (since or 0.0)) // CLAIM_SYNC_PERIOD)


def reconcile(view: dict, now: float) -> list[Action]:
    """Bind claims, update volume phases, reclaim, provision and release protections,
    with the event each waiting claim gets on a sync."""
    pvs = {podutil.name(v): v for v in objects(view, "PersistentVolume")}
    claims = {
        (podutil.namespace(c), podutil.name(c)): c
        for c in objects(view, "PersistentVolumeClaim")
    }
    classes = {podutil.name(c): c for c in objects(view, "StorageClass")}
    nodes = {podutil.name(n): n for n in objects(view, "Node")}
    all_pods = objects(view, "Pod")
    taken: set[str] = set()
    actions: list[Action] = []
    for key in sorted(claims):
        actions += sync_claim(claims[key], pvs, classes, all_pods, nodes, taken, now)
    for name in sorted(pvs):
        actions += sync_volume(pvs[name], claims, now)
    for key in sorted(claims):
        actions += hostpath_provisioner.provision(claims[key], pvs, classes)
    for key in sorted(claims):
        actions += release_claim_protection(claims[key], all_pods)
    for name in sorted(pvs):
        actions += release_volume_protection(pvs[name])
    return actions


def next_wake(view: dict, now: float, memory: dict | None = None) -> float | None:
    """The next resync while some claim waits for a volume."""
    waiting = any(
        not (c.get("spec") or {}).get("volumeName") and not podutil.is_terminating(c)
        for c in objects(view, "PersistentVolumeClaim")
    )
    if not waiting:
        return None
    since = observing_since(view) or 0.0
    return since + (_resync_index(since, now) + 1) * CLAIM_SYNC_PERIOD


def storage_class_name(claim: dict) -> str:
    return (claim.get("spec") or {}).get("storageClassName") or ""


def requested_bytes(claim: dict) -> int:
    requests = ((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}
    return to_int(requests.get("storage", 0))


def selected_node(claim: dict, all_pods: list[dict]) -> str | None:
    """The node chosen for a WaitForFirstConsumer claim: the annotation, else a scheduled user."""
    chosen = podutil.annotations(claim).get(ANN_SELECTED_NODE)
    if chosen:
        return chosen
    for pod in sorted(all_pods, key=podutil.name):
        if podutil.namespace(pod) != podutil.namespace(claim) or not podutil.node_name(
            pod
        ):
            continue
        if podutil.name(claim) in _claim_names(pod):
            return podutil.node_name(pod)
    return None


def is_prebound(pv: dict, claim: dict) -> bool:
    """The volume's claimRef names this claim (by uid when the uid is set)."""
    ref = (pv.get("spec") or {}).get("claimRef") or {}
    if not ref:
        return False
    if (ref.get("namespace"), ref.get("name")) != (
        podutil.namespace(claim),
        podutil.name(claim),
    ):
        return False
    return not ref.get("uid") or ref.get("uid") == podutil.uid(claim)


def satisfies(pv: dict, claim: dict, node: dict | None = None) -> bool:
    """The volume can serve the claim: class, volume mode, access modes, size, selector."""
    spec, want = pv.get("spec") or {}, claim.get("spec") or {}
    if (spec.get("storageClassName") or "") != storage_class_name(claim):
        return False
    if (spec.get("volumeMode") or "Filesystem") != (
        want.get("volumeMode") or "Filesystem"
    ):
        return False
    if not set(want.get("accessModes") or []) <= set(spec.get("accessModes") or []):
        return False
    if to_int((spec.get("capacity") or {}).get("storage", 0)) < requested_bytes(claim):
        return False
    if want.get("selector") and not matches(
        from_label_selector(want["selector"]), podutil.labels(pv)
    ):
        return False
    terms = ((spec.get("nodeAffinity") or {}).get("required") or {}).get(
        "nodeSelectorTerms"
    )
    if node is not None and terms:
        node_labels = podutil.labels(node)
        return any(matches(from_node_selector_term(t), node_labels) for t in terms)
    return True


def find_best_match(
    claim: dict, pvs: dict[str, dict], taken: set[str], node: dict | None = None
) -> dict | None:
    """A volume pre-bound to the claim, else the smallest free volume that satisfies it."""
    free = [
        pv
        for name, pv in sorted(pvs.items())
        if name not in taken and not podutil.is_terminating(pv)
    ]
    for pv in free:
        if is_prebound(pv, claim):
            return pv
    fits = [
        pv
        for pv in free
        if not (pv.get("spec") or {}).get("claimRef") and satisfies(pv, claim, node)
    ]
    fits.sort(
        key=lambda pv: (to_int(pv["spec"]["capacity"]["storage"]), podutil.name(pv))
    )
    return fits[0] if fits else None


def claim_ref(claim: dict) -> dict:
    """The claimRef a bound volume carries."""
    return {
        "kind": "PersistentVolumeClaim",
        "namespace": podutil.namespace(claim),
        "name": podutil.name(claim),
        "uid": podutil.uid(claim),
        "apiVersion": "v1",
        "resourceVersion": podutil.meta(claim).get("resourceVersion", ""),
    }


def bind(pv: dict, claim: dict, now: float) -> list[Action]:
    """The writes that finish binding `claim` and `pv`, skipping those already made."""
    actions: list[Action] = []
    pv_spec = pv.get("spec") or {}
    ref = pv_spec.get("claimRef") or {}
    if ref.get("uid") != podutil.uid(claim):
        patch: dict = {"spec": {"claimRef": claim_ref(claim)}}
        if not ref:
            patch["metadata"] = {"annotations": {ANN_BOUND_BY_CONTROLLER: "yes"}}
        actions.append(Patch(ref_of(pv, "PersistentVolume"), patch))
    if (pv.get("status") or {}).get("phase") != "Bound":
        actions.append(_volume_phase(pv, "Bound", now))
    claim_spec = claim.get("spec") or {}
    annotations = podutil.annotations(claim)
    if (
        claim_spec.get("volumeName") != podutil.name(pv)
        or annotations.get(ANN_BIND_COMPLETED) != "yes"
    ):
        wanted = {ANN_BIND_COMPLETED: "yes"}
        if not claim_spec.get("volumeName"):
            wanted[ANN_BOUND_BY_CONTROLLER] = "yes"
        actions.append(
            Patch(
                ref_of(claim, "PersistentVolumeClaim"),
                {
                    "metadata": {"annotations": wanted},
                    "spec": {"volumeName": podutil.name(pv)},
                },
            )
        )
    status = {
        "phase": "Bound",
        "accessModes": pv_spec.get("accessModes") or [],
        "capacity": pv_spec.get("capacity") or {},
    }
    current = claim.get("status") or {}
    if any(current.get(k) != v for k, v in status.items()):
        actions.append(
            Patch(ref_of(claim, "PersistentVolumeClaim"), {"status": status}, "status")
        )
    return actions


def sync_claim(
    claim: dict,
    pvs: dict[str, dict],
    classes: dict[str, dict],
    all_pods: list[dict],
    nodes: dict[str, dict],
    taken: set[str],
    now: float,
) -> list[Action]:
    """Bind a Pending claim, or keep a bound claim's phase true to its volume."""
    if podutil.is_terminating(claim):
        return []
    volume_name = (claim.get("spec") or {}).get("volumeName")
    if volume_name:
        taken.add(volume_name)
        pv = pvs.get(volume_name)
        if pv is None:
            return _claim_trouble(claim, REASON_CLAIM_LOST, MESSAGE_CLAIM_LOST)
        ref = (pv.get("spec") or {}).get("claimRef") or {}
        if ref and ref.get("uid") and ref.get("uid") != podutil.uid(claim):
            return _claim_trouble(claim, REASON_CLAIM_MISBOUND, MESSAGE_CLAIM_MISBOUND)
        return bind(pv, claim, now)
    cls = classes.get(storage_class_name(claim))
    node_name = None
    if cls and cls.get("volumeBindingMode") == "WaitForFirstConsumer":
        node_name = selected_node(claim, all_pods)
        if node_name is None:
            return [
                _claim_event(
                    claim,
                    REASON_WAIT_FOR_FIRST_CONSUMER,
                    MESSAGE_WAIT_FOR_FIRST_CONSUMER,
                )
            ]
    pv = find_best_match(claim, pvs, taken, nodes.get(node_name) if node_name else None)
    if pv is not None:
        taken.add(podutil.name(pv))
        return bind(pv, claim, now)
    if not storage_class_name(claim):
        return [_claim_event(claim, REASON_FAILED_BINDING, MESSAGE_NO_VOLUMES_NO_CLASS)]
    if cls is None:
        return [
            _claim_event(
                claim,
                REASON_PROVISIONING_FAILED,
                MESSAGE_CLASS_NOT_FOUND.format(storage_class_name(claim)),
                "Warning",
            )
        ]
    provisioner = cls.get("provisioner", "")
    wanted = {
        ANN_STORAGE_PROVISIONER: provisioner,
        ANN_BETA_STORAGE_PROVISIONER: provisioner,
    }
    if node_name and podutil.annotations(claim).get(ANN_SELECTED_NODE) != node_name:
        wanted[ANN_SELECTED_NODE] = node_name
    actions: list[Action] = []
    if any(podutil.annotations(claim).get(k) != v for k, v in wanted.items()):
        actions.append(
            Patch(
                ref_of(claim, "PersistentVolumeClaim"),
                {"metadata": {"annotations": wanted}},
            )
        )
    actions.append(
        _claim_event(
            claim,
            REASON_EXTERNAL_PROVISIONING,
            MESSAGE_EXTERNAL_PROVISIONING.format(provisioner),
        )
    )
    return actions


def sync_volume(pv: dict, claims: dict[tuple, dict], now: float) -> list[Action]:
    """Keep a volume's phase true to its claim, and reclaim it when the claim is gone."""
    if podutil.is_terminating(pv):
        return []
    spec = pv.get("spec") or {}
    phase = (pv.get("status") or {}).get("phase")
    ref = spec.get("claimRef")
    if not ref:
        return [] if phase == "Available" else [_volume_phase(pv, "Available", now)]
    claim = claims.get((ref.get("namespace"), ref.get("name")))
    if claim is not None and ref.get("uid") and podutil.uid(claim) != ref.get("uid"):
        claim = None  # the claim was deleted and a new one took its name
    if claim is None:
        if not ref.get("uid"):
            return [] if phase == "Available" else [_volume_phase(pv, "Available", now)]
        actions: list[Action] = []
        if phase not in ("Released", "Failed"):
            actions.append(_volume_phase(pv, "Released", now))
        if spec.get("persistentVolumeReclaimPolicy") == "Delete":
            actions.append(Delete(ref_of(pv, "PersistentVolume")))
        return actions
    bound_to = (claim.get("spec") or {}).get("volumeName")
    if bound_to == podutil.name(pv):
        return [] if phase == "Bound" else [_volume_phase(pv, "Bound", now)]
    if bound_to and podutil.annotations(pv).get(ANN_BOUND_BY_CONTROLLER) == "yes":
        # The claim went to another volume; a binding this controller made is undone.
        return [
            Patch(ref_of(pv, "PersistentVolume"), {"spec": {"claimRef": None}}),
            _volume_phase(pv, "Available", now),
        ]
    return []


def release_claim_protection(claim: dict, all_pods: list[dict]) -> list[Action]:
    """pvc-protection: a deleted claim keeps its finalizer while a running pod uses it."""
    finalizers = podutil.meta(claim).get("finalizers") or []
    if not podutil.is_terminating(claim) or PVC_PROTECTION not in finalizers:
        return []
    for pod in all_pods:
        if podutil.namespace(pod) != podutil.namespace(claim):
            continue
        if podutil.phase(pod) in (podutil.SUCCEEDED, podutil.FAILED):
            continue
        if podutil.name(claim) in _claim_names(pod):
            return []
    return [_drop_finalizer(claim, "PersistentVolumeClaim", PVC_PROTECTION)]


def release_volume_protection(pv: dict) -> list[Action]:
    """pv-protection: a deleted volume keeps its finalizer while it is Bound."""
    finalizers = podutil.meta(pv).get("finalizers") or []
    if not podutil.is_terminating(pv) or PV_PROTECTION not in finalizers:
        return []
    if (pv.get("status") or {}).get("phase") == "Bound":
        return []
    return [_drop_finalizer(pv, "PersistentVolume", PV_PROTECTION)]


def _drop_finalizer(obj: dict, kind: str, finalizer: str) -> Patch:
    rest = [f for f in podutil.meta(obj).get("finalizers") or [] if f != finalizer]
    return Patch(ref_of(obj, kind), {"metadata": {"finalizers": rest or None}})


def _volume_phase(pv: dict, phase: str, now: float) -> Patch:
    status = {"phase": phase, "lastPhaseTransitionTime": rfc3339(now)}
    return Patch(ref_of(pv, "PersistentVolume"), {"status": status}, "status")


def _claim_trouble(claim: dict, reason: str, message: str) -> list[Action]:
    if (claim.get("status") or {}).get("phase") == "Lost":
        return []
    return [
        Patch(
            ref_of(claim, "PersistentVolumeClaim"),
            {"status": {"phase": "Lost"}},
            "status",
        ),
        _claim_event(claim, reason, message, "Warning"),
    ]


def _claim_event(
    claim: dict,
    reason: str,
    message: str,
    type_: str = "Normal",
    component: str = COMPONENT,
):
    return event(claim, type_, reason, message, component, "PersistentVolumeClaim")


def _claim_names(pod: dict) -> set[str]:
    return {
        (v.get("persistentVolumeClaim") or {}).get("claimName")
        for v in (pod.get("spec") or {}).get("volumes") or []
        if v.get("persistentVolumeClaim")
    }
