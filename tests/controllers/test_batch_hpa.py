"""Job back-off and completion, CronJob schedules and concurrency, HPA scaling."""

from __future__ import annotations

import random

import pytest

from cluster.actions import Create, Patch, RecordEvent
from cluster.controllers import cronjob, hpa, job
from cluster.objects import pods as P
from cluster.simtime import rfc3339
from tests.controllers import fakeapi
from tests.controllers.workload_builders import T0, template


def make_job(backoff_limit=2, completions=1, parallelism=1) -> dict:
    tmpl = template("busybox")
    tmpl["spec"]["restartPolicy"] = "Never"
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "pi",
            "namespace": "default",
            "uid": "job-uid",
            "generation": 1,
        },
        "spec": {
            "completions": completions,
            "parallelism": parallelism,
            "backoffLimit": backoff_limit,
            "template": tmpl,
        },
    }


def _finish(view: dict, phase: str, now: float) -> None:
    for p in view["Pod"]:
        if p.get("status", {}).get("phase") in (None, "Pending"):
            p["status"] = {
                "phase": phase,
                "containerStatuses": [
                    {"name": "c", "state": {"terminated": {"finishedAt": rfc3339(now)}}}
                ],
            }


def test_job_pods_carry_job_labels_and_names():
    actions = job.reconcile(make_job(), [], T0, random.Random(1))
    pod = actions[0].obj
    assert P.name(pod).startswith("pi-") and len(P.name(pod)) == 8
    assert pod["metadata"]["labels"] == {
        "app": "web",
        "batch.kubernetes.io/job-name": "pi",
        "job-name": "pi",
        "batch.kubernetes.io/controller-uid": "job-uid",
        "controller-uid": "job-uid",
    }
    assert actions[1] == RecordEvent(
        P.ref(make_job()),
        "Normal",
        "SuccessfulCreate",
        f"Created pod: {P.name(pod)}",
        "job-controller",
        reports_previous=True,
    )


def test_job_retries_with_back_off_until_the_limit_then_fails():
    view = {"Job": [make_job(backoff_limit=2)], "Pod": []}
    now, starts = T0, []
    for _ in range(12):
        actions = job.sync(view, now, random.Random(int(now)))
        starts += [now - T0 for a in actions if isinstance(a, Create)]
        fakeapi.apply(view, actions, now)
        _finish(view, "Failed", now)
        now = job.next_wake(view, now) or now + 1
    status = view["Job"][0]["status"]
    # Back-off after 1 failure is 10 s, after 2 it is 20 s; the 3rd failure exceeds the limit.
    assert starts == [0, 10, 30]
    assert [(c["type"], c["reason"], c["message"]) for c in status["conditions"]] == [
        (
            "FailureTarget",
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
        ),
        (
            "Failed",
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
        ),
    ]
    assert status["failed"] == 3


def test_job_completes_with_success_criteria_then_complete():
    view = {"Job": [make_job(completions=2, parallelism=2)], "Pod": []}
    events: list = []
    fakeapi.apply(view, job.sync(view, T0, random.Random(1)), T0, events)
    _finish(view, "Succeeded", T0 + 5)
    fakeapi.apply(view, job.sync(view, T0 + 6, random.Random(1)), T0 + 6, events)
    status = view["Job"][0]["status"]
    assert [(c["type"], c["reason"]) for c in status["conditions"]] == [
        ("SuccessCriteriaMet", "CompletionsReached"),
        ("Complete", "CompletionsReached"),
    ]
    assert (status["succeeded"], status["completionTime"]) == (2, rfc3339(T0 + 6))
    assert events[-1] == ("Completed", "Job completed")
    assert job.sync(view, T0 + 7, random.Random(1)) == []


def test_job_past_its_active_deadline_deletes_its_pods_then_fails():
    j = make_job()
    j["spec"]["activeDeadlineSeconds"] = 30
    view = {"Job": [j], "Pod": []}
    events: list = []
    fakeapi.apply(view, job.sync(view, T0, random.Random(1)), T0, events)
    (pod,) = view["Pod"]
    pod["status"] = {"phase": "Running"}
    assert job.next_wake(view, T0 + 1) == T0 + 30

    fakeapi.apply(view, job.sync(view, T0 + 30, random.Random(1)), T0 + 30, events)
    assert view["Pod"] == []
    status = view["Job"][0]["status"]
    deadline = ("DeadlineExceeded", "Job was active longer than specified deadline")
    assert [(c["type"], c["reason"], c["message"]) for c in status["conditions"]] == [
        ("FailureTarget", *deadline)
    ]
    fakeapi.apply(view, job.sync(view, T0 + 31, random.Random(1)), T0 + 31, events)
    status = view["Job"][0]["status"]
    assert [c["type"] for c in status["conditions"]] == ["FailureTarget", "Failed"]
    assert events == [
        ("SuccessfulCreate", f"Created pod: {P.name(pod)}"),
        ("SuccessfulDelete", f"Deleted pod: {P.name(pod)}"),
        deadline,
    ]


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        pytest.param("*/15 * * * *", T0 + 1, T0 + 900, id="every-15-minutes"),
        pytest.param("@hourly", T0, T0 + 3600, id="hourly"),
        pytest.param("30 2 * * *", T0, T0 + 2 * 3600 + 1800, id="daily-at-2-30"),
        pytest.param(
            "0 0 * * 1", T0, T0 + 4 * 86400, id="monday"
        ),  # 2026-01-01 is a Thursday
    ],
)
def test_cron_schedules_find_the_next_time(schedule, after, expected):
    assert cronjob.next_time(cronjob.parse_schedule(schedule), after) == expected


def make_cj(policy: str, deadline: int | None = None) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": "tick",
            "namespace": "default",
            "uid": "cj-uid",
            "creationTimestamp": rfc3339(T0),
        },
        "spec": {
            "schedule": "*/10 * * * *",
            "concurrencyPolicy": policy,
            "startingDeadlineSeconds": deadline,
            "jobTemplate": {"spec": {"template": template("busybox")}},
        },
    }


@pytest.mark.parametrize(
    ("policy", "deadline", "created"),
    [
        pytest.param("Allow", None, [10, 20, 30, 40, 50, 60], id="allow"),
        # A forbidden run stays due and starts late, once the running job finishes.
        pytest.param("Forbid", None, [10, 20, 30, 40, 50], id="forbid-starts-late"),
        pytest.param("Forbid", 120, [10, 30, 50], id="forbid-with-deadline-skips"),
    ],
)
def test_cronjob_over_an_hour_with_jobs_lasting_fifteen_minutes(
    policy, deadline, created
):
    view = {"CronJob": [make_cj(policy, deadline)], "Job": []}
    events: list = []
    now = T0
    while now <= T0 + 3600 + 1:
        for j in view["Job"]:
            started = cronjob.parse_rfc3339(
                j["metadata"]["annotations"][cronjob.SCHEDULED_ANNOTATION]
            )
            if now >= started + 900 and not job.finished(j):
                j["status"] = {
                    "startTime": rfc3339(started),
                    "completionTime": rfc3339(now),
                    "conditions": [{"type": "Complete", "status": "True"}],
                }
        fakeapi.apply(view, cronjob.sync(view, now, random.Random(0)), now, events)
        now = min(cronjob.next_wake(view, now), now + 300)
    names = [
        m.removeprefix("Created job ") for r, m in events if r == "SuccessfulCreate"
    ]
    assert names == [f"tick-{int(T0 + m * 60) // 60}" for m in created]
    assert view["CronJob"][0]["status"]["lastScheduleTime"] == rfc3339(
        T0 + created[-1] * 60
    )
    # Successful history is trimmed to 3 jobs.
    assert len([j for j in view["Job"] if job.finished(j)]) <= 3


def test_a_forbidden_run_is_reported_once_per_scheduled_time():
    """JobAlreadyActive is recorded when a due run is skipped, not again on every later
    sync of the same scheduled time; the next scheduled time is reported anew."""
    view = {"CronJob": [make_cj("Forbid")], "Job": []}
    for now in (T0 + 600, T0 + 601):  # the job starts, then is seen in status
        fakeapi.apply(view, cronjob.sync(view, now, random.Random(0)), now)
    skipped = cronjob.sync(view, T0 + 1200, random.Random(0))
    mark = {cronjob.FORBIDDEN_SCHEDULE_ANNOTATION: rfc3339(T0 + 1200)}
    assert skipped == [
        RecordEvent(
            P.ref(view["CronJob"][0]),
            "Normal",
            "JobAlreadyActive",
            "Not starting job because prior execution is running and concurrency "
            "policy is Forbid",
            "cronjob-controller",
        ),
        Patch(P.ref(view["CronJob"][0]), {"metadata": {"annotations": mark}}),
    ]
    fakeapi.apply(view, skipped, T0 + 1200)
    assert cronjob.sync(view, T0 + 1200, random.Random(0)) == []
    assert cronjob.sync(view, T0 + 1500, random.Random(0)) == []
    later = cronjob.sync(view, T0 + 1800, random.Random(0))
    assert [a.reason for a in later if isinstance(a, RecordEvent)] == [
        "JobAlreadyActive"
    ]


def running_since(started: float, ready_at: float | None = None) -> dict:
    """A Running pod's status, Ready since `ready_at` (a second after it started)."""
    ready_at = started + 1 if ready_at is None else ready_at
    return {
        "phase": "Running",
        "startTime": rfc3339(started),
        "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": rfc3339(ready_at)}
        ],
    }


def sample(pod: str, cpu: str, at: float) -> dict:
    """A PodMetrics taken at `at` over metrics-server's window."""
    return {
        "metadata": {"name": pod, "namespace": "default"},
        "timestamp": rfc3339(at),
        "window": "10s",
        "containers": [{"name": "nginx", "usage": {"cpu": cpu}}],
    }


def _hpa_view(cpu_per_pod: str, replicas: int) -> dict:
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "uid": "d"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}}},
    }
    pods, metrics = [], []
    for i in range(replicas):
        tmpl = template()
        tmpl["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "200m"}}
        pods.append(
            {
                "kind": "Pod",
                "metadata": {
                    "name": f"web-{i}",
                    "namespace": "default",
                    "labels": {"app": "web"},
                },
                **{"spec": tmpl["spec"]},
                "status": running_since(T0 - 600),
            }
        )
        metrics.append(sample(f"web-{i}", cpu_per_pod, T0))
    autoscaler = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "h",
            "generation": 1,
        },
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": "web",
            },
            "minReplicas": 1,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 50},
                    },
                }
            ],
        },
    }
    return {
        "HorizontalPodAutoscaler": [autoscaler],
        "Deployment": [deploy],
        "Pod": pods,
        "PodMetrics": metrics,
    }


def _due(window=(), at: float = T0) -> dict:
    """The controller's memory of HPA `h`: due at `at`, with `window` recommended."""
    return {"since": None, "hpas": {"h": {"due": at, "window": list(window)}}}


def _sync(view: dict, now: float = T0, memory: dict | None = None) -> list:
    """The actions of one run of the HPA controller at `now` (HPA `h` due then)."""
    actions, _ = hpa.remembered(view, memory or _due(at=now), now)
    return actions


def test_hpa_scales_up_at_once_with_the_kubernetes_event():
    view = _hpa_view("200m", 2)  # 100 % of request against a 50 % target
    actions = _sync(view)
    assert actions[0] == Patch(
        P.ref(view["Deployment"][0]), {"spec": {"replicas": 4}}, subresource="scale"
    )
    assert (
        actions[1].message
        == "New size: 4; reason: cpu resource utilization (percentage of request) above target"
    )
    assert actions[2].obj["status"]["currentMetrics"][0]["resource"]["current"] == {
        "averageUtilization": 100,
        "averageValue": "200m",
    }


def test_hpa_within_tolerance_does_nothing():
    view = _hpa_view("105m", 2)  # 52 % against 50 %: inside the 10 % tolerance
    assert [a for a in _sync(view) if isinstance(a, Patch) and a.subresource] == []


def test_hpa_scales_down_only_after_the_stabilisation_window():
    view = _hpa_view("200m", 4)
    actions, memory = hpa.remembered(view, _due(), T0)
    fakeapi.apply(view, actions, T0)  # recommends 8
    view = {
        **_hpa_view("20m", 4),
        "HorizontalPodAutoscaler": view["HorizontalPodAutoscaler"],
    }
    view["Deployment"][0]["spec"]["replicas"] = 8
    sizes = []
    now = hpa.next_wake(view, T0, memory)
    while now <= T0 + 330:
        actions, memory = hpa.remembered(view, memory, now)
        sizes += [
            (now - T0, a.patch["spec"]["replicas"])
            for a in actions
            if isinstance(a, Patch) and a.subresource
        ]
        fakeapi.apply(view, actions, now)
        now = hpa.next_wake(view, now, memory)
    assert sizes == [(300, 1)]
    assert "annotations" not in view["HorizontalPodAutoscaler"][0]["metadata"]


def test_the_work_queue_holds_a_new_hpa_one_sync_period_then_syncs_every_15s():
    """A new HPA (or every HPA, for a controller that has just started) waits 15 s
    before its first sync, as kubectl get hpa shows with <unknown> targets."""
    view = _hpa_view("200m", 2)
    memory, now, acted = None, T0, []
    while now <= T0 + 45:
        actions, memory = hpa.remembered(view, memory, now)
        acted += [now - T0] * bool(actions)
        fakeapi.apply(view, actions, now)
        now = hpa.next_wake(view, now, memory)
    assert acted[0] == 15
    assert "status" in view["HorizontalPodAutoscaler"][0]
    synced = [t - T0 for t, _ in memory["hpas"]["h"]["window"]]
    assert synced == [15, 30, 45]
    assert now == T0 + 60


def test_a_restarted_controller_manager_forgets_the_recommendations():
    """The window lives in the controller's memory: a new leader (another acquireTime
    on its Lease) starts with none, so it scales down at once."""
    view = _hpa_view("20m", 4)
    lease = {
        "kind": "Lease",
        "metadata": {"name": "kube-controller-manager", "namespace": "kube-system"},
        "spec": {"acquireTime": rfc3339(T0 - 5)},
    }
    remembered = {**_due([[T0 - 100, 8]]), "since": T0 - 600}
    assert _scaled_to({**view, "Lease": [lease]}, memory=remembered) is None
    assert _scaled_to(view, memory=remembered) is None  # same process: held at 8
    lease["spec"]["acquireTime"] = rfc3339(T0 - 600)
    restarted = {**view, "Lease": [lease]}
    assert _scaled_to(restarted, memory=remembered) == 8


def _scaled_to(view: dict, now: float = T0, memory: dict | None = None) -> int | None:
    patches = [
        a.patch["spec"]["replicas"]
        for a in _sync(view, now, memory)
        if isinstance(a, Patch) and a.subresource == "scale"
    ]
    return patches[0] if patches else None


def test_hpa_counts_pending_pods_as_idle_when_scaling_up():
    """Two pods at 100 % and two still Pending: taken as 0 %, the average is the 50 %
    target, so the HPA waits instead of doubling all four."""
    view = _hpa_view("200m", 4)
    for pod in view["Pod"][2:]:
        pod["status"] = {"phase": "Pending"}
    view["PodMetrics"] = view["PodMetrics"][:2]
    assert _scaled_to(view) is None


def test_hpa_ignores_a_sample_taken_before_a_new_pod_was_ready_a_whole_window():
    """A pod Ready for 5 s (a 10 s window) counts as 0 % on a scale-up: 400m of 600m
    requested is 66 %, so 3 pods become ceil(3 × 66 / 50) = 4, not 6."""
    view = _hpa_view("200m", 3)
    view["Pod"][2]["status"] = running_since(T0 - 6, ready_at=T0 - 5)
    assert _scaled_to(view) == 4


def test_hpa_counts_a_pod_without_metrics_as_fully_busy_when_scaling_down():
    """Three pods at 10 % and one unmeasured, taken at 100 % of its request:
    260m of 800m is 32 %, so 4 pods become ceil(4 × 32 / 50) = 3, not 1."""
    view = _hpa_view("20m", 4)
    view["PodMetrics"] = view["PodMetrics"][:3]
    assert _scaled_to(view) == 3


@pytest.mark.parametrize(
    ("deadline", "warned"),
    [
        pytest.param(None, True, id="150-missed-warns"),
        pytest.param(600, False, id="a-starting-deadline-bounds-the-count"),
    ],
)
def test_a_cronjob_that_missed_over_100_runs_warns_then_starts_the_latest(
    deadline, warned
):
    cj = make_cj("Allow", deadline)
    cj["spec"]["schedule"] = "* * * * *"
    cj["metadata"]["creationTimestamp"] = rfc3339(T0 - 150 * 60)
    view = {"CronJob": [cj], "Job": []}
    events: list = []
    fakeapi.apply(view, cronjob.sync(view, T0, random.Random(0)), T0, events)
    too_many = (
        "TooManyMissedTimes",
        "too many missed start times: 150. Set or decrease "
        ".spec.startingDeadlineSeconds or check clock skew",
    )
    assert events == [too_many] * warned + [
        ("SuccessfulCreate", f"Created job tick-{int(T0) // 60}")
    ]


@pytest.mark.parametrize(
    ("schedule", "earliest", "now", "expected"),
    [
        pytest.param("* * * * *", T0 - 9000, T0, (T0, 150), id="every-minute"),
        pytest.param("*/10 * * * *", T0, T0 + 599, (None, 0), id="none-yet"),
        pytest.param("*/10 * * * *", T0, T0 + 600, (T0 + 600, 1), id="one"),
        pytest.param(
            "0 9,10 * * *",
            T0,
            T0 + 86400 + 8 * 3600,
            (T0 + 10 * 3600, 24),
            id="uneven-schedule-estimate-overshoots",
        ),
    ],
)
def test_most_recent_schedule_is_exact_and_the_missed_count_estimated(
    schedule, earliest, now, expected
):
    parsed = cronjob.parse_schedule(schedule)
    assert cronjob.most_recent(parsed, earliest, now) == expected


@pytest.mark.parametrize(
    ("cpu", "replicas", "most", "window", "expected"),
    [
        pytest.param("20m", 4, 10, [[T0 - 100, 2]], 2, id="down-to-window-highest"),
        pytest.param("20m", 4, 10, [[T0 - 301, 8]], 1, id="old-recommendations-expire"),
        # The classic path applies the window's highest even above the current count.
        pytest.param("20m", 4, 10, [[T0 - 100, 8]], 8, id="window-highest-wins"),
        pytest.param("1000m", 1, 10, [], 4, id="up-from-one-limited-to-4"),
        pytest.param("1000m", 6, 20, [], 12, id="up-limited-to-double"),
        pytest.param("1000m", 6, 10, [], 10, id="up-limited-by-max-replicas"),
    ],
)
def test_hpa_stabilises_down_and_limits_up(cpu, replicas, most, window, expected):
    """Without spec.behavior: the highest recommendation of the last 300 s, then at
    most max(2 × current, 4) and within [minReplicas, maxReplicas]."""
    view = _hpa_view(cpu, replicas)
    autoscaler = view["HorizontalPodAutoscaler"][0]
    autoscaler["spec"]["maxReplicas"] = most
    assert _scaled_to(view, memory=_due(window)) == expected


def _conditions(view: dict, now: float = T0) -> tuple[list, list]:
    """The HPA's conditions after one sync, and the events it recorded."""
    events: list = []
    fakeapi.apply(view, _sync(view, now), now, events)
    status = view["HorizontalPodAutoscaler"][0]["status"]
    return [
        (c["type"], c["status"], c["reason"], c["message"])
        for c in status["conditions"]
    ], events


VALID = (
    "ScalingActive",
    "True",
    "ValidMetricFound",
    "the HPA was able to successfully calculate a replica count from cpu resource "
    "utilization (percentage of request)",
)
WITHIN = (
    "ScalingLimited",
    "False",
    "DesiredWithinRange",
    "the desired count is within the acceptable range",
)


@pytest.mark.parametrize(
    ("cpu", "replicas", "expected"),
    [
        pytest.param(
            "200m",
            2,
            [
                ("AbleToScale", "True", "SucceededRescale", "the HPA controller was able to update the target scale to 4"),
                VALID,
                WITHIN,
            ],
            id="rescaled",
        ),
        pytest.param(
            "105m",
            2,
            [
                ("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size"),
                VALID,
                WITHIN,
            ],
            id="steady",
        ),
        pytest.param(
            "0m",
            1,
            [
                ("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size"),
                VALID,
                ("ScalingLimited", "True", "TooFewReplicas", "the desired replica count is less than the minimum replica count"),
            ],
            id="idle-at-the-minimum",
        ),
    ],
)  # fmt: skip
def test_hpa_conditions_say_what_the_last_sync_did(cpu, replicas, expected):
    conditions, _ = _conditions(_hpa_view(cpu, replicas))
    assert conditions == expected


@pytest.mark.parametrize(
    ("break_it", "error"),
    [
        pytest.param(
            lambda view: view["Pod"][0]["spec"]["containers"][0].pop("resources"),
            "missing request for cpu in container nginx of Pod web-0",
            id="no-request",
        ),
        pytest.param(
            lambda view: view.update(PodMetrics=[]),
            "unable to get metrics for resource cpu: no metrics returned from "
            "resource metrics API",
            id="no-metrics-server-data",
        ),
    ],
)
def test_hpa_without_usable_metrics_reports_why_and_does_not_scale(break_it, error):
    view = _hpa_view("200m", 2)
    break_it(view)
    conditions, events = _conditions(view)
    failed = f"failed to get cpu utilization: {error}"
    assert conditions[1] == (
        "ScalingActive",
        "False",
        "FailedGetResourceMetric",
        f"the HPA was unable to compute the replica count: {failed}",
    )
    assert events == [
        ("FailedGetResourceMetric", failed),
        (
            "FailedComputeMetricsReplicas",
            "invalid metrics (1 invalid out of 1), first error is: failed to get cpu "
            f"resource metric value: {failed}",
        ),
    ]
    assert view["Deployment"][0]["spec"]["replicas"] == 2
    assert "currentMetrics" not in view["HorizontalPodAutoscaler"][0]["status"]
    # Evaluated all the same: the next try is a sync period later, not at once.
    _, memory = hpa.remembered(view, _due(), T0)
    assert hpa.next_wake(view, T0, memory) == T0 + 15


def _phase(view: dict, index: int, phase: str, now: float) -> None:
    for p in view["Pod"]:
        if job.pod_index(p) == index and p.get("status", {}).get("phase") in (
            None,
            "Pending",
        ):
            p["status"] = {
                "phase": phase,
                "containerStatuses": [
                    {"name": "c", "state": {"terminated": {"finishedAt": rfc3339(now)}}}
                ],
            }


def test_indexed_job_runs_each_index_once_and_retries_a_failed_index():
    """Pods `<job>-<index>-xxxxx` for the lowest free indexes; a failed index runs
    again after the back-off; completedIndexes lists the finished ones."""
    j = make_job(backoff_limit=3, completions=3, parallelism=2)
    j["spec"]["completionMode"] = "Indexed"
    view = {"Job": [j], "Pod": []}

    def sync(now):
        fakeapi.apply(view, job.sync(view, now, random.Random(int(now))), now)

    sync(T0)
    first = sorted(view["Pod"], key=job.pod_index)
    assert [job.pod_index(p) for p in first] == [0, 1]
    pod = first[1]
    assert P.name(pod).startswith("pi-1-") and len(P.name(pod)) == len("pi-1-") + 5
    assert pod["metadata"]["labels"][job.INDEX_KEY] == "1"
    assert pod["spec"]["hostname"] == "pi-1"
    assert pod["spec"]["containers"][0]["env"][-1] == {
        "name": "JOB_COMPLETION_INDEX",
        "valueFrom": {
            "fieldRef": {
                "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"
            }
        },
    }

    _phase(view, 0, "Succeeded", T0 + 5)
    _phase(view, 1, "Failed", T0 + 5)
    sync(T0 + 6)  # a failure holds every new pod back for 10 s, not just index 1's
    status = view["Job"][0]["status"]
    assert (status["completedIndexes"], status["succeeded"], status["failed"]) == (
        "0",
        1,
        1,
    )
    waiting = [job.pod_index(p) for p in view["Pod"] if not p.get("status")]
    assert waiting == []
    sync(T0 + 15)
    waiting = [job.pod_index(p) for p in view["Pod"] if not p.get("status")]
    assert sorted(waiting) == [1, 2]
    _phase(view, 1, "Succeeded", T0 + 20)
    _phase(view, 2, "Succeeded", T0 + 20)
    sync(T0 + 21)
    status = view["Job"][0]["status"]
    assert (status["completedIndexes"], status["succeeded"]) == ("0-2", 3)
    assert [c["type"] for c in status["conditions"]] == [
        "SuccessCriteriaMet",
        "Complete",
    ]


@pytest.mark.parametrize(
    ("indexes", "text"),
    [
        pytest.param(set(), "", id="none"),
        pytest.param({0, 1, 2, 4}, "0-2,4", id="runs"),
        pytest.param({3}, "3", id="one"),
        pytest.param({1, 2, 5, 6, 7}, "1-2,5-7", id="two-runs"),
    ],
)
def test_completed_indexes_round_trip_their_kubernetes_format(indexes, text):
    assert job.format_indexes(indexes) == text
    assert job.parse_indexes(text) == indexes


def test_suspending_a_job_deletes_its_pods_and_resuming_restarts_its_clock():
    j = make_job()
    j["spec"]["activeDeadlineSeconds"] = 100
    view = {"Job": [j], "Pod": []}
    events: list = []

    def sync(now):
        fakeapi.apply(view, job.sync(view, now, random.Random(int(now))), now, events)

    sync(T0)
    (pod,) = view["Pod"]
    view["Job"][0]["spec"]["suspend"] = True
    sync(T0 + 10)
    assert view["Pod"] == []
    status = view["Job"][0]["status"]
    assert [(c["type"], c["status"], c["reason"]) for c in status["conditions"]] == [
        ("Suspended", "True", "JobSuspended")
    ]
    sync(T0 + 500)  # long past the deadline: suspended time does not count
    assert "Failed" not in [c["type"] for c in view["Job"][0]["status"]["conditions"]]

    view["Job"][0]["spec"]["suspend"] = False
    sync(T0 + 510)
    status = view["Job"][0]["status"]
    assert [(c["type"], c["status"], c["reason"]) for c in status["conditions"]] == [
        ("Suspended", "False", "JobResumed")
    ]
    assert status["startTime"] == rfc3339(T0 + 510)
    assert len(view["Pod"]) == 1
    assert events == [  # manageJob's pod changes come before the condition's event
        ("SuccessfulCreate", f"Created pod: {P.name(pod)}"),
        ("SuccessfulDelete", f"Deleted pod: {P.name(pod)}"),
        ("Suspended", "Job suspended"),
        ("SuccessfulCreate", f"Created pod: {P.name(view['Pod'][0])}"),
        ("Resumed", "Job resumed"),
    ]
