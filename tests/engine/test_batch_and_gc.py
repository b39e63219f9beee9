"""Jobs, CronJobs, the garbage collector, the HPA and a stopped controller manager,
through the engine on a paused simulated clock that the tests move by hand.
"""

from __future__ import annotations

import pytest

from cluster import kinds, operations
from cluster.simtime import parse_rfc3339, rfc3339
from tests.engine.kit import (
    DEPLOYMENT,
    POD,
    REPLICASET,
    api,
    autoscaler,
    component,
    deployment,
    events_about,
    live,
    nodes,
    now,
    paused_cluster,
    phases,
    pods,
    ready,
    scale,
    settle,
    step_until,
)

pytestmark = pytest.mark.django_db

JOB = kinds.by_kind("Job")
CRONJOB = kinds.by_kind("CronJob")
HPA = kinds.by_kind("HorizontalPodAutoscaler")
BACKOFF_LIMIT_EXCEEDED = "Job has reached the specified backoff limit"


def shell(name: str, script: str) -> dict:
    """A busybox container running `sh -c <script>`."""
    return {"name": name, "image": "busybox:1.36", "command": ["sh", "-c", script]}


def job_spec(script: str, **spec) -> dict:
    return {
        **spec,
        "template": {
            "spec": {"restartPolicy": "Never", "containers": [shell("task", script)]}
        },
    }


def condition(obj: dict, type_: str) -> dict | None:
    found = [
        c for c in obj.get("status", {}).get("conditions", []) if c["type"] == type_
    ]
    return found[0] if found else None


def test_a_failing_job_backs_off_then_fails_after_backoff_limit_plus_one_pods():
    cluster = paused_cluster()
    api(cluster).create(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "flaky"},
            "spec": job_spec("exit 1", backoffLimit=2),
        }
    )

    def failed():
        job = api(cluster).get(JOB, "default", "flaky")
        return job if condition(job, "Failed") else None

    job = step_until(cluster, failed)
    ran = sorted(
        pods(cluster, label="batch.kubernetes.io/job-name=flaky"),
        key=lambda p: p["metadata"]["creationTimestamp"],
    )
    assert len(ran) == 3  # backoffLimit + 1
    assert phases(ran) == ["Failed"] * 3
    for pod in ran:
        (terminated,) = [
            c["state"]["terminated"] for c in pod["status"]["containerStatuses"]
        ]
        assert (terminated["exitCode"], terminated["reason"]) == (1, "Error")
    # Each retry waits out the back-off after the last failure: 10 s, then 20 s.
    finished = [
        parse_rfc3339(
            p["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"]
        )
        for p in ran
    ]
    created = [parse_rfc3339(p["metadata"]["creationTimestamp"]) for p in ran]
    assert 10 <= created[1] - finished[0] <= 11
    assert 20 <= created[2] - finished[1] <= 21
    assert job["status"]["failed"] == 3
    assert "active" not in job["status"]
    for type_ in ("FailureTarget", "Failed"):
        c = condition(job, type_)
        assert (c["status"], c["reason"], c["message"]) == (
            "True",
            "BackoffLimitExceeded",
            BACKOFF_LIMIT_EXCEEDED,
        )
    assert events_about(cluster, "flaky") == [
        ("SuccessfulCreate", f"Created pod: {ran[0]['metadata']['name']}"),
        ("SuccessfulCreate", f"Created pod: {ran[1]['metadata']['name']}"),
        ("SuccessfulCreate", f"Created pod: {ran[2]['metadata']['name']}"),
        ("BackoffLimitExceeded", BACKOFF_LIMIT_EXCEEDED),
    ]


def test_an_indexed_job_runs_one_pod_per_index_and_lists_them_completed():
    cluster = paused_cluster()
    api(cluster).create(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "shard"},
            "spec": job_spec(
                "sleep 2", completions=3, parallelism=3, completionMode="Indexed"
            ),
        }
    )

    def complete():
        job = api(cluster).get(JOB, "default", "shard")
        return job if condition(job, "Complete") else None

    job = step_until(cluster, complete)
    assert (job["status"]["completedIndexes"], job["status"]["succeeded"]) == ("0-2", 3)
    ran = pods(cluster, label="batch.kubernetes.io/job-name=shard")
    by_index = {
        p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]: p
        for p in ran
    }
    assert sorted(by_index) == ["0", "1", "2"]
    for index, pod in by_index.items():
        assert pod["metadata"]["name"].startswith(f"shard-{index}-")
        assert pod["spec"]["hostname"] == f"shard-{index}"
    assert phases(ran) == ["Succeeded"] * 3


def cronjob(name: str, script: str, **spec) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name},
        "spec": {
            "schedule": "*/10 * * * *",
            **spec,
            "jobTemplate": {"spec": job_spec(script)},
        },
    }


def test_cronjobs_over_a_simulated_hour_keep_their_history_and_concurrency_policy():
    cluster = paused_cluster()
    # Start 30 s after a ten-minute mark: the hour then holds exactly six runs.
    operations.fast_forward(cluster, 630 - now(cluster) % 600)
    mark = round(now(cluster)) - 30
    assert mark % 600 == 0
    runs = [mark + 600 * k for k in range(1, 7)]
    api(cluster).create(cronjob("backup", "echo done"))
    # Each report outlasts the next slot; late by more than 200 s, a slot is skipped.
    api(cluster).create(
        cronjob(
            "report",
            "sleep 900",
            concurrencyPolicy="Forbid",
            startingDeadlineSeconds=200,
        )
    )
    operations.fast_forward(cluster, 3600)

    # Allow: one Job per slot, named after the scheduled minute since the epoch.
    names = [f"backup-{int(t) // 60}" for t in runs]
    backup = events_about(cluster, "backup")
    assert [m for r, m in backup if r == "SuccessfulCreate"] == [
        f"Created job {n}" for n in names
    ]
    assert [m for r, m in backup if r == "SawCompletedJob"] == [
        f"Saw completed job: {n}, status: Complete" for n in names
    ]
    # successfulJobsHistoryLimit 3: the older ones go, and their pods with them.
    assert [m for r, m in backup if r == "SuccessfulDelete"] == [
        f"Deleted job {n}" for n in names[:3]
    ]
    jobs = {j["metadata"]["name"]: j for j in api(cluster).list(JOB, "default").items}
    assert sorted(n for n in jobs if n.startswith("backup-")) == names[3:]
    assert all(condition(jobs[n], "Complete") for n in names[3:])
    ran = {p["metadata"]["labels"]["job-name"] for p in live(pods(cluster))}
    assert {n for n in ran if n.startswith("backup-")} == set(names[3:])
    status = api(cluster).get(CRONJOB, "default", "backup")["status"]
    assert status["lastScheduleTime"] == rfc3339(runs[-1])
    assert "active" not in status

    # Forbid: a slot that comes while the last report still runs is skipped.
    started = [f"report-{int(t) // 60}" for t in runs[0::2]]
    report = events_about(cluster, "report")
    assert [m for r, m in report if r == "SuccessfulCreate"] == [
        f"Created job {n}" for n in started
    ]
    skipped = [
        e
        for e in api(cluster).list(kinds.by_kind("Event"), "default").items
        if e["reason"] == "JobAlreadyActive"
    ]
    assert [(e["involvedObject"]["name"], e["count"]) for e in skipped] == [
        ("report", 3)
    ]
    assert skipped[0]["message"] == (
        "Not starting job because prior execution is running and concurrency "
        "policy is Forbid"
    )
    status = api(cluster).get(CRONJOB, "default", "report")["status"]
    assert [a["name"] for a in status["active"]] == started[-1:]


def sleeper_deployment(name: str, replicas: int) -> dict:
    """Pods whose shell ignores SIGTERM: each takes its 30 s grace period to go."""
    d = deployment(name, replicas, image="busybox:1.36")
    d["spec"]["template"]["spec"]["containers"] = [shell(name, "sleep infinity")]
    return d


def keys(cluster, kind) -> list[str]:
    return sorted(
        o["metadata"]["name"] for o in api(cluster).list(kind, "default").items
    )


def test_background_deletion_removes_the_owner_at_once_then_its_dependents():
    cluster = paused_cluster()
    api(cluster).create(sleeper_deployment("web", 2))
    operations.fast_forward(cluster, 30)
    assert len(keys(cluster, REPLICASET)) == 1

    api(cluster).delete(DEPLOYMENT, "default", "web", propagation="Background")
    assert keys(cluster, DEPLOYMENT) == []
    settle(cluster)
    # The collector deleted the orphaned ReplicaSet, then its pods.
    assert keys(cluster, REPLICASET) == []
    going = pods(cluster, label="app=web")
    assert len(going) == 2
    assert all(p["metadata"].get("deletionTimestamp") for p in going)
    operations.fast_forward(cluster, 35)
    assert pods(cluster, label="app=web") == []


def test_foreground_deletion_keeps_the_owner_until_its_dependents_are_gone():
    cluster = paused_cluster()
    api(cluster).create(sleeper_deployment("web", 2))
    operations.fast_forward(cluster, 30)
    (rs,) = api(cluster).list(REPLICASET, "default").items
    (owner,) = rs["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["controller"], owner["blockOwnerDeletion"]) == (
        "Deployment",
        True,
        True,
    )

    api(cluster).delete(DEPLOYMENT, "default", "web", propagation="Foreground")
    settle(cluster)
    # Both owners wait, marked for deletion, while the pods take their grace period.
    for kind in (DEPLOYMENT, REPLICASET):
        (obj,) = api(cluster).list(kind, "default").items
        assert obj["metadata"]["deletionTimestamp"]
        assert obj["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert all(p["metadata"].get("deletionTimestamp") for p in pods(cluster))
    operations.fast_forward(cluster, 20)
    assert (keys(cluster, DEPLOYMENT), len(keys(cluster, REPLICASET))) == (["web"], 1)
    assert len(pods(cluster, label="app=web")) == 2
    operations.fast_forward(cluster, 20)
    assert pods(cluster, label="app=web") == []
    assert keys(cluster, REPLICASET) == []
    assert keys(cluster, DEPLOYMENT) == []


def test_orphan_deletion_strips_the_owner_reference_and_leaves_dependents_running():
    cluster = paused_cluster()
    api(cluster).create(sleeper_deployment("web", 2))
    operations.fast_forward(cluster, 30)
    (rs,) = keys(cluster, REPLICASET)
    running = keys(cluster, POD)

    api(cluster).delete(DEPLOYMENT, "default", "web", propagation="Orphan")
    web = api(cluster).get(DEPLOYMENT, "default", "web")
    assert web["metadata"]["finalizers"] == ["orphan"]
    settle(cluster)
    assert keys(cluster, DEPLOYMENT) == []
    # One level only: the ReplicaSet loses its owner, its pods keep theirs.
    orphan = api(cluster).get(REPLICASET, "default", rs)
    assert "ownerReferences" not in orphan["metadata"]
    assert {p["metadata"]["ownerReferences"][0]["name"] for p in pods(cluster)} == {rs}

    api(cluster).delete(REPLICASET, "default", rs, propagation="Orphan")
    settle(cluster)
    assert keys(cluster, REPLICASET) == []
    operations.fast_forward(cluster, 60)
    # Nobody deletes or replaces them: the same two pods run on, owned by nothing.
    left = pods(cluster, label="app=web")
    assert sorted(p["metadata"]["name"] for p in left) == running
    assert phases(left) == ["Running", "Running"]
    assert all("ownerReferences" not in p["metadata"] for p in left)
    assert all(not p["metadata"].get("deletionTimestamp") for p in left)


def test_a_stopped_controller_manager_reconciles_nothing_until_it_runs_again():
    cluster = paused_cluster()
    api(cluster).create(deployment("web", 2))
    operations.fast_forward(cluster, 60)
    manager = component(cluster, "control-plane", "kube-controller-manager")
    operations.set_component_state(manager, "stopped")
    scale(cluster, DEPLOYMENT, "web", 4)
    api(cluster).delete(
        POD, "default", pods(cluster, label="app=web")[0]["metadata"]["name"]
    )
    settle(cluster, 5)
    operations.set_component_state(component(cluster, "worker2", "kubelet"), "stopped")
    operations.fast_forward(cluster, 120)
    # The scale is not observed, the deleted pod not replaced, the silent node not marked.
    web = api(cluster).get(DEPLOYMENT, "default", "web")
    assert web["metadata"]["generation"] == 2
    assert web["status"]["observedGeneration"] == 1
    (rs,) = keys(cluster, REPLICASET)
    assert api(cluster).get(REPLICASET, "default", rs)["spec"]["replicas"] == 2
    assert len(pods(cluster, label="app=web")) == 1
    assert ready(nodes(cluster)["worker2"]) == "True"

    operations.set_component_state(manager, "running")
    settle(cluster)
    web = api(cluster).get(DEPLOYMENT, "default", "web")
    assert web["status"]["observedGeneration"] == 2
    assert api(cluster).get(REPLICASET, "default", rs)["spec"]["replicas"] == 4
    assert len(pods(cluster, label="app=web")) == 4
    # Its node monitor first sees worker2 now and gives it the whole 50 s grace period.
    operations.fast_forward(cluster, 44)
    assert ready(nodes(cluster)["worker2"]) == "True"
    operations.fast_forward(cluster, 10)
    assert ready(nodes(cluster)["worker2"]) == "Unknown"
    # 300 s later the pods placed on the dead node are evicted and replaced on worker1.
    operations.fast_forward(cluster, 330)
    running = live(pods(cluster, label="app=web"))
    assert phases(running) == ["Running"] * 4
    assert {p["spec"]["nodeName"] for p in running} == {"worker1"}


def stressed_deployment() -> dict:
    """One pod burning a whole CPU, held at its 500m limit: 100% of its 500m request."""
    d = deployment("web", 1, image="polinux/stress:1.0.4")
    (container,) = d["spec"]["template"]["spec"]["containers"]
    container["args"] = ["--cpu", "1"]
    container["resources"] = {"requests": {"cpu": "500m"}, "limits": {"cpu": "500m"}}
    return d


def test_an_hpa_doubles_a_loaded_deployment_then_waits_out_the_window_to_shrink_it():
    cluster = paused_cluster()
    api(cluster).create(stressed_deployment())
    operations.fast_forward(cluster, 30)
    api(cluster).create(autoscaler("web", 50, 10))

    sizes = [1]
    evaluated = {"version": "", "high": now(cluster)}

    def watch() -> int:
        """Note each new size, and when the HPA last found the load at or near target."""
        replicas = api(cluster).get(DEPLOYMENT, "default", "web")["spec"]["replicas"]
        if replicas != sizes[-1]:
            sizes.append(replicas)
        autoscaler = api(cluster).get(HPA, "default", "web")
        version = autoscaler["metadata"]["resourceVersion"]
        metric = (autoscaler.get("status", {}).get("currentMetrics") or [{}])[0]
        used = metric.get("resource", {}).get("current", {}).get("averageUtilization")
        # Each evaluation rewrites the HPA; one at 45 % or more recommends 10 again.
        if version != evaluated["version"] and used is not None and used >= 45:
            evaluated["high"] = now(cluster)
        evaluated["version"] = version
        return replicas

    step_until(cluster, lambda: watch() == 10, max_steps=40)
    # ceil(replicas × 100% / 50%) each time, up to maxReplicas.
    assert sizes == [1, 2, 4, 8, 10]
    assert [m for r, m in events_about(cluster, "web") if r == "SuccessfulRescale"] == [
        f"New size: {n}; reason: cpu resource utilization (percentage of request) "
        "above target"
        for n in (2, 4, 8, 10)
    ]

    # The load stops: the pods are rolled to an idle image.
    def idle(live_object):
        live_object["spec"]["template"]["spec"]["containers"] = [
            {
                "name": "web",
                "image": "nginx:1.27",
                "resources": {"requests": {"cpu": "500m"}},
            }
        ]
        return live_object

    api(cluster).patch(DEPLOYMENT, "default", "web", idle)
    step_until(cluster, lambda: watch() < 10, max_steps=120)
    # The highest recommendation of the last 300 s held it at 10 until the last one
    # made under load left the window (evaluations come every 15 s).
    assert 300 <= now(cluster) - evaluated["high"] <= 316
    step_until(cluster, lambda: watch() == 1, max_steps=100)
    rescaled = [m for r, m in events_about(cluster, "web") if r == "SuccessfulRescale"]
    assert rescaled[-1] == "New size: 1; reason: All metrics below target"


def _replicas(cluster, name: str = "web") -> int:
    return api(cluster).get(DEPLOYMENT, "default", name)["spec"]["replicas"]


def test_an_hpa_scales_a_deployment_a_load_generator_hits_through_its_service():
    """The HPA walkthrough: a busybox pod loops `wget` against the Service; the HPA
    scales the Deployment up, and back down 5 minutes after the generator is deleted."""
    cluster = paused_cluster()
    web = deployment("web", 1)
    web["spec"]["template"]["spec"]["containers"][0]["resources"] = {
        "requests": {"cpu": "200m"}
    }
    api(cluster).create(web)
    api(cluster).create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
        }
    )
    api(cluster).create(autoscaler("web", 50, 10))
    operations.fast_forward(cluster, 60)
    assert _replicas(cluster) == 1  # an idle nginx

    api(cluster).create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "load-generator"},
            "spec": {
                "containers": [
                    {
                        "name": "load-generator",
                        "image": "busybox:1.28",
                        "command": [
                            "/bin/sh",
                            "-c",
                            "while sleep 0.01; do wget -q -O- http://web; done",
                        ],
                    }
                ]
            },
        }
    )
    operations.fast_forward(cluster, 120)
    # 50 requests/s at 5m of CPU each on one 200m pod: 125% against a 50% target.
    assert _replicas(cluster) == 3
    assert (
        "SuccessfulRescale",
        "New size: 3; reason: cpu resource utilization "
        "(percentage of request) above target",
    ) in events_about(cluster, "web")

    api(cluster).delete(POD, "default", "load-generator")
    operations.fast_forward(cluster, 240)
    assert _replicas(cluster) == 3  # the 5-minute scale-down stabilization window
    operations.fast_forward(cluster, 120)
    assert _replicas(cluster) == 1
