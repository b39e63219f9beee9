"""The kubelet's pod state machine over the simulated clock."""

import pytest

from cluster.nodes import images, lifecycle, probes
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
