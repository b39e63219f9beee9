"""Job controller: run pods until `completions` succeed or `backoffLimit` failures are reached.

Counts come from the Job's own finished pods (pods are not given the job-tracking
finalizer), never going below what status already recorded. Terminal outcomes use
the 1.31+ shape: SuccessCriteriaMet / FailureTarget first, then Complete / Failed
once no pod is left running.
"""

from __future__ import annotations

import random

from cluster.actions import Action, Delete, RecordEvent, UpdateStatus
from cluster.controllers.replicaset import create_pods, new_pod_names
from cluster.objects import pods as P
from cluster.simtime import parse_rfc3339, rfc3339

COMPONENT = "job-controller"
COMPLETIONS_REACHED = (
    "CompletionsReached",
    "Reached expected number of succeeded pods",
)
BACKOFF_LIMIT_EXCEEDED = (
    "BackoffLimitExceeded",
    "Job has reached the specified backoff limit",
)
DEADLINE_EXCEEDED = (
    "DeadlineExceeded",
    "Job was active longer than specified deadline",
)
COMPLETED_EVENT = ("Completed", "Job completed")
BACKOFF_BASE, BACKOFF_MAX = 10, 360
JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")
UID_LABELS = ("batch.kubernetes.io/controller-uid", "controller-uid")


def _cond(type_: str, pair: tuple[str, str], now: float) -> dict:
    t = rfc3339(now)
    return {
        "type": type_,
        "status": "True",
        "lastProbeTime": t,
        "lastTransitionTime": t,
        "reason": pair[0],
        "message": pair[1],
    }


def _has(status: dict, type_: str) -> bool:
    return any(
        c["type"] == type_ and c["status"] == "True"
        for c in status.get("conditions") or []
    )


def finished(job: dict) -> bool:
    """IsJobFinished: Complete or Failed is True."""
    status = job.get("status") or {}
    return _has(status, "Complete") or _has(status, "Failed")


def _finished_at(pod: dict) -> float:
    times = [
        parse_rfc3339((s.get("state") or {}).get("terminated", {}).get("finishedAt"))
        for s in (pod.get("status") or {}).get("containerStatuses") or []
    ]
    return max([t for t in times if t], default=P.created_at(pod) or 0.0)


def backoff_until(job: dict, pods: list[dict]) -> float | None:
    """When the next pod may start after failures: 10 s doubling per failure, capped at 6 min."""
    failed = [p for p in pods if P.phase(p) == P.FAILED]
    if not failed:
        return None
    delay = min(BACKOFF_BASE * 2 ** (len(failed) - 1), BACKOFF_MAX)
    return max(_finished_at(p) for p in failed) + delay


def _template(job: dict) -> dict:
    template = job["spec"]["template"]
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    for key in JOB_NAME_LABELS:
        labels.setdefault(key, P.name(job))
    for key in UID_LABELS:
        labels.setdefault(key, P.uid(job))
    return {
        **template,
        "metadata": {**(template.get("metadata") or {}), "labels": labels},
    }


def reconcile(
    job: dict, pods: list[dict], now: float, rng: random.Random
) -> list[Action]:
    """Sync one Job: create or remove pods, then write status (conditions, counts, times)."""
    selector = job["spec"].get("selector") or {
        "matchLabels": {UID_LABELS[0]: P.uid(job)}
    }
    owned, _, _ = P.claim(job, selector, pods)
    old = job.get("status") or {}
    if finished(job):
        return []
    active = [p for p in owned if P.is_active(p)]
    terminating = [
        p
        for p in owned
        if P.is_terminating(p) and P.phase(p) not in (P.SUCCEEDED, P.FAILED)
    ]
    succeeded = max(
        old.get("succeeded", 0), sum(1 for p in owned if P.phase(p) == P.SUCCEEDED)
    )
    failed = max(old.get("failed", 0), sum(1 for p in owned if P.phase(p) == P.FAILED))
    spec = job["spec"]
    completions = spec.get("completions")
    parallelism = spec.get("parallelism", 1)
    conditions = list(old.get("conditions") or [])
    actions: list[Action] = []
    start_time = old.get("startTime") or (None if spec.get("suspend") else rfc3339(now))
    target = None
    if _has(old, "FailureTarget"):
        target = next(c for c in conditions if c["type"] == "FailureTarget")
    elif _has(old, "SuccessCriteriaMet"):
        target = next(c for c in conditions if c["type"] == "SuccessCriteriaMet")
    elif failed > spec.get("backoffLimit", 6):
        target = _cond("FailureTarget", BACKOFF_LIMIT_EXCEEDED, now)
    elif (
        spec.get("activeDeadlineSeconds")
        and start_time
        and (parse_rfc3339(start_time) + spec["activeDeadlineSeconds"] <= now)
    ):
        target = _cond("FailureTarget", DEADLINE_EXCEEDED, now)
    elif (completions is not None and succeeded >= completions) or (
        completions is None and succeeded > 0 and not active
    ):
        target = _cond("SuccessCriteriaMet", COMPLETIONS_REACHED, now)
    if target is not None and target not in conditions:
        conditions.append(target)
    if target is not None:
        # Lingering pods are removed once the outcome is decided.
        actions += [Delete(P.ref(p), uid=P.uid(p)) for p in active]
        terminating += active
        active = []
    elif not spec.get("suspend"):
        wanted = (
            parallelism
            if completions is None
            else min(parallelism, completions - succeeded)
        )
        until = backoff_until(job, owned)
        if wanted > len(active) and (until is None or until <= now):
            taken = {P.name(p) for p in pods}
            names = new_pod_names(
                P.name(job), min(wanted - len(active), 500), taken, rng
            )
            actions += create_pods(job, _template(job), names, COMPONENT)
    else:
        actions += [Delete(P.ref(p), uid=P.uid(p)) for p in active]
    status: dict = {}
    if target is not None and not terminating:
        final = "Failed" if target["type"] == "FailureTarget" else "Complete"
        conditions.append({**_cond(final, (target["reason"], target["message"]), now)})
        if final == "Complete":
            status["completionTime"] = rfc3339(now)
            actions.append(
                RecordEvent(P.ref(job), "Normal", *COMPLETED_EVENT, COMPONENT)
            )
        else:
            actions.append(
                RecordEvent(
                    P.ref(job),
                    "Warning",
                    target["reason"],
                    target["message"],
                    COMPONENT,
                )
            )
    if conditions:
        status["conditions"] = conditions
    if start_time:
        status["startTime"] = start_time
    if active:
        status["active"] = len(active)
    if succeeded:
        status["succeeded"] = succeeded
    if failed:
        status["failed"] = failed
    status["terminating"] = len(terminating)
    status["uncountedTerminatedPods"] = {}
    status["ready"] = sum(1 for p in active if P.is_ready(p))
    if status != old:
        actions.append(UpdateStatus({**job, "status": status}))
    return actions


def sync(view: dict[str, list[dict]], now: float, rng: random.Random) -> list[Action]:
    """Reconcile every Job in the view."""
    actions: list[Action] = []
    for job in sorted(view.get("Job", []), key=lambda o: (P.namespace(o), P.name(o))):
        actions += reconcile(
            job, P.in_namespace(view.get("Pod", []), P.namespace(job)), now, rng
        )
    return actions


def next_wake(view: dict[str, list[dict]], now: float) -> float | None:
    """When a back-off ends or an activeDeadlineSeconds passes."""
    wakes = []
    for job in view.get("Job", []):
        if finished(job):
            continue
        pods = [p for p in view.get("Pod", []) if P.is_controlled_by(p, job)]
        until = backoff_until(job, pods)
        if until is not None and until > now:
            wakes.append(until)
        start = parse_rfc3339((job.get("status") or {}).get("startTime"))
        if start and job["spec"].get("activeDeadlineSeconds"):
            deadline = start + job["spec"]["activeDeadlineSeconds"]
            if deadline > now:
                wakes.append(deadline)
    return min(wakes, default=None)
