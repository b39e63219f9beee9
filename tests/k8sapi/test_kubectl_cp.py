"""Real kubectl against a live lab: `kubectl cp` both ways, exit codes of `sh -c`,
and a container command that expands its env."""

from __future__ import annotations

import pytest

from . import live

pytestmark = pytest.mark.e2e

COLOR_POD = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: colors}
data: {color: blue}
---
apiVersion: v1
kind: Pod
metadata: {name: painter}
spec:
  containers:
  - name: main
    image: busybox:1.36
    command: ["sh", "-c", "echo $COLOR $(GREETING) '$$(GREETING)'; sleep 3600"]
    env:
    - name: COLOR
      valueFrom: {configMapKeyRef: {name: colors, key: color}}
    - name: GREETING
      value: hello
"""


@pytest.fixture(scope="module")
def kubectl(live_lab, kubectl_path):
    run = live.kubectl_runner(live_lab, kubectl_path)
    run("run", "cp-web", "--image=nginx:1.27")
    run("run", "cp-pause", "--image=registry.k8s.io/pause:3.10")
    for pod in ("cp-web", "cp-pause"):
        assert live.eventually(
            lambda pod=pod: " Running " in run("get", "pod", pod).stdout, timeout=90
        )
    return run


def test_sh_c_exit_code_reaches_kubectl(kubectl):
    done = kubectl("exec", "cp-web", "--", "sh", "-c", "exit 3", check=False)
    assert done.returncode == 3
    assert "command terminated with exit code 3" in done.stderr


def test_cp_from_a_pod_untars_the_file(kubectl, tmp_path):
    target = tmp_path / "hostname"
    done = kubectl("cp", "cp-web:/etc/hostname", str(target))
    assert target.read_text() == "cp-web\n"
    # kubectl passes tar's stderr on to its own stdout, when the frame reaches it
    # before the stream closes (it races the archive, as against a real node).
    assert done.stdout in ("", "tar: Removing leading `/' from member names\n")


def test_cp_into_a_pod_is_read_back_by_a_later_exec(kubectl, tmp_path):
    source = tmp_path / "notes.txt"
    source.write_text("written by kubectl cp\n")
    kubectl("cp", str(source), "cp-web:/tmp/notes.txt")
    kubectl("cp", str(source), "cp-web:/tmp")  # into a directory: keeps the name
    listing = kubectl("exec", "cp-web", "--", "ls", "/tmp").stdout
    assert listing == "notes.txt\n"
    read = kubectl("exec", "cp-web", "--", "cat", "/tmp/notes.txt").stdout
    assert read == "written by kubectl cp\n"


def test_cp_from_an_image_without_tar_prints_the_runtime_error(kubectl, tmp_path):
    done = kubectl("cp", "cp-pause:/etc/hostname", str(tmp_path / "x"), check=False)
    assert done.returncode == 1
    assert 'exec: "tar": executable file not found in $PATH' in done.stderr


def test_container_command_expands_env_from_a_configmap(kubectl, tmp_path):
    manifest = tmp_path / "painter.yaml"
    manifest.write_text(COLOR_POD)
    kubectl("apply", "-f", str(manifest))
    assert live.eventually(
        lambda: " Running " in kubectl("get", "pod", "painter").stdout, timeout=90
    )
    assert kubectl("logs", "painter").stdout == "blue hello $(GREETING)\n"
