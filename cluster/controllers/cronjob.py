"""CronJob controller: create Jobs `<cronjob>-<minutes since epoch>` on a cron schedule.

Schedules are standard 5-field cron (and `@hourly`-style macros) evaluated in UTC
on the cluster clock; `spec.timeZone` is not simulated.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from cluster.actions import Action, Create, Delete, Patch, RecordEvent, UpdateStatus
from cluster.controllers.job import finished
from cluster.objects import pods as P
from cluster.objects.clone import clone
from cluster.simtime import parse_rfc3339, rfc3339

COMPONENT = "cronjob-controller"
SCHEDULED_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_NAMES = (
    {},
    {},
    {},
    {
        m: i + 1
        for i, m in enumerate(
            [
                "jan",
                "feb",
                "mar",
                "apr",
                "may",
                "jun",
                "jul",
                "aug",
                "sep",
                "oct",
                "nov",
                "dec",
            ]
        )
    },
    {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
)
NEXT_SCHEDULE_DELTA = 0.1
JOB_ALREADY_ACTIVE = (
    "JobAlreadyActive",
    "Not starting job because prior execution is running and concurrency policy is Forbid",
)
# The scheduled time whose Forbid skip was last reported. The real controller syncs
# once per scheduled time and records the event then; a pure reconcile runs on every
# pass of a tick, so without this mark the event would be recorded again and again.
FORBIDDEN_SCHEDULE_ANNOTATION = "batch.kubelab.dev/forbidden-schedule"


class InvalidSchedule(ValueError):
    pass


def parse_schedule(text: str) -> tuple[list[set[int]], bool, bool]:
    """Parse a cron line into (minute, hour, dom, month, dow sets, dom-is-star, dow-is-star)."""
    fields = MACROS.get(text.strip(), text).split()
    if len(fields) != 5:
        raise InvalidSchedule(f"expected exactly 5 fields, found {len(fields)}: {text}")
    sets, stars = [], []
    for field, (lo, hi), names in zip(fields, _RANGES, _NAMES):
        values: set[int] = set()
        star = False
        for part in field.split(","):
            rng_, _, step = part.partition("/")
            if rng_ in ("*", "?"):
                a, b = lo, hi
                star = not step or step == "1"
            else:
                a_s, _, b_s = rng_.partition("-")
                a = _value(a_s, names)
                b = _value(b_s, names) if b_s else (hi if step else a)
            if not (lo <= a <= hi and lo <= b <= hi):
                raise InvalidSchedule(f"value out of range in {field!r}")
            values.update(range(a, b + 1, int(step) if step else 1))
        sets.append(values)
        stars.append(star)
    return sets, stars[2], stars[4]


def _value(s: str, names: dict) -> int:
    s = s.lower()
    if s in names:
        return names[s]
    if not s.isdigit():
        raise InvalidSchedule(f"failed to parse int from {s}")
    return int(s)


def next_time(schedule, after: float) -> float | None:
    """The first scheduled instant strictly after `after` (within five years)."""
    (minutes, hours, doms, months, dows), dom_star, dow_star = schedule
    t = datetime.fromtimestamp(int(after) // 60 * 60, UTC) + timedelta(minutes=1)
    limit = t + timedelta(days=366 * 5)
    while t < limit:
        if t.month not in months:
            t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
            continue
        dom_ok, dow_ok = t.day in doms, (t.isoweekday() % 7) in dows
        day_ok = (dom_ok and dow_ok) if (dom_star or dow_star) else (dom_ok or dow_ok)
        if not day_ok:
            t = t.replace(hour=0, minute=0) + timedelta(days=1)
            continue
        if t.hour not in hours:
            t = t.replace(minute=0) + timedelta(hours=1)
            continue
        if t.minute in minutes:
            return t.timestamp()
        t += timedelta(minutes=1)
    return None


def most_recent(schedule, earliest: float, now: float) -> tuple[float | None, int]:
    """The latest scheduled time in (earliest, now] and how many were missed.

    As mostRecentScheduleTime: the count is the gap over the first interval, an
    estimate that only needs to tell "more than 100"; the time itself is exact.
    """
    first = next_time(schedule, earliest)
    if first is None or first > now:
        return None, 0
    second = next_time(schedule, first)
    if second is None or second > now:
        return first, 1
    interval = round(second - first)
    missed = int(now - first) // interval + 1
    last = None
    # Jump close to now; an uneven schedule may jump too far, then walk from first.
    for start in (first + (missed - 2) * interval, earliest):
        t = next_time(schedule, start)
        while t is not None and t <= now:
            last, t = t, next_time(schedule, t)
        if last is not None:
            return last, missed
    return first, missed


def job_name(cj: dict, scheduled: float) -> str:
    """getJobName: `<cronjob>-<scheduled time in minutes since the epoch>`."""
    return f"{P.name(cj)}-{int(scheduled) // 60}"


def build_job(cj: dict, scheduled: float) -> dict:
    """getJobFromTemplate2: the Job for one scheduled time."""
    tmpl = cj["spec"]["jobTemplate"]
    meta = tmpl.get("metadata") or {}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name(cj, scheduled),
            "namespace": P.namespace(cj),
            "labels": dict(meta.get("labels") or {}),
            "annotations": {
                **(meta.get("annotations") or {}),
                SCHEDULED_ANNOTATION: rfc3339(scheduled),
            },
            "ownerReferences": [P.owner_reference(cj)],
        },
        "spec": clone(tmpl.get("spec") or {}),
    }


def _job_ref(job: dict) -> dict:
    ref = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "name": P.name(job),
        "namespace": P.namespace(job),
    }
    if P.meta(job).get("resourceVersion"):
        ref["resourceVersion"] = P.meta(job)["resourceVersion"]
    if P.uid(job):
        ref["uid"] = P.uid(job)
    return ref


def _outcome(job: dict) -> str:
    for c in (job.get("status") or {}).get("conditions") or []:
        if c["type"] in ("Complete", "Failed") and c["status"] == "True":
            return c["type"]
    return ""


def _event(cj: dict, reason: str, message: str, type_: str = "Normal") -> RecordEvent:
    return RecordEvent(P.ref(cj), type_, reason, message, COMPONENT)


def reconcile(cj: dict, jobs: list[dict], now: float) -> list[Action]:
    """Sync one CronJob: track its jobs, start the due one, trim history; status last."""
    status = clone(cj.get("status") or {})
    active = status.get("active") or []
    mine = [j for j in jobs if P.is_controlled_by(j, cj)]
    actions: list[Action] = []
    marks: list[Action] = []

    def is_listed(job):
        return any(
            a.get("uid") == P.uid(job)
            or (not a.get("uid") and a["name"] == P.name(job))
            for a in active
        )

    for job in sorted(mine, key=P.name):
        if is_listed(job) and finished(job):
            active = [a for a in active if a["name"] != P.name(job)]
            actions.append(
                _event(
                    cj,
                    "SawCompletedJob",
                    f"Saw completed job: {P.name(job)}, status: {_outcome(job)}",
                )
            )
        elif is_listed(job):
            active = [_job_ref(job) if a["name"] == P.name(job) else a for a in active]
        if _outcome(job) == "Complete":
            done = (job.get("status") or {}).get("completionTime")
            if done and (
                not status.get("lastSuccessfulTime")
                or parse_rfc3339(done) > parse_rfc3339(status["lastSuccessfulTime"])
            ):
                status["lastSuccessfulTime"] = done
    names = {P.name(j) for j in mine}
    for ref in list(active):
        if ref["name"] not in names and ref.get("uid"):
            active.remove(ref)
            actions.append(
                _event(cj, "MissingJob", f"Active job went missing: {ref['name']}")
            )
    spec = cj["spec"]
    if not P.is_terminating(cj) and not spec.get("suspend"):
        active = _maybe_start(cj, mine, active, status, now, actions, marks)
    actions += _cleanup(cj, mine, active, actions)
    status["active"] = active
    if not status["active"]:
        status.pop("active")
    if status != (cj.get("status") or {}):
        actions.append(UpdateStatus({**cj, "status": status}))
    # Metadata marks go after the status write, which carries the read resourceVersion.
    return actions + marks


def _maybe_start(cj, mine, active, status, now, actions, marks) -> list[dict]:
    spec = cj["spec"]
    try:
        schedule = parse_schedule(spec["schedule"])
    except InvalidSchedule as exc:
        actions.append(
            _event(
                cj,
                "UnparseableSchedule",
                f"unparseable schedule: {spec['schedule']!r} : {exc}",
                "Warning",
            )
        )
        return active
    earliest = parse_rfc3339(status.get("lastScheduleTime")) or P.created_at(cj) or now
    if spec.get("startingDeadlineSeconds") is not None:
        earliest = max(earliest, now - spec["startingDeadlineSeconds"])
    scheduled, missed = most_recent(schedule, earliest, now)
    if scheduled is None:
        return active
    if missed > 100:
        actions.append(
            _event(
                cj,
                "TooManyMissedTimes",
                f"too many missed start times: {missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
                "Warning",
            )
        )
    name = job_name(cj, scheduled)
    if any(a["name"] == name for a in active) or name in {P.name(j) for j in mine}:
        return active
    policy = spec.get("concurrencyPolicy", "Allow")
    if policy == "Forbid" and active:
        if P.annotations(cj).get(FORBIDDEN_SCHEDULE_ANNOTATION) != rfc3339(scheduled):
            actions.append(_event(cj, *JOB_ALREADY_ACTIVE))
            marks.append(
                Patch(
                    P.ref(cj),
                    {
                        "metadata": {
                            "annotations": {
                                FORBIDDEN_SCHEDULE_ANNOTATION: rfc3339(scheduled)
                            }
                        }
                    },
                )
            )
        return active
    if policy == "Replace":
        for ref in active:
            actions.append(
                Delete(_ref_of(cj, ref["name"]), propagation_policy="Background")
            )
            actions.append(_event(cj, "SuccessfulDelete", f"Deleted job {ref['name']}"))
        active = []
    job = build_job(cj, scheduled)
    actions += [Create(job), _event(cj, "SuccessfulCreate", f"Created job {name}")]
    status["lastScheduleTime"] = rfc3339(scheduled)
    return [*active, _job_ref(job)]


def _ref_of(cj: dict, name: str):
    from cluster.actions import Ref

    return Ref("Job", P.namespace(cj), name, "batch/v1")


def _cleanup(
    cj: dict, mine: list[dict], active: list[dict], actions: list[Action]
) -> list[Action]:
    out: list[Action] = []
    for outcome, key, default in (
        ("Complete", "successfulJobsHistoryLimit", 3),
        ("Failed", "failedJobsHistoryLimit", 1),
    ):
        limit = cj["spec"].get(key, default)
        done = [j for j in mine if _outcome(j) == outcome and not P.is_terminating(j)]
        done.sort(
            key=lambda j: (
                parse_rfc3339((j.get("status") or {}).get("startTime")) or float("inf"),
                P.name(j),
            )
        )
        for job in done[: max(0, len(done) - limit)]:
            out.append(
                Delete(P.ref(job), propagation_policy="Background", uid=P.uid(job))
            )
            out.append(_event(cj, "SuccessfulDelete", f"Deleted job {P.name(job)}"))
    return out


def sync(view: dict[str, list[dict]], now: float, rng: random.Random) -> list[Action]:
    """Reconcile every CronJob in the view."""
    actions: list[Action] = []
    for cj in sorted(
        view.get("CronJob", []), key=lambda o: (P.namespace(o), P.name(o))
    ):
        actions += reconcile(
            cj, P.in_namespace(view.get("Job", []), P.namespace(cj)), now
        )
    return actions


def next_wake(view: dict[str, list[dict]], now: float) -> float | None:
    """The next scheduled time of any unsuspended CronJob, plus 100 ms as the controller requeues."""
    wakes = []
    for cj in view.get("CronJob", []):
        if cj["spec"].get("suspend"):
            continue
        try:
            t = next_time(parse_schedule(cj["spec"]["schedule"]), now)
        except InvalidSchedule:
            continue
        if t is not None:
            wakes.append(t + NEXT_SCHEDULE_DELTA)
    return min(wakes, default=None)
