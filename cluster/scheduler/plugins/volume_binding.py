"""VolumeBinding: a pod's PersistentVolumeClaims must be bound, bindable or provisionable on the node.

Claims of an Immediate class (or no class) must already be bound. Claims of a
WaitForFirstConsumer class are matched to an available PV reachable from the node,
or left to dynamic provisioning; PreBind then records the choice on the PV or PVC.
"""

from __future__ import annotations

import numpy as np

from cluster.actions import Patch, Ref
from cluster.objects import quantity, selectors
from cluster.scheduler import status as st

NAME = "VolumeBinding"
ERR_REASON_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"
ERR_REASON_CLAIM_NOT_FOUND = 'persistentvolumeclaim "{name}" not found'
ERR_REASON_CLAIM_DELETING = 'persistentvolumeclaim "{name}" is being deleted'
ERR_REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
ERR_REASON_NODE_CONFLICT = "node(s) had volume node affinity conflict"
ERR_REASON_PV_NOT_EXIST = (
    "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
)
NO_PROVISIONER = "kubernetes.io/no-provisioner"
SELECTED_NODE_ANNOTATION = "volume.kubernetes.io/selected-node"


def _pv_fits_node(pv: dict, labels: dict, name: str) -> bool:
    required = ((pv.get("spec") or {}).get("nodeAffinity") or {}).get("required") or {}
    terms = required.get("nodeSelectorTerms")
    if not terms:
        return True
    for term in terms:
        fields_ok = all(
            (f.get("operator") == "In") == (name in (f.get("values") or ()))
            for f in term.get("matchFields") or []
        )
        has_requirements = term.get("matchExpressions") or term.get("matchFields")
        exprs = selectors.from_node_selector_term(term)
        if has_requirements and fields_ok and selectors.matches(exprs, labels):
            return True
    return False


def _pv_matches_claim(pv: dict, pvc: dict) -> bool:
    spec, cspec = pv.get("spec") or {}, pvc.get("spec") or {}
    claim_ref = spec.get("claimRef")
    meta = pvc["metadata"]
    if claim_ref and (claim_ref.get("name"), claim_ref.get("namespace")) != (
        meta["name"],
        meta.get("namespace"),
    ):
        return False
    if (
        not claim_ref
        and (pv.get("status") or {}).get("phase", "Available") != "Available"
    ):
        return False
    if (spec.get("storageClassName") or "") != (cspec.get("storageClassName") or ""):
        return False
    if (spec.get("volumeMode") or "Filesystem") != (
        cspec.get("volumeMode") or "Filesystem"
    ):
        return False
    if not set(cspec.get("accessModes") or ()) <= set(spec.get("accessModes") or ()):
        return False
    want = quantity.to_int(
        ((cspec.get("resources") or {}).get("requests") or {}).get("storage")
    )
    if quantity.to_int((spec.get("capacity") or {}).get("storage")) < want:
        return False
    sel = cspec.get("selector")
    return sel is None or selectors.matches(
        selectors.from_label_selector(sel), pv["metadata"].get("labels")
    )


def _delayed(ctx, pvc: dict) -> bool:
    cls = (pvc.get("spec") or {}).get("storageClassName") or ""
    sc = ctx.listers.storage_classes.get(cls) if cls else None
    return bool(sc) and sc.get("volumeBindingMode") == "WaitForFirstConsumer"


def pre_filter(ctx):
    """Sort the pod's claims into bound and delayed; unbound Immediate claims reject the pod."""
    pod = ctx.pod
    if not pod.pvc_names:
        return st.Status(st.SKIP)
    bound, delayed, immediate = [], [], []
    for name in pod.pvc_names:
        pvc = ctx.listers.pvcs.get((pod.namespace, name))
        if pvc is None:
            return st.unresolvable(
                ERR_REASON_CLAIM_NOT_FOUND.format(name=name), plugin=NAME
            )
        if pvc["metadata"].get("deletionTimestamp"):
            return st.unresolvable(
                ERR_REASON_CLAIM_DELETING.format(name=name), plugin=NAME
            )
        if (pvc.get("spec") or {}).get("volumeName"):
            bound.append(pvc)
        elif _delayed(ctx, pvc):
            delayed.append(pvc)
        else:
            immediate.append(pvc)
    if immediate:
        return st.unresolvable(ERR_REASON_UNBOUND_IMMEDIATE, plugin=NAME)
    pvs = {pv["metadata"]["name"]: pv for pv in ctx.listers.pvs}
    ctx.state[NAME] = (bound, delayed, pvs)
    return None


def _node_plan(ctx, i: int) -> tuple[list[str], list]:
    """Reasons the node fails, and the (pvc, pv or None) choices for its delayed claims."""
    bound, delayed, pvs = ctx.state[NAME]
    labels, name = ctx.snap.labels[i], ctx.snap.names[i]
    reasons: list[str] = []
    for pvc in bound:
        pv = pvs.get(pvc["spec"]["volumeName"])
        if pv is None:
            reasons.append(ERR_REASON_PV_NOT_EXIST)
        elif (
            not _pv_fits_node(pv, labels, name)
            and ERR_REASON_NODE_CONFLICT not in reasons
        ):
            reasons.append(ERR_REASON_NODE_CONFLICT)
    plan, taken = [], set()
    for pvc in delayed:
        fits = sorted(
            (
                pv
                for pv in pvs.values()
                if pv["metadata"]["name"] not in taken
                and _pv_matches_claim(pv, pvc)
                and _pv_fits_node(pv, labels, name)
            ),
            key=lambda pv: quantity.to_int(
                (pv["spec"].get("capacity") or {}).get("storage")
            ),
        )
        if fits:
            taken.add(fits[0]["metadata"]["name"])
            plan.append((pvc, fits[0]))
            continue
        sc = (
            ctx.listers.storage_classes.get(pvc["spec"].get("storageClassName") or "")
            or {}
        )
        if sc.get("provisioner") and sc["provisioner"] != NO_PROVISIONER:
            plan.append((pvc, None))
        elif ERR_REASON_BIND_CONFLICT not in reasons:
            reasons.append(ERR_REASON_BIND_CONFLICT)
    return reasons, plan


def filter(ctx, nodes: np.ndarray):
    """Reject nodes where a bound volume is out of reach or a delayed claim has no volume."""
    codes = np.zeros(len(nodes), dtype=np.int32)
    statuses: list = [None]
    seen: dict = {}
    for k, i in enumerate(nodes.tolist()):
        reasons, _ = _node_plan(ctx, i)
        if reasons:
            key = tuple(reasons)
            if key not in seen:
                seen[key] = len(statuses)
                statuses.append(st.unresolvable(*reasons, plugin=NAME))
            codes[k] = seen[key]
    return codes, statuses


def pre_bind_actions(ctx, i: int) -> list:
    """PV claimRefs for statically matched claims and selected-node marks for provisioning."""
    if NAME not in ctx.state:
        return []
    _, plan = _node_plan(ctx, i)
    node = ctx.snap.names[i]
    actions: list = []
    for pvc, pv in plan:
        meta = pvc["metadata"]
        if pv is not None:
            claim_ref = {
                "kind": "PersistentVolumeClaim",
                "namespace": meta.get("namespace"),
                "name": meta["name"],
                "uid": meta.get("uid", ""),
                "apiVersion": "v1",
                "resourceVersion": meta.get("resourceVersion", ""),
            }
            actions.append(
                Patch(
                    Ref("PersistentVolume", None, pv["metadata"]["name"], "v1"),
                    {
                        "metadata": {
                            "annotations": {
                                "pv.kubernetes.io/bound-by-controller": "yes"
                            }
                        },
                        "spec": {"claimRef": claim_ref},
                    },
                )
            )
        else:
            actions.append(
                Patch(
                    Ref(
                        "PersistentVolumeClaim",
                        meta.get("namespace"),
                        meta["name"],
                        "v1",
                        meta.get("uid", ""),
                    ),
                    {"metadata": {"annotations": {SELECTED_NODE_ANNOTATION: node}}},
                )
            )
    return actions
