"""Deployment controller: roll a Deployment's pod template out through ReplicaSets.

One reconcile works on copies of the Deployment and its ReplicaSets the way the
real sync does, then returns its writes in a fixed order: claim patches, the new
ReplicaSet, ReplicaSet updates, ScalingReplicaSet events, history cleanup, the
Deployment status, and last the Deployment's revision annotation.
"""

from __future__ import annotations

import random

from cluster.actions import (
    Action,
    Create,
    Delete,
    Patch,
    RecordEvent,
    Update,
    UpdateStatus,
)
from cluster.controllers import deployment_util as U
from cluster.controllers.deployment_rollout import (
    cleanup,
    rollout_recreate,
    rollout_rolling,
    scale,
)
from cluster.controllers.replicaset import claim_actions
from cluster.objects import pods as P
from cluster.objects.clone import clone
from cluster.simtime import parse_rfc3339

COMPONENT = "deployment-controller"
SCALING_REPLICA_SET = "ScalingReplicaSet"
SCALED = "Scaled {op} replica set {rs} from {old} to {new}"
SELECTING_ALL = "SelectingAll"
SELECTING_ALL_MESSAGE = (
    "This deployment is selecting all pods. A non-empty selector is required."
)
NEW_RS_CREATED = ("NewReplicaSetCreated", 'Created new replica set "{}"')
FOUND_NEW_RS = ("FoundNewReplicaSet", 'Found new replica set "{}"')
RS_UPDATED = ("ReplicaSetUpdated", 'ReplicaSet "{}" is progressing.')
NEW_RS_AVAILABLE = (
    "NewReplicaSetAvailable",
    'ReplicaSet "{}" has successfully progressed.',
)
TIMED_OUT = ("ProgressDeadlineExceeded", 'ReplicaSet "{}" has timed out progressing.')
PAUSED = ("DeploymentPaused", "Deployment is paused")
RESUMED = ("DeploymentResumed", "Deployment is resumed")
AVAILABLE = ("MinimumReplicasAvailable", "Deployment has minimum availability.")
UNAVAILABLE = (
    "MinimumReplicasUnavailable",
    "Deployment does not have minimum availability.",
)


class Sync:
    """The working state of one Deployment sync: copies, pending writes and events."""

    def __init__(self, d: dict, rss: list[dict], pods: list[dict], now: float):
        self.d = clone(d)
        self.d.setdefault("status", {})
        self.original = d
        self.rss = [clone(r) for r in rss]
        self.pods = pods
        self.now = now
        self.created: list[dict] = []
        self.updated: list[dict] = []
        self.events: list[RecordEvent] = []
        self.deleted: list[dict] = []

    def event(self, reason: str, message: str, type_: str = "Normal") -> None:
        """Queue an event on the Deployment."""
        self.events.append(
            RecordEvent(P.ref(self.original), type_, reason, message, COMPONENT)
        )

    def touch(self, rs: dict) -> None:
        """Mark a ReplicaSet copy as needing an Update."""
        if rs not in self.created and all(rs is not u for u in self.updated):
            self.updated.append(rs)

    def scale_rs(self, rs: dict, new_scale: int, operation: str | None = None) -> bool:
        """scaleReplicaSet: set replicas and annotations; True when the size changed."""
        d = self.d
        old = U.replicas(rs)
        size_changed = old != new_scale
        ann_changed = _replica_annotations_need_update(rs, d)
        if size_changed or ann_changed:
            rs["spec"]["replicas"] = new_scale
            U.set_replicas_annotations(
                rs, U.replicas(d), U.replicas(d) + U.max_surge(d)
            )
            self.touch(rs)
            if size_changed:
                op = operation or ("up" if new_scale > old else "down")
                message = SCALED.format(op=op, rs=P.name(rs), old=old, new=new_scale)
                self.event(SCALING_REPLICA_SET, message)
        return size_changed

    def set_condition(
        self, status: dict, type_: str, state: str, reason_message, name: str
    ):
        """SetDeploymentCondition with a (reason, message template) pair."""
        reason, template = reason_message
        new = U.condition(type_, state, reason, template.format(name), self.now)
        status["conditions"] = P.set_condition(status.get("conditions") or [], new)

    def new_and_old(self, create: bool) -> tuple[dict | None, list[dict]]:
        """getAllReplicaSetsAndSyncRevision: the new ReplicaSet (maybe created) and the old ones."""
        new_rs = next(
            (
                r
                for r in U.by_creation(self.rss)
                if U.templates_equal(r["spec"]["template"], self.d["spec"]["template"])
            ),
            None,
        )
        olds = [r for r in self.rss if r is not new_rs]
        new_revision = max((U.revision(r) for r in olds), default=0) + 1
        if new_rs is not None:
            self._sync_existing_new_rs(new_rs, new_revision)
        elif create:
            new_rs = self._create_new_rs(olds, new_revision)
        return new_rs, olds

    def _sync_existing_new_rs(self, rs: dict, new_revision: int) -> None:
        mrs = self.d["spec"].get("minReadySeconds") or 0
        changed = U.set_new_rs_annotations(self.d, rs, new_revision, exists=True)
        if changed or (rs["spec"].get("minReadySeconds") or 0) != mrs:
            rs["spec"]["minReadySeconds"] = mrs
            self.touch(rs)
        self._set_revision(P.annotations(rs).get(U.REVISION, ""))
        status = self.d["status"]
        if (
            U.has_progress_deadline(self.d)
            and U.get_condition(status, "Progressing") is None
        ):
            self.set_condition(status, "Progressing", "True", FOUND_NEW_RS, P.name(rs))

    def _create_new_rs(self, olds: list[dict], new_revision: int) -> dict:
        d = self.d
        template = clone(d["spec"]["template"])
        hash_ = U.pod_template_hash(template, d["status"].get("collisionCount"))
        labels = {
            **(template.get("metadata") or {}).get("labels", {}),
            U.HASH_LABEL: hash_,
        }
        template.setdefault("metadata", {})["labels"] = labels
        selector = clone(d["spec"].get("selector") or {})
        selector["matchLabels"] = {
            **(selector.get("matchLabels") or {}),
            U.HASH_LABEL: hash_,
        }
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{P.name(d)}-{hash_}",
                "namespace": P.namespace(d),
                "labels": dict(labels),
                "ownerReferences": [P.owner_reference(self.original)],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": d["spec"].get("minReadySeconds") or 0,
                "selector": selector,
                "template": template,
            },
        }
        rs["spec"]["replicas"] = U.new_rs_new_replicas(d, [*olds, rs], rs)
        U.set_new_rs_annotations(d, rs, new_revision, exists=False)
        self.created.append(rs)
        self.rss.append(rs)
        if U.replicas(rs) > 0:
            message = SCALED.format(op="up", rs=P.name(rs), old=0, new=U.replicas(rs))
            self.event(SCALING_REPLICA_SET, message)
        self._set_revision(str(new_revision))
        if U.has_progress_deadline(d):
            self.set_condition(
                d["status"], "Progressing", "True", NEW_RS_CREATED, P.name(rs)
            )
        return rs

    def _set_revision(self, rev: str) -> None:
        if rev and P.annotations(self.d).get(U.REVISION) != rev:
            self.d["metadata"].setdefault("annotations", {})[U.REVISION] = rev

    def actions(self, status: dict) -> list[Action]:
        """The writes of this sync in order; status goes last but for the revision patch."""
        out: list[Action] = [Create(rs) for rs in self.created]
        out += [Update(rs) for rs in self.updated]
        out += self.events
        out += [Delete(P.ref(rs), uid=P.uid(rs)) for rs in self.deleted]
        if status != (self.original.get("status") or {}):
            out.append(UpdateStatus({**self.original, "status": status}))
        rev = P.annotations(self.d).get(U.REVISION)
        if rev and P.annotations(self.original).get(U.REVISION) != rev:
            out.append(
                Patch(
                    P.ref(self.original),
                    {"metadata": {"annotations": {U.REVISION: rev}}},
                )
            )
        return out


def _replica_annotations_need_update(rs: dict, d: dict) -> bool:
    ann = P.annotations(rs)
    return ann.get(U.DESIRED_REPLICAS) != str(U.replicas(d)) or ann.get(
        U.MAX_REPLICAS
    ) != str(U.replicas(d) + U.max_surge(d))


def calculate_status(s: Sync, all_rss: list[dict], new_rs: dict | None) -> dict:
    """calculateStatus: counts from the ReplicaSets plus the Available condition."""
    d = s.d
    available = sum(U.status_int(r, "availableReplicas") for r in all_rss)
    total = sum(U.replicas(r) for r in all_rss)
    counts = {
        "observedGeneration": P.meta(d).get("generation", 0),
        "replicas": sum(U.status_int(r, "replicas") for r in all_rss),
        "updatedReplicas": U.status_int(new_rs, "replicas") if new_rs else 0,
        "readyReplicas": sum(U.status_int(r, "readyReplicas") for r in all_rss),
        "availableReplicas": available,
        "unavailableReplicas": max(0, total - available),
    }
    status = {k: v for k, v in counts.items() if v}
    if d["status"].get("collisionCount") is not None:
        status["collisionCount"] = d["status"]["collisionCount"]
    status["conditions"] = clone(d["status"].get("conditions") or [])
    if available >= U.replicas(d) - U.max_unavailable(d):
        s.set_condition(status, "Available", "True", AVAILABLE, "")
    else:
        s.set_condition(status, "Available", "False", UNAVAILABLE, "")
    return status


def _progressing(old: dict, new: dict) -> bool:
    old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_old = new.get("replicas", 0) - new.get("updatedReplicas", 0)
    return (
        new.get("updatedReplicas", 0) > old.get("updatedReplicas", 0)
        or new_old < old_old
        or new.get("readyReplicas", 0) > old.get("readyReplicas", 0)
        or new.get("availableReplicas", 0) > old.get("availableReplicas", 0)
    )


def rollout_status(s: Sync, all_rss: list[dict], new_rs: dict | None) -> dict:
    """syncRolloutStatus: status with the Progressing condition brought up to date."""
    d = s.d
    status = calculate_status(s, all_rss, new_rs)
    if not U.has_progress_deadline(d):
        status["conditions"] = P.remove_condition(status["conditions"], "Progressing")
    current = U.get_condition(d["status"], "Progressing")
    done = (
        status.get("replicas", 0) == status.get("updatedReplicas", 0)
        and current is not None
        and current.get("reason") == NEW_RS_AVAILABLE[0]
    )
    name = P.name(new_rs) if new_rs else P.name(d)
    if U.has_progress_deadline(d) and not done:
        if U.complete(d, status):
            s.set_condition(status, "Progressing", "True", NEW_RS_AVAILABLE, name)
        elif _progressing(d["status"], status):
            cond = U.condition("Progressing", "True", *_fmt(RS_UPDATED, name), s.now)
            if current is not None and current.get("status") == "True":
                cond["lastTransitionTime"] = current["lastTransitionTime"]
            conditions = P.remove_condition(status["conditions"], "Progressing")
            status["conditions"] = [*conditions, cond]
        elif U.timed_out(d, status, s.now):
            s.set_condition(status, "Progressing", "False", TIMED_OUT, name)
    failure = next(
        (
            U.get_condition(r.get("status") or {}, "ReplicaFailure")
            for r in all_rss
            if r.get("status")
        ),
        None,
    )
    if failure is not None:
        status["conditions"] = P.set_condition(status["conditions"], failure)
    else:
        status["conditions"] = P.remove_condition(
            status["conditions"], "ReplicaFailure"
        )
    return _drop_empty(status)


def _fmt(pair, name):
    return pair[0], pair[1].format(name)


def _drop_empty(status: dict) -> dict:
    if not status.get("conditions"):
        status.pop("conditions", None)
    return status


def check_paused_conditions(s: Sync) -> None:
    """checkPausedConditions: mark Progressing Unknown when paused or resumed."""
    d = s.d
    if not U.has_progress_deadline(d):
        return
    cond = U.get_condition(d["status"], "Progressing")
    if cond is not None and cond.get("reason") == TIMED_OUT[0]:
        return
    paused_cond = cond is not None and cond.get("reason") == PAUSED[0]
    if d["spec"].get("paused") and not paused_cond:
        s.set_condition(d["status"], "Progressing", "Unknown", PAUSED, "")
    elif not d["spec"].get("paused") and paused_cond:
        s.set_condition(d["status"], "Progressing", "Unknown", RESUMED, "")


def sync_only(s: Sync) -> dict:
    """sync: scale and clean up without rolling out (paused or a scaling event)."""
    new_rs, olds = s.new_and_old(create=False)
    scale(s, new_rs, olds)
    if s.d["spec"].get("paused"):
        cleanup(s, olds)
    all_rss = [*olds, new_rs] if new_rs else olds
    return _drop_empty(calculate_status(s, all_rss, new_rs))


def _is_scaling_event(s: Sync) -> bool:
    """isScalingEvent: an active ReplicaSet was sized for a different spec.replicas."""
    for rs in s.rss:
        desired = P.annotations(rs).get(U.DESIRED_REPLICAS)
        if (
            U.is_active_rs(rs)
            and desired is not None
            and desired != str(U.replicas(s.d))
        ):
            return True
    return False


def reconcile(d: dict, rss: list[dict], pods: list[dict], now: float) -> list[Action]:
    """Sync one Deployment against the ReplicaSets and pods of its namespace."""
    selector = d["spec"].get("selector") or {}
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        actions: list[Action] = [
            RecordEvent(
                P.ref(d), "Warning", SELECTING_ALL, SELECTING_ALL_MESSAGE, COMPONENT
            )
        ]
        generation = P.meta(d).get("generation", 0)
        if (d.get("status") or {}).get("observedGeneration", 0) < generation:
            status = {**(d.get("status") or {}), "observedGeneration": generation}
            actions.append(UpdateStatus({**d, "status": status}))
        return actions
    owned, adopt, release = P.claim(
        d, selector, [r for r in rss if P.namespace(r) == P.namespace(d)]
    )
    pre = claim_actions(d, adopt, release)
    s = Sync(d, owned, pods, now)
    if P.is_terminating(d):
        new_rs, olds = s.new_and_old(create=False)
        all_rss = [*olds, new_rs] if new_rs else olds
        return pre + s.actions(_drop_empty(calculate_status(s, all_rss, new_rs)))
    check_paused_conditions(s)
    if d["spec"].get("paused") or _is_scaling_event(s):
        return pre + s.actions(sync_only(s))
    if U.is_rolling(d):
        new_rs, all_rss = rollout_rolling(s)
    else:
        new_rs, all_rss = rollout_recreate(s)
    return pre + s.actions(rollout_status(s, all_rss, new_rs))


def sync(view: dict[str, list[dict]], now: float, rng: random.Random) -> list[Action]:
    """Reconcile every Deployment in the view, in namespace/name order."""
    actions: list[Action] = []
    rss, pods = view.get("ReplicaSet", []), view.get("Pod", [])
    for d in sorted(
        view.get("Deployment", []), key=lambda o: (P.namespace(o), P.name(o))
    ):
        ns = P.namespace(d)
        actions += reconcile(d, P.in_namespace(rss, ns), P.in_namespace(pods, ns), now)
    return actions


def next_wake(view: dict[str, list[dict]], now: float) -> float | None:
    """When a rollout in progress would pass its progress deadline (requeueStuckDeployment)."""
    wakes = []
    for d in view.get("Deployment", []):
        status = d.get("status") or {}
        cond = U.get_condition(status, "Progressing")
        if not U.has_progress_deadline(d) or cond is None or d["spec"].get("paused"):
            continue
        if cond.get("reason") in (NEW_RS_AVAILABLE[0], TIMED_OUT[0]):
            continue
        since = parse_rfc3339(cond.get("lastUpdateTime")) or now
        at = since + d["spec"].get("progressDeadlineSeconds", 600) + 1
        if at > now:
            wakes.append(at)
    return min(wakes, default=None)
