"""Images the Kubernetes tutorials use: in the catalogue, with their behaviour."""

import pytest
from django.test import Client

from cluster import operations
from cluster.k8sapi import auth
from cluster.nodes import images, pi_digits, runtime
from tests.engine.kit import api, new_cluster, pods

PI_2000_TAIL = "04780275901"  # digits 1990-2000 of pi, the last one rounded up


@pytest.mark.parametrize(
    "ref",
    [
        "registry.k8s.io/nginx-slim:0.24",
        "registry.k8s.io/nginx-slim:0.21",
        "registry.k8s.io/nginx-slim:0.27",
        "k8s.gcr.io/nginx-slim:0.8",
        "perl:5.34.0",
        "perl:5.34",
        "registry.k8s.io/e2e-test-images/agnhost:2.39",
        "registry.k8s.io/echoserver:1.4",
    ],
)
def test_tutorial_images_pull(ref):
    assert images.pull(images.normalize(ref)).ok


@pytest.mark.parametrize(
    ("ref", "served"),
    [
        # Releases up to late 2026 that course material uses...
        ("nginx:1.28", True),
        ("nginx:1.29.3-alpine", True),
        ("redis:8.2", True),
        ("postgres:18", True),
        ("mysql:9.5", True),
        ("python:3.14-slim", True),
        ("node:24-alpine", True),
        ("alpine:3.22", True),
        ("perl:5.42", True),
        # ...and tags no registry serves.
        ("nginx:1.99", False),
        ("redis:9.0", False),
        ("postgres:19", False),
        ("python:3.15", False),
    ],
)
def test_current_releases_pull_and_unreleased_ones_are_not_found(ref, served):
    assert images.pull(images.normalize(ref)).ok is served


def test_an_unknown_nginx_slim_tag_is_not_found():
    ref = images.normalize("registry.k8s.io/nginx-slim:0.99")
    assert images.pull(ref).error == images.NOT_FOUND_ERROR.format(ref=ref.full)


def test_nginx_slim_serves_nginx_on_port_80():
    image = images.lookup_name("registry.k8s.io/nginx-slim:0.24")
    assert (image.port, image.body, image.logs) == (80, "nginx", "nginx")
    prog = runtime.program({"name": "nginx"}, image)
    assert prog.duration is None and prog.listens


def test_the_pi_job_prints_2000_digits_and_succeeds():
    job = {
        "name": "pi",
        "image": "perl:5.34.0",
        "command": ["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"],
    }
    prog = runtime.program(job, images.lookup_name(job["image"]))
    [(at, line)] = prog.output
    assert (prog.exit_code, prog.listens) == (0, False)
    assert at == prog.duration
    assert line.startswith("3.14159265358979323846264338327950288419716939937510")
    assert len(line) == 2001 and line.endswith(PI_2000_TAIL)


@pytest.mark.parametrize(
    ("digits", "text"),
    [(1, "3"), (3, "3.14"), (5, "3.1416"), (10, "3.141592654")],
)
def test_pi_rounds_to_the_digits_asked_for(digits, text):
    assert pi_digits.pi(digits) == text


def test_pi_refuses_an_absurd_precision():
    with pytest.raises(ValueError):
        pi_digits.pi(pi_digits.MAX_DIGITS + 1)


PI_JOB = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "pi"},
    "spec": {
        "backoffLimit": 4,
        "template": {
            "spec": {
                "restartPolicy": "Never",
                "containers": [
                    {
                        "name": "pi",
                        "image": "perl:5.34.0",
                        "command": ["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"],
                    }
                ],
            }
        },
    },
}


@pytest.mark.django_db
def test_the_pi_job_completes_and_its_log_holds_pi():
    cluster = new_cluster()
    api(cluster).create(PI_JOB)
    operations.fast_forward(cluster, 120)
    [pod] = pods(cluster, label="job-name=pi")
    token = auth.token_for(cluster, cluster.owner)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(
        f"/k8s/clusters/{cluster.slug}/api/v1/namespaces/default/pods/"
        f"{pod['metadata']['name']}/log"
    )
    assert pod["status"]["phase"] == "Succeeded"
    assert response.content.decode() == pi_digits.pi(2000) + "\n"
