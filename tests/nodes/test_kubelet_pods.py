"""The kubelet's pod state machine over the simulated clock."""

import pytest

from cluster.nodes import images, lifecycle, probes
from cluster.nodes import runtime as rt
from cluster.nodes.runtime import go_duration
from tests.nodes.nodekit import T0, Node, make_pod

NGINX = images.CATALOGUE["docker.io/library/nginx"]
BUSYBOX = images.CATALOGUE["docker.io/library/busybox"]


def started_node(pod):
    node = Node()
    node.step(T0)  # registers the Node
    node.add(pod)
    return node


def test_nginx_pod_pulls_creates_starts_and_becomes_ready():
    node = started_node(make_pod("web=nginx:1.27"))
    node.run_until(T0 + 30, start=T0 + 1)
    size = NGINX.size_of("1.27")
    pull = images.pull_seconds(size)
    at = 1 + lifecycle.SANDBOX_SECONDS
    assert node.events() == [
        (at, "Pulling", 'Pulling image "nginx:1.27"'),
        (
            round(at + pull, 3),
            "Pulled",
            f'Successfully pulled image "nginx:1.27" in {go_duration(pull)} ({go_duration(pull)} including waiting). Image size: {size} bytes.',
        ),
        (round(at + pull, 3), "Created", "Created container web"),
        (round(at + pull, 3), "Started", "Started container web"),
    ]
    status = node.pod()["status"]
    assert status["phase"] == "Running"
    assert [(c["type"], c["status"]) for c in status["conditions"]] == [
        ("PodReadyToStartContainers", "True"),
        ("Initialized", "True"),
        ("Ready", "True"),
        ("ContainersReady", "True"),
        ("PodScheduled", "True"),
    ]
    assert status["podIP"] == "10.244.1.2"
    assert status["hostIP"] == "192.168.49.3"
    assert status["qosClass"] == "BestEffort"
    cs = node.cstatus()
    assert cs["image"] == "docker.io/library/nginx:1.27"
    assert cs["imageID"].startswith("docker.io/library/nginx@sha256:")
    assert (
        cs["containerID"].startswith("containerd://")
        and len(cs["containerID"]) == 13 + 64
    )
    assert (cs["ready"], cs["started"], cs["restartCount"], cs["lastState"]) == (
        True,
        True,
        0,
        {},
    )


def test_second_pod_finds_the_image_already_present_and_gets_the_next_ip():
    node = started_node(make_pod("web=nginx:1.27"))
    node.run_until(T0 + 30, start=T0 + 1)
    node.add(make_pod("web=nginx:1.27", name="web2", uid="uid-2"))
    node.run_until(T0 + 60, start=T0 + 31)
    assert node.events(since=T0 + 31) == [
        (32.0, "Pulled", 'Container image "nginx:1.27" already present on machine'),
        (32.0, "Created", "Created container web"),
        (32.0, "Started", "Started container web"),
    ]
    assert node.pod("uid-2")["status"]["podIP"] == "10.244.1.3"


def test_busybox_without_command_crash_loops_with_doubling_back_off():
    """Restarts after 0, 10, 20, 40, 80, 160, 300, 300 s of back-off."""
    node = started_node(make_pod("box=busybox:1.36", policy="Always"))
    node.run_until(T0 + 1200, start=T0 + 1)
    backoffs = [m for _, r, m in node.events() if r == "BackOff"]
    assert len(backoffs) >= 7
    assert set(backoffs) == {
        "Back-off restarting failed container box in pod web_default(uid-1)"
    }
    waiting = []
    for _, a in node.log:
        if type(a).__name__ == "UpdateStatus" and a.obj["kind"] == "Pod":
            w = a.obj["status"]["containerStatuses"][0]["state"].get("waiting", {})
            if w.get("reason") == "CrashLoopBackOff" and "message" in w:
                waiting.append(w["message"].split(" ")[1])
    assert waiting[:7] == ["10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "5m0s"]
    assert node.cstatus()["lastState"]["terminated"]["reason"] == "Completed"


@pytest.mark.parametrize(
    ("entry", "event_time", "now", "expected"),
    [
        pytest.param(
            None, 100.0, 100.0, {"delay": 10.0, "last_update": 100.0}, id="first-exit"
        ),
        pytest.param(
            {"delay": 10.0, "last_update": 100.0},
            115.0,
            125.0,
            {"delay": 20.0, "last_update": 125.0},
            id="doubles",
        ),
        pytest.param(
            {"delay": 300.0, "last_update": 100.0},
            500.0,
            800.0,
            {"delay": 300.0, "last_update": 800.0},
            id="capped-at-5m",
        ),
        pytest.param(
            {"delay": 160.0, "last_update": 100.0},
            701.0,
            701.0,
            {"delay": 10.0, "last_update": 701.0},
            id="reset-after-10m-clean-run",
        ),
    ],
)
def test_crash_back_off_follows_client_go_backoff(entry, event_time, now, expected):
    assert lifecycle.next_backoff(entry, event_time, now) == expected


def test_unknown_tag_fails_with_err_image_pull_then_image_pull_back_off():
    node = started_node(make_pod("web=nginx:1.99"))
    node.run_until(T0 + 30, start=T0 + 1)
    err = images.NOT_FOUND_ERROR.format(ref="docker.io/library/nginx:1.99")
    assert node.events() == [
        (2.0, "Pulling", 'Pulling image "nginx:1.99"'),
        (2.4, "Failed", f'Failed to pull image "nginx:1.99": {err}'),
        (2.4, "Failed", "Error: ErrImagePull"),
        (3.4, "BackOff", 'Back-off pulling image "nginx:1.99"'),
        (3.4, "Failed", "Error: ImagePullBackOff"),
        (12.4, "Pulling", 'Pulling image "nginx:1.99"'),
        (12.8, "Failed", f'Failed to pull image "nginx:1.99": {err}'),
        (12.8, "Failed", "Error: ErrImagePull"),
        (13.8, "BackOff", 'Back-off pulling image "nginx:1.99"'),
        (13.8, "Failed", "Error: ImagePullBackOff"),
    ]
    assert node.cstatus()["state"] == {
        "waiting": {
            "reason": "ImagePullBackOff",
            "message": 'Back-off pulling image "nginx:1.99"',
        }
    }
    assert node.pod()["status"]["phase"] == "Pending"


def test_pull_policy_never_without_the_image_is_err_image_never_pull():
    node = started_node(
        make_pod({"name": "web", "image": "nginx:1.27", "imagePullPolicy": "Never"})
    )
    node.run_until(T0 + 5, start=T0 + 1)
    msg = 'Container image "nginx:1.27" is not present with pull policy of Never'
    assert node.events() == [
        (2.0, "ErrImageNeverPull", msg),
        (2.0, "Failed", "Error: ErrImageNeverPull"),
    ]
    assert node.cstatus()["state"] == {
        "waiting": {"reason": "ErrImageNeverPull", "message": msg}
    }


def test_failing_liveness_probe_kills_and_restarts_the_container():
    pod = make_pod(
        {
            "name": "web",
            "image": "nginx:1.27",
            "livenessProbe": {
                "httpGet": {"path": "/", "port": 80},
                "initialDelaySeconds": 5,
            },
        },
        annotations={probes.FAIL_PROBE_ANNOTATION: "liveness"},
    )
    node = started_node(pod)
    node.run_until(T0 + 40, start=T0 + 1)
    start = next(t for t, r, _ in node.events() if r == "Started")
    unhealthy = [
        (round(t - start, 3), m)
        for t, r, m in node.events()
        if r in ("Unhealthy", "Killing")
    ]
    failed = "Liveness probe failed: HTTP probe failed with statuscode: 500"
    assert unhealthy[:4] == [
        (5.0, failed),
        (15.0, failed),
        (25.0, failed),
        (25.0, "Container web failed liveness probe, will be restarted"),
    ]
    cs = node.cstatus()
    assert cs["restartCount"] == 1
    assert (
        cs["lastState"]["terminated"]["reason"] == "Completed"
    )  # nginx exits 0 on SIGTERM


def test_readiness_probe_failure_keeps_the_pod_unready_without_restarts():
    pod = make_pod(
        {
            "name": "web",
            "image": "nginx:1.27",
            "readinessProbe": {
                "httpGet": {"path": "/healthz", "port": 80},
                "periodSeconds": 5,
            },
        },
    )
    node = started_node(pod)
    node.run_until(T0 + 40, start=T0 + 1)
    assert {m for _, r, m in node.events() if r == "Unhealthy"} == {
        "Readiness probe failed: HTTP probe failed with statuscode: 404"
    }
    ready = next(c for c in node.pod()["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "False",
        "ContainersNotReady",
        "containers with unready status: [web]",
    )
    assert node.cstatus()["restartCount"] == 0


def test_exec_liveness_probe_of_the_docs_example_fails_after_the_file_is_removed():
    """busybox `touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600` with `cat /tmp/healthy`."""
    pod = make_pod(
        {
            "name": "liveness",
            "image": "registry.k8s.io/busybox",
            "args": [
                "/bin/sh",
                "-c",
                "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600",
            ],
            "livenessProbe": {
                "exec": {"command": ["cat", "/tmp/healthy"]},
                "initialDelaySeconds": 5,
                "periodSeconds": 5,
            },
        },
    )
    pod["spec"]["containers"][0]["image"] = "busybox:1.36"
    node = started_node(pod)
    node.run_until(T0 + 60, start=T0 + 1)
    start = next(t for t, r, _ in node.events() if r == "Started")
    failures = [
        (round(t - start, 3), r, m)
        for t, r, m in node.events()
        if r in ("Unhealthy", "Killing")
    ]
    msg = "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory"
    assert failures[:4] == [
        (35.0, "Unhealthy", msg),
        (40.0, "Unhealthy", msg),
        (45.0, "Unhealthy", msg),
        (
            45.0,
            "Killing",
            "Container liveness failed liveness probe, will be restarted",
        ),
    ]


def test_deleted_pod_is_stopped_within_its_grace_period_then_deleted_with_grace_zero():
    node = started_node(make_pod("web=nginx:1.27"))
    node.run_until(T0 + 30, start=T0 + 1)
    pod = node.pod()
    pod["metadata"]["deletionTimestamp"] = "2023-11-14T22:14:20Z"
    pod["metadata"]["deletionGracePeriodSeconds"] = 30
    node.run_until(T0 + 100, start=T0 + 40)
    assert node.events(since=T0 + 40) == [(40.0, "Killing", "Stopping container web")]
    deletes = [
        (round(t - T0, 3), a) for t, a in node.log if type(a).__name__ == "Delete"
    ]
    assert len(deletes) == 1
    t, delete = deletes[0]
    assert (t, delete.grace_period_seconds, delete.uid) == (
        40 + NGINX.shutdown,
        0,
        "uid-1",
    )
    assert node.deleted == ["web"]


def test_a_process_ignoring_sigterm_is_killed_at_the_end_of_the_grace_period():
    pod = make_pod(
        {"name": "app", "image": "busybox:1.36", "command": ["sleep", "3600"]},
        terminationGracePeriodSeconds=10,
    )
    node = started_node(pod)
    node.run_until(T0 + 30, start=T0 + 1)
    pod = node.pod()
    pod["metadata"]["deletionTimestamp"] = "2023-11-14T22:14:20Z"
    node.run_until(T0 + 100, start=T0 + 40)
    final = [
        a.obj["status"]["containerStatuses"][0]["state"]
        for t, a in node.log
        if type(a).__name__ == "UpdateStatus" and a.obj["kind"] == "Pod"
    ][-1]
    assert (final["terminated"]["exitCode"], final["terminated"]["reason"]) == (
        137,
        "Error",
    )
    assert [round(t - T0, 3) for t, a in node.log if type(a).__name__ == "Delete"] == [
        50.0
    ]


def test_memory_over_the_limit_is_oom_killed():
    pod = make_pod(
        {
            "name": "memory-demo-ctr",
            "image": "polinux/stress",
            "resources": {
                "limits": {"memory": "100Mi"},
                "requests": {"memory": "50Mi"},
            },
            "command": ["stress"],
            "args": ["--vm", "1", "--vm-bytes", "250M", "--vm-hang", "1"],
        },
    )
    node = started_node(pod)
    node.run_until(T0 + 15, start=T0 + 1)
    last = node.cstatus()["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (137, "OOMKilled")
    assert node.pod()["status"]["qosClass"] == "Burstable"


@pytest.mark.parametrize(
    ("policy", "command", "phase", "reason"),
    [
        pytest.param(
            "Never",
            ["sh", "-c", "echo done"],
            "Succeeded",
            "Completed",
            id="never-success",
        ),
        pytest.param(
            "Never", ["sh", "-c", "exit 3"], "Failed", "Error", id="never-failure"
        ),
        pytest.param(
            "OnFailure",
            ["sh", "-c", "echo done"],
            "Succeeded",
            "Completed",
            id="onfailure-success",
        ),
    ],
)
def test_run_to_completion_pods_reach_their_terminal_phase(
    policy, command, phase, reason
):
    node = started_node(
        make_pod(
            {"name": "job", "image": "busybox:1.36", "command": command}, policy=policy
        )
    )
    node.run_until(T0 + 30, start=T0 + 1)
    assert node.pod()["status"]["phase"] == phase
    assert node.cstatus()["state"]["terminated"]["reason"] == reason


def test_init_containers_run_one_at_a_time_before_the_app():
    init = [
        {"name": "init-a", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 5"]},
        {"name": "init-b", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 5"]},
    ]
    node = started_node(make_pod("web=nginx:1.27", init=init))
    node.run_until(T0 + 3, start=T0 + 1)
    assert node.cstatus()["state"] == {"waiting": {"reason": "PodInitializing"}}
    initialized = next(
        c for c in node.pod()["status"]["conditions"] if c["type"] == "Initialized"
    )
    assert (
        initialized["message"] == "containers with incomplete status: [init-a init-b]"
    )
    node.run_until(T0 + 40)
    started = [m for _, r, m in node.events() if r == "Started"]
    assert started == [
        "Started container init-a",
        "Started container init-b",
        "Started container web",
    ]
    assert node.pod()["status"]["phase"] == "Running"


def test_missing_configmap_volume_keeps_the_pod_creating_with_failed_mount():
    pod = make_pod(
        "web=nginx:1.27", volumes=[{"name": "cfg", "configMap": {"name": "app-config"}}]
    )
    node = started_node(pod)
    node.extra = {"objects": {}}
    node.run_until(T0 + 3, start=T0 + 1)
    assert node.events()[0] == (
        1.0,
        "FailedMount",
        'MountVolume.SetUp failed for volume "cfg" : configmap "app-config" not found',
    )
    assert node.cstatus()["state"] == {"waiting": {"reason": "ContainerCreating"}}


def test_missing_configmap_key_reference_is_a_create_container_config_error():
    env = [
        {
            "name": "MODE",
            "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "mode"}},
        }
    ]
    node = started_node(make_pod({"name": "web", "image": "nginx:1.27", "env": env}))
    node.extra = {"objects": {}}
    node.run_until(T0 + 10, start=T0 + 1)
    assert node.cstatus()["state"] == {
        "waiting": {
            "reason": "CreateContainerConfigError",
            "message": 'configmap "app-config" not found',
        }
    }
    assert ("Failed", 'Error: configmap "app-config" not found') in [
        (r, m) for _, r, m in node.events()
    ]


def _probe_events(node, start):
    return [
        (round(t - start, 3), r, m)
        for t, r, m in node.events()
        if r in ("Unhealthy", "Killing")
    ]


def test_a_failing_startup_probe_holds_off_liveness_then_kills_after_its_threshold():
    pod = make_pod(
        {
            "name": "web",
            "image": "nginx:1.27",
            "startupProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5},
            "livenessProbe": {"httpGet": {"path": "/", "port": 80}},
        },
        annotations={probes.FAIL_PROBE_ANNOTATION: "startup,liveness"},
    )
    node = started_node(pod)
    node.run_until(T0 + 25, start=T0 + 1)
    start = next(t for t, r, _ in node.events() if r == "Started")
    failed = "Startup probe failed: HTTP probe failed with statuscode: 500"
    killed = "Container web failed startup probe, will be restarted"
    # First attempt at once (no initial delay), every 5 s, killed on the 3rd failure;
    # the first restart is immediate, so the next round starts after nginx stops.
    stop = NGINX.shutdown
    assert _probe_events(node, start) == [
        (0.0, "Unhealthy", failed),
        (5.0, "Unhealthy", failed),
        (10.0, "Unhealthy", failed),
        (10.0, "Killing", killed),
        (round(10 + stop, 3), "Unhealthy", failed),
        (round(15 + stop, 3), "Unhealthy", failed),
        (round(20 + stop, 3), "Unhealthy", failed),
        (round(20 + stop, 3), "Killing", killed),
    ]
    cs = node.cstatus()
    assert (cs["started"], cs["ready"], cs["restartCount"]) == (False, False, 1)


def test_a_passing_startup_probe_marks_the_container_started_then_liveness_runs():
    pod = make_pod(
        {
            "name": "web",
            "image": "nginx:1.27",
            "startupProbe": {"httpGet": {"path": "/", "port": 80}},
            "livenessProbe": {
                "httpGet": {"path": "/", "port": 80},
                "initialDelaySeconds": 5,
                "periodSeconds": 5,
                "failureThreshold": 2,
            },
        },
        annotations={probes.FAIL_PROBE_ANNOTATION: "liveness"},
    )
    node = started_node(pod)
    node.run_until(T0 + 20, start=T0 + 1)
    start = next(t for t, r, _ in node.events() if r == "Started")
    failed = "Liveness probe failed: HTTP probe failed with statuscode: 500"
    assert _probe_events(node, start)[:3] == [
        (5.0, "Unhealthy", failed),
        (10.0, "Unhealthy", failed),
        (10.0, "Killing", "Container web failed liveness probe, will be restarted"),
    ]


def test_a_pod_past_its_active_deadline_fails_and_its_containers_are_stopped():
    node = started_node(make_pod("web=nginx:1.27", activeDeadlineSeconds=20))
    node.run_until(T0 + 40, start=T0 + 1)
    deadline = lifecycle.DEADLINE_MESSAGE
    assert [(t, r, m) for t, r, m in node.events() if r in ("DeadlineExceeded", "Killing")] == [
        (21.0, "DeadlineExceeded", deadline),  # 20 s after status.startTime
        (21.0, "Killing", "Stopping container web"),
    ]  # fmt: skip
    status = node.pod()["status"]
    assert (status["phase"], status["reason"], status["message"]) == (
        "Failed",
        "DeadlineExceeded",
        deadline,
    )
    assert node.cstatus()["state"]["terminated"]["reason"] == "Completed"
    assert node.cstatus()["restartCount"] == 0  # a failed pod is not restarted
    assert node.deleted == []  # the object stays, Failed, for its owner to see


@pytest.mark.parametrize(
    ("policy", "command", "init", "expected"),
    [
        pytest.param(
            "Never",
            ["sh", "-c", "echo done"],
            None,
            [
                ("PodReadyToStartContainers", "False", None),
                ("Initialized", "True", "PodCompleted"),
                ("Ready", "False", "PodCompleted"),
                ("ContainersReady", "False", "PodCompleted"),
                ("PodScheduled", "True", None),
            ],
            id="succeeded",
        ),
        pytest.param(
            "Never",
            ["sh", "-c", "exit 3"],
            None,
            [
                ("PodReadyToStartContainers", "False", None),
                ("Initialized", "True", None),
                ("Ready", "False", "ContainersNotReady"),
                ("ContainersReady", "False", "ContainersNotReady"),
                ("PodScheduled", "True", None),
            ],
            id="failed",
        ),
        pytest.param(
            "Never",
            ["sleep", "3600"],
            [{"name": "setup", "image": "busybox:1.36", "command": ["false"]}],
            [
                ("PodReadyToStartContainers", "False", None),
                ("Initialized", "False", "ContainersNotInitialized"),
                ("Ready", "False", "ContainersNotReady"),
                ("ContainersReady", "False", "ContainersNotReady"),
                ("PodScheduled", "True", None),
            ],
            id="init-failed",
        ),
    ],
)
def test_a_finished_pod_shows_its_sandbox_gone_and_why_it_is_not_ready(
    policy, command, init, expected
):
    pod = make_pod(
        {"name": "job", "image": "busybox:1.36", "command": command},
        policy=policy,
        init=init,
    )
    node = started_node(pod)
    node.run_until(T0 + 30, start=T0 + 1)
    conditions = node.pod()["status"]["conditions"]
    assert [(c["type"], c["status"], c.get("reason")) for c in conditions] == expected


@pytest.mark.parametrize(
    ("container", "grace", "stopped_after", "code"),
    [
        pytest.param({}, 30, NGINX.shutdown, 0, id="no-hook"),
        pytest.param(
            {"preStop": {"exec": {"command": ["/bin/sh", "-c", "sleep 10"]}}},
            30,
            10 + 0.1 + NGINX.shutdown,  # the hook's shell exits just after its sleep
            0,
            id="hook-then-sigterm",
        ),
        pytest.param(
            {"preStop": {"sleep": {"seconds": 5}}},
            30,
            5 + NGINX.shutdown,
            0,
            id="sleep-action",
        ),
        pytest.param(
            {"preStop": {"exec": {"command": ["sleep", "60"]}}},
            30,
            30 + NGINX.shutdown,
            0,
            id="hook-cut-at-grace-then-sigterm-still-gets-its-time",
        ),
        pytest.param(
            {"preStop": {"exec": {"command": ["nginx", "-s", "quit"]}}},
            30,
            0.1 + NGINX.shutdown,
            0,
            id="server-stop-command",
        ),
    ],
)
def test_a_pre_stop_hook_runs_before_sigterm_within_the_grace_period(
    container, grace, stopped_after, code
):
    spec = {"name": "web", "image": "nginx:1.27"}
    if container:
        spec["lifecycle"] = container
    node = started_node(make_pod(spec, terminationGracePeriodSeconds=grace))
    node.run_until(T0 + 30, start=T0 + 1)
    node.pod()["metadata"]["deletionTimestamp"] = "2023-11-14T22:14:20Z"
    node.run_until(T0 + 140, start=T0 + 40)
    deletes = [round(t - T0, 3) for t, a in node.log if type(a).__name__ == "Delete"]
    assert deletes == [round(40 + stopped_after, 3)]
    assert _last_state(node)["terminated"]["exitCode"] == code


def test_sigterm_gets_at_least_two_seconds_after_a_hook_that_used_the_grace():
    spec = {
        "name": "app",
        "image": "busybox:1.36",
        "command": ["sleep", "3600"],  # PID 1 ignores SIGTERM
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", "60"]}}},
    }
    node = started_node(make_pod(spec, terminationGracePeriodSeconds=10))
    node.run_until(T0 + 30, start=T0 + 1)
    node.pod()["metadata"]["deletionTimestamp"] = "2023-11-14T22:14:20Z"
    node.run_until(T0 + 100, start=T0 + 40)
    assert [round(t - T0, 3) for t, a in node.log if type(a).__name__ == "Delete"] == [
        52.0
    ]
    assert _last_state(node)["terminated"]["exitCode"] == 137


def _last_state(node) -> dict:
    """The container state the kubelet posted last, before it deleted the pod."""
    return [
        a.obj["status"]["containerStatuses"][0]["state"]
        for _, a in node.log
        if type(a).__name__ == "UpdateStatus" and a.obj["kind"] == "Pod"
    ][-1]


def test_containers_start_in_order_each_pulled_created_and_started_before_the_next():
    side = {"name": "side", "image": "busybox:1.36", "command": ["sleep", "3600"]}
    node = started_node(make_pod("web=nginx:1.27", side))
    node.run_until(T0 + 30, start=T0 + 1)
    assert [(r, m.split(" ")[-1]) for _, r, m in node.events()] == [
        ("Pulling", '"nginx:1.27"'),
        ("Pulled", "bytes."),
        ("Created", "web"),
        ("Started", "web"),
        ("Pulling", '"busybox:1.36"'),
        ("Pulled", "bytes."),
        ("Created", "side"),
        ("Started", "side"),
    ]
    times = [t for t, _, _ in node.events()]
    assert times == sorted(times)


def _rebooted(node: Node, at: float) -> None:
    """The machine loses power and boots again at `at`: its kubelet restarts with what
    the disk kept."""
    node.state = rt.after_reboot(node.state, at)


def test_after_a_reboot_init_containers_run_again_in_a_new_sandbox():
    init = [
        {"name": "init", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 2"]}
    ]
    node = started_node(make_pod("web=nginx:1.27", init=init))
    node.run_until(T0 + 40, start=T0 + 1)
    ip = node.pod()["status"]["podIP"]
    _rebooted(node, T0 + 100)
    node.run_until(T0 + 130, start=T0 + 100)

    after = [(r, m) for t, r, m in node.events() if t >= 100]
    assert after[0] == ("SandboxChanged", lifecycle.SANDBOX_CHANGED)
    assert [m for r, m in after if r == "Started"] == [
        "Started container init",
        "Started container web",
    ]
    status = node.pod()["status"]
    assert status["phase"] == "Running"
    assert status["podIP"] != ip
    (init_status,) = status["initContainerStatuses"]
    assert init_status["restartCount"] == 1
    assert init_status["lastState"]["terminated"]["exitCode"] == 0
    web = node.cstatus()
    assert web["restartCount"] == 1
    assert web["lastState"]["terminated"]["exitCode"] == rt.REBOOT_EXIT_CODE
    assert web["lastState"]["terminated"]["reason"] == rt.REBOOT_REASON


def test_after_a_reboot_a_pod_that_never_restarts_fails_without_a_new_sandbox():
    pod = make_pod(
        {"name": "job", "image": "busybox:1.36", "command": ["sleep", "3600"]},
        policy="Never",
    )
    node = started_node(pod)
    node.run_until(T0 + 30, start=T0 + 1)
    _rebooted(node, T0 + 100)
    node.run_until(T0 + 130, start=T0 + 100)

    assert [r for t, r, _ in node.events() if t >= 100] == []
    assert node.pod()["status"]["phase"] == "Failed"
    terminated = node.cstatus()["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (255, "Unknown")
    assert node.cstatus()["restartCount"] == 0
