"""Job controller: run pods until `completions` succeed or `backoffLimit` failures are reached.

Counts come from the Job's own finished pods (pods are not given the job-tracking
finalizer), never going below what status already recorded. Terminal outcomes use
the 1.31+ shape: SuccessCriteriaMet / FailureTarget first, then Complete / Failed
once no pod is left running.
"""

from __future__ import annotations

import random

from cluster.actions import Action, RecordEvent, UpdateStatus
from cluster.controllers.replicaset import create_pods, delete_pods, new_pod_names
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
JOB_SUSPENDED = ("JobSuspended", "Job suspended")
JOB_RESUMED = ("JobResumed", "Job resumed")
SUSPENDED = ("Suspended", "Job suspended")
RESUMED = ("Resumed", "Job resumed")
BACKOFF_BASE, BACKOFF_MAX = 10, 360
JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")
# Indexed mode: each pod's index, as an annotation and a label, and in its env.
INDEX_KEY = "batch.kubernetes.io/job-completion-index"
INDEX_ENV = "JOB_COMPLETION_INDEX"
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


def _indexed(job: dict) -> bool:
    return job["spec"].get("completionMode") == "Indexed"


def pod_index(pod: dict) -> int | None:
    """An Indexed Job pod's completion index, from its annotation."""
    value = P.annotations(pod).get(INDEX_KEY, "")
    return int(value) if value.isdigit() else None


def format_indexes(indexes: set[int]) -> str:
    """status.completedIndexes: sorted runs, `0-2,4`."""
    runs: list[list[int]] = []
    for i in sorted(indexes):
        if runs and runs[-1][1] == i - 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


def parse_indexes(text: str | None) -> set[int]:
    """The indexes a completedIndexes string lists."""
    out: set[int] = set()
    for part in (text or "").split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            out.update(range(int(a), int(b) + 1))
        elif part.strip().isdigit():
            out.add(int(part))
    return out


def _indexed_template(job: dict, template: dict, index: int) -> dict:
    """The pod template for one index: annotation, label, hostname `<job>-<i>` and
    the JOB_COMPLETION_INDEX variable in every container."""
    meta = template.get("metadata") or {}
    spec = dict(template.get("spec") or {})
    env = {
        "name": INDEX_ENV,
        "valueFrom": {
            "fieldRef": {"fieldPath": f"metadata.annotations['{INDEX_KEY}']"}
        },
    }
    for key in ("initContainers", "containers"):
        if spec.get(key):
            spec[key] = [{**c, "env": [*(c.get("env") or []), env]} for c in spec[key]]
    spec["hostname"] = f"{P.name(job)}-{index}"
    return {
        **template,
        "metadata": {
            **meta,
            "labels": {**(meta.get("labels") or {}), INDEX_KEY: str(index)},
            "annotations": {**(meta.get("annotations") or {}), INDEX_KEY: str(index)},
        },
        "spec": spec,
    }


def _create_indexed(
    job: dict, indexes: list[int], taken: set[str], rng: random.Random
) -> list[Action]:
    """One pod per index, named `<job>-<index>-xxxxx`, in slow-start batches."""
    actions: list[Action] = []
    template = _template(job)
    for n, index in enumerate(indexes):
        (name,) = new_pod_names(f"{P.name(job)}-{index}", 1, taken, rng)
        taken.add(name)
        created = create_pods(
            job, _indexed_template(job, template, index), [name], COMPONENT
        )
        created[0].batch = (n + 1).bit_length()
        actions += created
    return actions


def _suspension(
    conditions: list[dict], suspended: bool, now: float
) -> tuple[list[dict], tuple[str, str] | None]:
    """ensureJobConditionStatus for Suspended: True while spec.suspend is set, False
    once resumed (never added as False); the event to record when it changes."""
    status, pair, event = (
        ("True", JOB_SUSPENDED, SUSPENDED)
        if suspended
        else ("False", JOB_RESUMED, RESUMED)
    )
    for k, c in enumerate(conditions):
        if c["type"] != "Suspended":
            continue
        if (c["status"], c.get("reason"), c.get("message")) == (status, *pair):
            return conditions, None
        changed = {**c, "status": status, "reason": pair[0], "message": pair[1]}
        changed["lastTransitionTime"] = rfc3339(now)
        return [*conditions[:k], changed, *conditions[k + 1 :]], event
    if not suspended:
        return conditions, None
    cond = {**_cond("Suspended", pair, now), "status": status}
    return [*conditions, cond], event


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
    done: set[int] = set()
    if _indexed(job):
        # Each index counts once, however many of its pods succeeded.
        done = parse_indexes(old.get("completedIndexes")) | {
            i
            for p in owned
            if P.phase(p) == P.SUCCEEDED and (i := pod_index(p)) is not None
        }
        done = {i for i in done if i < (job["spec"].get("completions") or 0)}
        succeeded = len(done)
    failed = max(old.get("failed", 0), sum(1 for p in owned if P.phase(p) == P.FAILED))
    spec = job["spec"]
    completions = spec.get("completions")
    parallelism = spec.get("parallelism", 1)
    conditions = list(old.get("conditions") or [])
    actions: list[Action] = []
    start_time = old.get("startTime") or (None if spec.get("suspend") else rfc3339(now))
    conditions, suspension = _suspension(conditions, bool(spec.get("suspend")), now)
    if suspension == RESUMED:
        # activeDeadlineSeconds counts the time the Job is continuously active.
        start_time = rfc3339(now)
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
        and not spec.get("suspend")  # a suspended Job's deadline does not run
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
        actions += delete_pods(job, active, COMPONENT)
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
            count = min(wanted - len(active), 500)
            if _indexed(job):
                busy = done | {pod_index(p) for p in active}
                free = [i for i in range(completions) if i not in busy]
                actions += _create_indexed(job, free[:count], taken, rng)
            else:
                names = new_pod_names(P.name(job), count, taken, rng)
                actions += create_pods(job, _template(job), names, COMPONENT)
    else:
        actions += delete_pods(job, active, COMPONENT)
    if suspension is not None:  # recorded after the pods it stopped or started
        actions.append(RecordEvent(P.ref(job), "Normal", *suspension, COMPONENT))
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
    if done:
        status["completedIndexes"] = format_indexes(done)
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
        if (
            start
            and job["spec"].get("activeDeadlineSeconds")
            and not job["spec"].get("suspend")
        ):
            deadline = start + job["spec"]["activeDeadlineSeconds"]
            if deadline > now:
                wakes.append(deadline)
    return min(wakes, default=None)
