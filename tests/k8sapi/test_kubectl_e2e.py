"""Real kubectl against a live lab served by daphne over TLS (see live.py)."""

from __future__ import annotations

import re
import subprocess
import time

import pytest

from . import live

pytestmark = pytest.mark.e2e

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello-apply
  labels: {app: hello-apply}
spec:
  replicas: REPLICAS
  selector: {matchLabels: {app: hello-apply}}
  template:
    metadata: {labels: {app: hello-apply}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
"""


@pytest.fixture(scope="module")
def lab(live_lab, kubectl_path):
    return live_lab


def test_version_and_discovery(kubectl):
    assert "Server Version: v1.32.4" in kubectl("version").stdout
    resources = kubectl("api-resources").stdout
    assert re.search(
        r"^deployments +deploy +apps/v1 +true +Deployment$", resources, re.M
    )
    assert re.search(r"^pods +po +v1 +true +Pod$", resources, re.M)


@pytest.mark.parametrize(
    ("args", "header"),
    [
        (("get", "ns"), r"^NAME +STATUS +AGE$"),
        (("get", "nodes"), r"^NAME +STATUS +ROLES +AGE +VERSION$"),
        (("get", "svc"), r"^NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE$"),
        (("get", "pods", "-A"), r"^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE$"),
    ],
)
def test_get_prints_real_tables(kubectl, args, header):
    out = kubectl(*args).stdout
    assert re.search(header, out.splitlines()[0]), out


def test_typed_create_label_scale_and_delete(kubectl):
    assert kubectl("create", "deployment", "web", "--image=nginx").stdout == (
        "deployment.apps/web created\n"
    )
    assert kubectl("label", "deploy", "web", "tier=front").stdout == (
        "deployment.apps/web labeled\n"
    )
    assert "web" in kubectl("get", "deploy", "-l", "tier=front", "-o", "name").stdout
    assert kubectl("scale", "deploy/web", "--replicas=3").stdout == (
        "deployment.apps/web scaled\n"
    )
    assert (
        kubectl("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}").stdout == "3"
    )
    assert (
        kubectl("delete", "deploy", "web").stdout == 'deployment.apps "web" deleted\n'
    )
    gone = kubectl("get", "deploy", "web", check=False)
    assert (
        'Error from server (NotFound): deployments.apps "web" not found' in gone.stderr
    )


def test_apply_creates_then_is_unchanged_then_configures(kubectl, lab):
    path = lab.directory / "hello.yaml"
    path.write_text(MANIFEST.replace("REPLICAS", "1"))
    assert kubectl("apply", "-f", str(path)).stdout.strip() == (
        "deployment.apps/hello-apply created"
    )
    assert kubectl("apply", "-f", str(path)).stdout.strip() == (
        "deployment.apps/hello-apply unchanged"
    )
    path.write_text(MANIFEST.replace("REPLICAS", "2"))
    assert kubectl("apply", "-f", str(path)).stdout.strip() == (
        "deployment.apps/hello-apply configured"
    )
    kubectl("scale", "deploy/hello-apply", "--replicas=4")
    conflict = kubectl("apply", "--server-side", "-f", str(path), check=False)
    assert conflict.returncode == 1
    assert (
        'error: Apply failed with 1 conflict: conflict with "kubectl-client-side-apply"'
        " using apps/v1: .spec.replicas"
    ) in conflict.stderr
    forced = kubectl("apply", "--server-side", "--force-conflicts", "-f", str(path))
    assert forced.stdout.strip() == "deployment.apps/hello-apply serverside-applied"


def test_get_watch_streams_changes(kubectl, lab, kubectl_path):
    kubectl("create", "configmap", "watched", "--from-literal=a=1")
    env = live.kubectl_env(lab, lab.kubeconfig("alice-lab"))
    watcher = subprocess.Popen(
        [kubectl_path, "get", "configmaps", "-w", "--request-timeout=8s"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2)
        kubectl("label", "configmap", "watched", "changed=yes")
        out, _ = watcher.communicate(timeout=20)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    rows = [line for line in out.splitlines() if line.startswith("watched")]
    assert len(rows) >= 2, out  # the listed row, then the MODIFIED one


def test_pods_run_and_answer_logs_exec_and_top(kubectl):
    kubectl("create", "deployment", "busy", "--image=nginx")
    assert live.eventually(
        lambda: " 1/1 " in kubectl("get", "deploy", "busy").stdout, timeout=60
    )
    assert "Configuration complete" in kubectl("logs", "deploy/busy").stdout
    env = kubectl("exec", "deploy/busy", "--", "env").stdout
    assert "KUBERNETES_SERVICE_HOST=10.96.0.1" in env
    failed = kubectl("exec", "deploy/busy", "--", "ls", "/nope", check=False)
    assert failed.returncode == 2
    assert re.search(r"^NAME +CPU\(cores\)", kubectl("top", "nodes").stdout)
    forward = kubectl("port-forward", "deploy/busy", "18080:80", check=False)
    assert forward.returncode == 1
    assert "port-forward is not simulated" in forward.stderr


def test_auth_answers(kubectl):
    assert kubectl("auth", "can-i", "create", "deployments").stdout.strip() == "yes"
    whoami = kubectl("auth", "whoami").stdout
    assert re.search(r"^Username +alice$", whoami, re.M)


def test_a_wrong_token_is_unauthorized(kubectl, lab):
    good = lab.kubeconfig("alice-lab")
    path = good.with_name("wrong-token.kubeconfig")  # the other tests keep the good one
    path.write_text(re.sub(r"token: \S+", "token: kl1.1.1.bad", good.read_text()))
    done = kubectl("get", "pods", check=False, env_=live.kubectl_env(lab, path))
    assert done.returncode == 1
    assert "error: You must be logged in to the server (Unauthorized)" in done.stderr


def test_another_students_cluster_is_forbidden(kubectl, lab):
    path = lab.kubeconfig("bob-lab", user="alice")
    done = kubectl("get", "pods", check=False, env_=live.kubectl_env(lab, path))
    assert done.returncode == 1
    assert "Error from server (Forbidden)" in done.stderr


def test_raw_health_endpoints_answer_for_the_token_cluster(kubectl):
    # A raw path replaces the kubeconfig's /k8s/clusters/<slug> prefix: the root answers.
    assert kubectl("get", "--raw", "/readyz").stdout.strip() == "ok"
    verbose = kubectl("get", "--raw", "/livez?verbose").stdout
    assert "[+]etcd ok" in verbose and "livez check passed" in verbose
