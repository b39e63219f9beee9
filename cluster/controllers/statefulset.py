"""StatefulSet controller: stable ordinal pods `<sts>-<i>` with per-pod claims, in order.

Each template gets a ControllerRevision `<sts>-<hash>`; pods carry its name in their
`controller-revision-hash` label. A rolling update replaces pods from the highest ordinal
down to `partition`; pods below the partition are recreated from the current revision.
"""

from __future__ import annotations

import random

from cluster.actions import Action, Create, Delete, RecordEvent, UpdateStatus
from cluster.controllers import history
from cluster.objects import pods as P
from cluster.objects.clone import clone

COMPONENT = "statefulset-controller"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
REVISION_LABEL = history.HASH_LABEL
CREATE_POD = "create Pod {pod} in StatefulSet {sts} successful"
DELETE_POD = "delete Pod {pod} in StatefulSet {sts} successful"
CREATE_CLAIM = "create Claim {claim} Pod {pod} in StatefulSet {sts} success"


def new_revision(sts: dict, number: int) -> dict:
    """newRevision: a ControllerRevision of the StatefulSet's current template."""
    data = history.template_patch(sts)
    collisions = (sts.get("status") or {}).get("collisionCount") or 0
    return history.new_revision(
        sts, data, number, history.hash_revision(data, collisions)
    )


def update_revision(sts: dict) -> str:
    """The revision name pods of the current template carry."""
    return P.name(new_revision(sts, 1))


def revisions(sts: dict, existing: list[dict]) -> tuple[dict, dict, list[Action]]:
    """getStatefulSetRevisions: (current, update) revisions and the writes they take.

    A template equal to the newest revision reuses it; one equal to an older revision
    (a rollback) renumbers that one; any other template gets a new revision."""
    mine = history.owned(sts, existing)
    update = new_revision(sts, history.next_number(mine))
    equal = [r for r in mine if history.matches(r, update["data"])]
    actions: list[Action] = []
    if equal and equal[-1] is mine[-1]:
        update = mine[-1]
    elif equal:
        actions.append(history.renumber(equal[-1], update["revision"]))
        update = {**equal[-1], "revision": update["revision"]}
    else:
        actions.append(Create(update))
    wanted = (sts.get("status") or {}).get("currentRevision")
    current = next((r for r in mine if P.name(r) == wanted), update)
    return current, update, actions


def claim_name(template_name: str, sts: dict, ordinal: int) -> str:
    """`<template>-<sts>-<ordinal>`."""
    return f"{template_name}-{P.name(sts)}-{ordinal}"


def build_pod(sts: dict, ordinal: int, revision: dict | None = None) -> dict:
    """The pod of one ordinal at a revision (by default the current template):
    identity labels, hostname/subdomain and claim volumes."""
    name = f"{P.name(sts)}-{ordinal}"
    template = sts["spec"]["template"]
    if revision is not None:
        template = history.template_of(revision)
    revision_name = P.name(revision) if revision else update_revision(sts)
    pod = P.pod_from_template(template, sts, name)
    pod["metadata"].pop("generateName", None)
    pod["metadata"]["labels"] = {
        **pod["metadata"].get("labels", {}),
        POD_NAME_LABEL: name,
        POD_INDEX_LABEL: str(ordinal),
        REVISION_LABEL: revision_name,
    }
    spec = pod["spec"]
    spec["hostname"] = name
    if sts["spec"].get("serviceName"):
        spec["subdomain"] = sts["spec"]["serviceName"]
    volumes = [
        v for v in spec.get("volumes") or [] if not _is_claim_template(sts, v["name"])
    ]
    for tmpl in sts["spec"].get("volumeClaimTemplates") or []:
        claim = claim_name(tmpl["metadata"]["name"], sts, ordinal)
        volumes.append(
            {
                "name": tmpl["metadata"]["name"],
                "persistentVolumeClaim": {"claimName": claim},
            }
        )
    if volumes:
        spec["volumes"] = volumes
    return pod


def _is_claim_template(sts: dict, volume: str) -> bool:
    return any(
        t["metadata"]["name"] == volume
        for t in sts["spec"].get("volumeClaimTemplates") or []
    )


def build_claims(sts: dict, ordinal: int) -> list[dict]:
    """The PersistentVolumeClaims of one ordinal, labelled with the selector's labels."""
    out = []
    for tmpl in sts["spec"].get("volumeClaimTemplates") or []:
        labels = {
            **(tmpl["metadata"].get("labels") or {}),
            **((sts["spec"].get("selector") or {}).get("matchLabels") or {}),
        }
        out.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {
                    "name": claim_name(tmpl["metadata"]["name"], sts, ordinal),
                    "namespace": P.namespace(sts),
                    "labels": labels,
                },
                "spec": clone(tmpl.get("spec") or {}),
            }
        )
    return out


def _healthy(pod: dict) -> bool:
    return P.phase(pod) == P.RUNNING and P.is_ready(pod) and not P.is_terminating(pod)


def _event(sts: dict, template: str, **kw) -> RecordEvent:
    return RecordEvent(
        P.ref(sts),
        "Normal",
        _reason(template),
        template.format(sts=P.name(sts), **kw),
        COMPONENT,
    )


def _reason(template: str) -> str:
    return "SuccessfulDelete" if template.startswith("delete") else "SuccessfulCreate"


def reconcile(
    sts: dict,
    pods: list[dict],
    claims: list[dict],
    now: float,
    existing: list[dict] | None = None,
) -> list[Action]:
    """Sync one StatefulSet: its revisions, then create/recreate, scale down and update
    pods; old revisions are pruned, status last."""
    current, update, actions = revisions(sts, existing or [])
    replicas = sts["spec"].get("replicas", 1)
    start = (sts["spec"].get("ordinals") or {}).get("start", 0)
    parallel = sts["spec"].get("podManagementPolicy") == "Parallel"
    owned = {P.name(p): p for p in pods if P.is_controlled_by(p, sts)}
    claim_names = {P.name(c) for c in claims if P.namespace(c) == P.namespace(sts)}
    revision = P.name(update)
    blocked = False
    for ordinal in range(start, start + replicas):
        name = f"{P.name(sts)}-{ordinal}"
        pod = owned.get(name)
        if pod is None:
            for claim in build_claims(sts, ordinal):
                if P.name(claim) not in claim_names:
                    actions += [
                        Create(claim),
                        _event(sts, CREATE_CLAIM, claim=P.name(claim), pod=name),
                    ]
            at = current if _below_partition(sts, ordinal, start) else update
            actions += [
                Create(build_pod(sts, ordinal, at)),
                _event(sts, CREATE_POD, pod=name),
            ]
            blocked = True
        elif P.phase(pod) in (P.FAILED, P.SUCCEEDED) and not P.is_terminating(pod):
            actions += [
                Delete(P.ref(pod), uid=P.uid(pod)),
                _event(sts, DELETE_POD, pod=name),
            ]
            blocked = True
        elif not _healthy(pod):
            blocked = True
        if blocked and not parallel:
            break
    condemned = sorted(
        (
            p
            for n, p in owned.items()
            if _ordinal(n, sts) is not None
            and not start <= _ordinal(n, sts) < start + replicas
        ),
        key=lambda p: -_ordinal(P.name(p), sts),
    )
    if not blocked or parallel:
        for pod in condemned:
            if P.is_terminating(pod):
                if parallel:
                    continue
                break
            actions += [
                Delete(P.ref(pod), uid=P.uid(pod)),
                _event(sts, DELETE_POD, pod=P.name(pod)),
            ]
            if not parallel:
                blocked = True
                break
    if not blocked and not condemned:
        actions += _rolling_update(sts, owned, start, replicas, revision)
    live = {P.name(current), revision}
    live |= {P.labels(p).get(REVISION_LABEL) for p in owned.values()}
    actions += history.prune(sts, history.owned(sts, existing or []), live)
    actions += _status(sts, list(owned.values()), P.name(current), revision, now)
    return actions


def _below_partition(sts: dict, ordinal: int, start: int) -> bool:
    """newVersionedStatefulSetPod: with RollingUpdate, ordinals under the partition
    stay at the current revision."""
    strategy = sts["spec"].get("updateStrategy") or {}
    if (strategy.get("type") or "RollingUpdate") != "RollingUpdate":
        return False
    partition = (strategy.get("rollingUpdate") or {}).get("partition", 0)
    return ordinal < start + partition


def _rolling_update(sts, owned, start, replicas, revision) -> list[Action]:
    strategy = sts["spec"].get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return []
    partition = (strategy.get("rollingUpdate") or {}).get("partition", 0)
    for ordinal in range(start + replicas - 1, start + partition - 1, -1):
        pod = owned.get(f"{P.name(sts)}-{ordinal}")
        if pod is not None and P.labels(pod).get(REVISION_LABEL) != revision:
            return [
                Delete(P.ref(pod), uid=P.uid(pod)),
                _event(sts, DELETE_POD, pod=P.name(pod)),
            ]
    return []


def _ordinal(name: str, sts: dict) -> int | None:
    prefix = f"{P.name(sts)}-"
    tail = name[len(prefix) :] if name.startswith(prefix) else ""
    return int(tail) if tail.isdigit() else None


def _status(
    sts: dict, pods: list[dict], current_revision: str, revision: str, now: float
) -> list[Action]:
    live = [p for p in pods if not P.is_terminating(p)]
    mrs = sts["spec"].get("minReadySeconds") or 0
    old = sts.get("status") or {}
    updated = sum(1 for p in live if P.labels(p).get(REVISION_LABEL) == revision)
    ready = sum(1 for p in live if P.is_ready(p))
    strategy = (sts["spec"].get("updateStrategy") or {}).get("type") or "RollingUpdate"
    # completeRollingUpdate: every pod updated and ready makes the update current.
    if strategy == "RollingUpdate" and updated == len(live) == ready:
        current_revision = revision
    status = {
        "observedGeneration": P.meta(sts).get("generation", 0),
        "replicas": len(live),
        "readyReplicas": ready,
        "currentReplicas": sum(
            1 for p in live if P.labels(p).get(REVISION_LABEL) == current_revision
        ),
        "updatedReplicas": updated,
        "availableReplicas": sum(1 for p in live if P.is_available(p, mrs, now)),
    }
    status = {k: v for k, v in status.items() if v or k == "replicas"}
    status.update(
        currentRevision=current_revision, updateRevision=revision, collisionCount=0
    )
    if status == old:
        return []
    return [UpdateStatus({**sts, "status": status})]


def sync(view: dict[str, list[dict]], now: float, rng: random.Random) -> list[Action]:
    """Reconcile every StatefulSet in the view."""
    actions: list[Action] = []
    for sts in sorted(
        view.get("StatefulSet", []), key=lambda o: (P.namespace(o), P.name(o))
    ):
        ns = P.namespace(sts)
        pods = P.in_namespace(view.get("Pod", []), ns)
        claims = view.get("PersistentVolumeClaim", [])
        existing = P.in_namespace(view.get("ControllerRevision", []), ns)
        actions += reconcile(sts, pods, claims, now, existing)
    return actions
