"""kubectl exec's simulated shell, pod logs, usage metrics and the image catalogue."""

import random

import pytest

from cluster.nodes import exec_shell, images, logs, runtime, usage
from cluster.simtime import rfc3339
from tests.nodes.netkit import pod, service, slice_for, view
from tests.nodes.nodekit import T0, Node, make_pod


def _ctx(image="nginx:1.27", **spec):
    p = pod("web-1", "10.244.1.5", "worker-1", image=image)
    p["spec"]["containers"][0].update(spec)
    p["status"]["containerStatuses"][0]["state"] = {
        "running": {"startedAt": rfc3339(T0)}
    }
    old = service("db", "10.96.50.5", port=5432, target=5432)
    old["metadata"]["creationTimestamp"] = rfc3339(T0 - 60)
    new = service("cache", "10.96.50.6", port=6379, target=6379)
    new["metadata"]["creationTimestamp"] = rfc3339(T0 + 60)
    kube = service("kubernetes", "10.96.0.1", port=443, target=6443)
    kube["metadata"]["creationTimestamp"] = rfc3339(T0 - 3600)
    v = view([p], [kube, old, new], [slice_for(old, [])])
    objects = {
        "configmap/default/app-config": {
            "mode": "prod",
            "app.properties": "color=blue\n",
        },
        "secret/default/creds": {"password": "s3cret"},
    }
    return exec_shell.ExecContext(
        pod=p,
        container="app",
        view=v,
        now=T0 + 120,
        rng=random.Random(1),
        objects=objects,
    )


def test_env_lists_pod_env_service_links_and_image_env():
    ctx = _ctx(
        env=[
            {
                "name": "MODE",
                "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "mode"}},
            },
            {
                "name": "PASSWORD",
                "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}},
            },
            {
                "name": "POD_IP",
                "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}},
            },
        ]
    )
    out = exec_shell.run(ctx, ["env"])
    env = dict(line.split("=", 1) for line in out.stdout.splitlines())
    assert out.exit_code == 0
    assert (env["HOSTNAME"], env["MODE"], env["PASSWORD"], env["POD_IP"]) == (
        "web-1",
        "prod",
        "s3cret",
        "10.244.1.5",
    )
    assert (env["KUBERNETES_SERVICE_HOST"], env["KUBERNETES_SERVICE_PORT"]) == (
        "10.96.0.1",
        "443",
    )
    assert env["DB_PORT_5432_TCP"] == "tcp://10.96.50.5:5432"
    assert "CACHE_SERVICE_HOST" not in env  # created after the container started
    assert env["NGINX_VERSION"] == "1.27.3"


def test_cat_reads_resolv_conf_mounted_configmaps_and_the_service_account():
    ctx = _ctx(volumeMounts=[{"name": "cfg", "mountPath": "/etc/app"}])
    ctx.pod["spec"]["volumes"] = [{"name": "cfg", "configMap": {"name": "app-config"}}]
    assert (
        exec_shell.run(ctx, ["cat", "/etc/resolv.conf"]).stdout
        == "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"
    )
    assert (
        exec_shell.run(ctx, ["cat", "/etc/app/app.properties"]).stdout == "color=blue\n"
    )
    assert exec_shell.run(ctx, ["ls", "/etc/app"]).stdout == "app.properties\nmode\n"
    assert (
        exec_shell.run(ctx, ["cat", f"{exec_shell.SA_DIR}/namespace"]).stdout
        == "default"
    )
    missing = exec_shell.run(ctx, ["cat", "/nope"])
    assert (missing.stderr, missing.exit_code) == (
        "cat: /nope: No such file or directory\n",
        1,
    )


def test_a_binary_missing_from_the_image_fails_like_containerd():
    result = exec_shell.run(_ctx(), ["ps"])
    assert result.exit_code == 1
    assert result.error.startswith(
        'Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "'
    )
    assert result.error.endswith(
        'OCI runtime exec failed: exec failed: unable to start container process: exec: "ps": executable file not found in $PATH: unknown'
    )
    assert result.status()["reason"] == "InternalError"


def test_unknown_command_inside_sh_is_exit_127():
    result = exec_shell.run(_ctx(image="busybox:1.36"), ["sh", "-c", "foo"])
    assert (result.stderr, result.exit_code) == ("sh: foo: not found\n", 127)
    assert result.status()["details"] == {
        "causes": [{"reason": "ExitCode", "message": "127"}]
    }


def test_curl_and_nslookup_go_through_dns_and_the_proxy():
    ctx = _ctx()
    assert (
        exec_shell.run(ctx, ["curl", "-s", "db:5432"]).exit_code == 7
    )  # no endpoints: REJECT
    assert (
        exec_shell.run(ctx, ["curl", "-s", "db"]).exit_code == 28
    )  # no rule for port 80
    assert (
        exec_shell.run(ctx, ["curl", "http://nope"]).stderr
        == "curl: (6) Could not resolve host: nope\n"
    )
    box = _ctx(image="busybox:1.36")
    look = exec_shell.run(box, ["nslookup", "db"])
    assert "Name:\tdb.default.svc.cluster.local\nAddress: 10.96.50.5\n" in look.stdout
    assert (
        exec_shell.run(box, ["wget", "-qO-", "http://nope"]).stderr
        == "wget: bad address 'nope'\n"
    )


def _running_bootcamp():
    node = Node()
    node.step(T0)
    node.add(make_pod("app=gcr.io/google-samples/kubernetes-bootcamp:v1", name="boot"))
    node.run_until(T0 + 20, start=T0 + 1)
    return node


def test_logs_show_the_apps_startup_and_each_served_request():
    node = _running_bootcamp()
    start = node.state["pods"]["uid-1"]["containers"]["app"]["started_at"]
    for i in range(3):
        runtime.record_request(
            node.state,
            "uid-1",
            "app",
            {
                "at": start + 10 + i,
                "method": "GET",
                "path": "/",
                "status": 200,
                "client": "10.244.0.1",
            },
        )
    text = logs.pod_logs(node.pod(), node.state, "app", now=start + 30)
    lines = text.splitlines()
    assert lines[0].startswith("Kubernetes Bootcamp App Started At: ") and lines[
        0
    ].endswith("| Running On:  boot ")
    assert lines[-1].startswith(
        "Running On: boot | Total Requests: 3 | App Uptime: 12 seconds | Log Time: "
    )
    tail = logs.pod_logs(
        node.pod(), node.state, "app", now=start + 30, tail_lines=1, timestamps=True
    )
    assert tail.startswith(
        logs.rfc3339_nano(start + 12) + " Running On: boot | Total Requests: 3"
    )
    assert tail.count("\n") == 1


def test_previous_logs_without_a_restart_are_a_bad_request():
    node = _running_bootcamp()
    with pytest.raises(
        logs.LogsError,
        match='previous terminated container "app" in pod "boot" not found',
    ):
        logs.pod_logs(node.pod(), node.state, "app", now=T0 + 30, previous=True)


def test_logs_of_a_waiting_container_say_it_is_waiting():
    node = Node()
    node.step(T0)
    node.add(make_pod("app=nginx:1.99"))
    node.run_until(T0 + 5, start=T0 + 1)
    with pytest.raises(
        logs.LogsError,
        match='container "app" in pod "web" is waiting to start: ImagePullBackOff',
    ):
        logs.pod_logs(node.pod(), node.state, "app", now=T0 + 5)


def test_pod_metrics_report_usage_in_the_metrics_api_shape():
    node = _running_bootcamp()
    metrics = usage.pod_metrics(node.pod(), node.state, T0 + 30)
    assert metrics["window"] == usage.WINDOW
    assert metrics["containers"] == [
        {"name": "app", "usage": {"cpu": "1000000n", "memory": f"{9 * 1024}Ki"}}
    ]
    assert (
        usage.node_metrics("worker-1", [node.pod()], node.state, T0 + 30)["kind"]
        == "NodeMetrics"
    )


@pytest.mark.parametrize(
    ("image", "full"),
    [
        pytest.param("nginx", "docker.io/library/nginx:latest", id="official"),
        pytest.param("myuser/myapp:1.0", "docker.io/myuser/myapp:1.0", id="user-repo"),
        pytest.param(
            "registry.k8s.io/pause:3.10",
            "registry.k8s.io/pause:3.10",
            id="other-registry",
        ),
        pytest.param(
            "localhost:5000/app", "localhost:5000/app:latest", id="registry-with-port"
        ),
    ],
)
def test_image_names_normalise_like_docker(image, full):
    assert images.normalize(image).full == full


@pytest.mark.parametrize(
    ("image", "error"),
    [
        pytest.param("nginx:1.27", "", id="known-tag"),
        pytest.param("myuser/myapp:1.0", "", id="student-image"),
        pytest.param(
            "nginx:1.99",
            images.NOT_FOUND_ERROR.format(ref="docker.io/library/nginx:1.99"),
            id="unknown-tag",
        ),
        pytest.param(
            "nginix:1.14.2",
            images.ACCESS_DENIED_ERROR.format(ref="docker.io/library/nginix:1.14.2"),
            id="typo-repo",
        ),
        pytest.param(
            "myregistry.local/app:1",
            'rpc error: code = Unknown desc = failed to pull and unpack image "myregistry.local/app:1": failed to resolve reference "myregistry.local/app:1": failed to do request: Head "https://myregistry.local/v2/app/manifests/1": dial tcp: lookup myregistry.local on 127.0.0.53:53: no such host',
            id="unknown-host",
        ),
    ],
)
def test_pulls_answer_like_a_registry(image, error):
    assert images.pull(images.normalize(image)).error == error


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(0.0, "0s", id="zero"),
        pytest.param(0.512, "512ms", id="ms"),
        pytest.param(1.5, "1.5s", id="s"),
        pytest.param(80, "1m20s", id="minute"),
        pytest.param(300, "5m0s", id="five-min"),
    ],
)
def test_durations_print_like_go(seconds, text):
    assert runtime.go_duration(seconds) == text


@pytest.mark.parametrize(
    ("ref", "version"),
    [
        ("nginx:1.28", "1.28.0"),
        ("nginx:1.26.2-alpine", "1.26.2"),
        ("nginx:1.27", "1.27.3"),  # the catalogue's own line keeps its patch release
        ("nginx", "1.27.3"),
        ("nginx:alpine", "1.27.3"),
        ("redis:7.2", "7.2.0"),
        ("httpd:2.4.58", "2.4.58"),
    ],
)
def test_an_image_runs_the_release_its_tag_names(ref, version):
    image = images.lookup(images.normalize(ref))
    assert image.version == version
    if image.repo.endswith("/nginx"):
        assert ("NGINX_VERSION", version) in image.env


@pytest.mark.parametrize(
    ("args", "stderr", "code"),
    [
        (["-v"], "nginx version: nginx/1.28.0\n", 0),
        (
            ["-t"],
            "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"
            "nginx: configuration file /etc/nginx/nginx.conf test is successful\n",
            0,
        ),
        (["-s", "reload"], "2023/11/14 22:15:20 [notice] 38#38: signal process started\n", 0),
        (["-s", "restart"], 'nginx: invalid option: "-s restart"\n', 1),
        (["-x"], 'nginx: invalid option: "-x"\n', 1),
    ],
)  # fmt: skip
def test_nginx_by_hand_in_an_nginx_container(args, stderr, code):
    out = exec_shell.run(_ctx(image="nginx:1.28"), ["nginx", *args])
    assert (out.stderr, out.stdout, out.exit_code) == (stderr, "", code)


def test_a_second_nginx_cannot_bind_the_port_the_first_holds():
    out = exec_shell.run(_ctx(image="nginx:1.28"), ["nginx"])
    lines = out.stderr.splitlines()
    assert out.exit_code == 1
    assert len(lines) == 11
    assert lines[0] == (
        "nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)"
    )
    assert lines[-1] == "nginx: [emerg] still could not bind()"


def test_the_server_header_and_the_startup_log_name_the_tags_release():
    from cluster.nodes import responses

    headers = dict(responses.response_headers("nginx", 200, "x", T0, "1.28"))
    assert headers["Server"] == "nginx/1.28.0"
    image = images.lookup(images.normalize("nginx:1.28"))
    lines = [
        text for _, text in logs.startup_lines(image, make_pod("w=nginx:1.28"), T0)
    ]
    assert any(text.endswith("[notice] 1#1: nginx/1.28.0") for text in lines)
