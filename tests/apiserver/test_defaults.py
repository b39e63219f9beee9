"""Defaulting: the fields kube-apiserver fills in on decode and create."""

import copy

import pytest

from cluster.apiserver.defaults import apply_defaults, image_pull_policy, qos_class


def _defaulted(obj: dict) -> dict:
    obj = copy.deepcopy(obj)
    apply_defaults(obj)
    return obj


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        pytest.param("nginx", "Always", id="no-tag"),
        pytest.param("nginx:latest", "Always", id="latest"),
        pytest.param("nginx:1.27", "IfNotPresent", id="tag"),
        pytest.param("localhost:5000/nginx", "Always", id="registry-port-no-tag"),
        pytest.param("nginx@sha256:abc", "IfNotPresent", id="digest"),
        pytest.param("nginx:latest@sha256:abc", "Always", id="latest-and-digest"),
    ],
)
def test_image_pull_policy_follows_the_tag(image, policy):
    """`Always` for latest or no tag, `IfNotPresent` otherwise (digest included)."""
    assert image_pull_policy(image) == policy


def test_pod_gets_every_spec_and_container_default():
    """A bare pod is filled like kube-apiserver fills it."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": "nginx",
                    "ports": [{"containerPort": 80}],
                    "resources": {"limits": {"cpu": "1"}},
                    "livenessProbe": {"httpGet": {"port": 80}},
                    "env": [
                        {
                            "name": "N",
                            "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}},
                        }
                    ],
                }
            ],
            "volumes": [{"name": "a"}, {"name": "s", "secret": {"secretName": "x"}}],
        },
        "status": {"phase": "Pending"},
    }
    assert _defaulted(pod)["spec"] == {
        "containers": [
            {
                "name": "c",
                "image": "nginx",
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}},
                "livenessProbe": {
                    "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
                    "timeoutSeconds": 1,
                    "periodSeconds": 10,
                    "successThreshold": 1,
                    "failureThreshold": 3,
                },
                "env": [
                    {
                        "name": "N",
                        "valueFrom": {
                            "fieldRef": {
                                "fieldPath": "metadata.name",
                                "apiVersion": "v1",
                            }
                        },
                    }
                ],
                "imagePullPolicy": "Always",
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
            }
        ],
        "volumes": [
            {"name": "a", "emptyDir": {}},
            {"name": "s", "secret": {"secretName": "x", "defaultMode": 420}},
        ],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "securityContext": {},
        "schedulerName": "default-scheduler",
        "enableServiceLinks": True,
    }


def test_defaults_are_idempotent():
    """Applying defaults twice changes nothing more."""
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x:1"}]}}},
    }
    once = _defaulted(deployment)
    assert _defaulted(once) == once


def test_deployment_defaults_and_its_template_is_a_pod_spec():
    """replicas 1, RollingUpdate 25%/25%, history 10, deadline 600, template defaulted."""
    spec = _defaulted(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "spec": {
                "template": {"spec": {"containers": [{"name": "c", "image": "x:1"}]}}
            },
        }
    )["spec"]
    assert {k: v for k, v in spec.items() if k != "template"} == {
        "replicas": 1,
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
        },
        "revisionHistoryLimit": 10,
        "progressDeadlineSeconds": 600,
    }
    assert (
        spec["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    )
    assert spec["template"]["spec"]["restartPolicy"] == "Always"


def test_recreate_deployment_gets_no_rolling_update():
    """Only RollingUpdate strategies get rollingUpdate parameters."""
    spec = _defaulted(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "spec": {"strategy": {"type": "Recreate"}},
        }
    )["spec"]
    assert spec["strategy"] == {"type": "Recreate"}


@pytest.mark.parametrize(
    ("kind", "api_version", "expected"),
    [
        pytest.param("ReplicaSet", "apps/v1", {"replicas": 1}, id="replicaset"),
        pytest.param(
            "StatefulSet",
            "apps/v1",
            {
                "podManagementPolicy": "OrderedReady",
                "updateStrategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"partition": 0},
                },
                "replicas": 1,
                "revisionHistoryLimit": 10,
                "persistentVolumeClaimRetentionPolicy": {
                    "whenDeleted": "Retain",
                    "whenScaled": "Retain",
                },
            },
            id="statefulset",
        ),
        pytest.param(
            "DaemonSet",
            "apps/v1",
            {
                "updateStrategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
                },
                "revisionHistoryLimit": 10,
            },
            id="daemonset",
        ),
        pytest.param(
            "Job",
            "batch/v1",
            {
                "completions": 1,
                "parallelism": 1,
                "backoffLimit": 6,
                "completionMode": "NonIndexed",
                "suspend": False,
                "podReplacementPolicy": "TerminatingOrFailed",
            },
            id="job",
        ),
        pytest.param(
            "CronJob",
            "batch/v1",
            {
                "concurrencyPolicy": "Allow",
                "suspend": False,
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 1,
            },
            id="cronjob",
        ),
        pytest.param(
            "PersistentVolumeClaim", "v1", {"volumeMode": "Filesystem"}, id="pvc"
        ),
        pytest.param(
            "PersistentVolume",
            "v1",
            {"persistentVolumeReclaimPolicy": "Retain", "volumeMode": "Filesystem"},
            id="pv",
        ),
    ],
)
def test_workload_and_storage_spec_defaults(kind, api_version, expected):
    """Each kind's spec defaults, from apps/v1, batch/v1 and core/v1 defaults.go."""
    assert (
        _defaulted(
            {"apiVersion": api_version, "kind": kind, "metadata": {}, "spec": {}}
        )["spec"]
        == expected
    )


def test_job_with_only_parallelism_keeps_completions_unset():
    """completions is defaulted only when parallelism is unset too."""
    spec = _defaulted(
        {"apiVersion": "batch/v1", "kind": "Job", "spec": {"parallelism": 3}}
    )["spec"]
    assert "completions" not in spec and spec["parallelism"] == 3


def test_job_gets_generated_selector_and_labels_once_it_has_a_uid():
    """The Job strategy selects its pods by controller-uid and copies the labels up."""
    job = _defaulted(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "pi", "uid": "u1"},
            "spec": {"template": {"spec": {}}},
        }
    )
    labels = {
        "batch.kubernetes.io/controller-uid": "u1",
        "controller-uid": "u1",
        "batch.kubernetes.io/job-name": "pi",
        "job-name": "pi",
    }
    assert job["spec"]["selector"] == {
        "matchLabels": {"batch.kubernetes.io/controller-uid": "u1"}
    }
    assert job["spec"]["template"]["metadata"]["labels"] == labels
    assert job["metadata"]["labels"] == labels


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param(
            {"ports": [{"port": 80}]},
            {
                "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
                "type": "ClusterIP",
                "sessionAffinity": "None",
                "internalTrafficPolicy": "Cluster",
                "ipFamilyPolicy": "SingleStack",
                "ipFamilies": ["IPv4"],
            },
            id="clusterip",
        ),
        pytest.param(
            {
                "type": "LoadBalancer",
                "ports": [{"port": 80, "targetPort": "http"}],
                "sessionAffinity": "ClientIP",
            },
            {
                "type": "LoadBalancer",
                "ports": [{"port": 80, "targetPort": "http", "protocol": "TCP"}],
                "sessionAffinity": "ClientIP",
                "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
                "externalTrafficPolicy": "Cluster",
                "internalTrafficPolicy": "Cluster",
                "allocateLoadBalancerNodePorts": True,
                "ipFamilyPolicy": "SingleStack",
                "ipFamilies": ["IPv4"],
            },
            id="loadbalancer",
        ),
        pytest.param(
            {"type": "ExternalName", "externalName": "example.com"},
            {
                "type": "ExternalName",
                "externalName": "example.com",
                "sessionAffinity": "None",
            },
            id="externalname",
        ),
    ],
)
def test_service_defaults_depend_on_the_type(spec, expected):
    """Protocol, targetPort, traffic policies and IP families per Service type."""
    assert (
        _defaulted({"apiVersion": "v1", "kind": "Service", "spec": spec})["spec"]
        == expected
    )


def test_namespace_gets_name_label_finalizer_and_phase():
    """kubernetes.io/metadata.name, spec.finalizers [kubernetes], phase Active."""
    ns = _defaulted(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}}
    )
    assert ns == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "dev", "labels": {"kubernetes.io/metadata.name": "dev"}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def test_secret_defaults_to_opaque_and_folds_string_data():
    """type Opaque; stringData is merged into data as base64."""
    secret = _defaulted(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "stringData": {"pw": "hi"},
            "data": {"a": "Yg=="},
        }
    )
    assert secret == {
        "apiVersion": "v1",
        "kind": "Secret",
        "data": {"a": "Yg==", "pw": "aGk="},
        "type": "Opaque",
    }


@pytest.mark.parametrize(
    ("containers", "qos"),
    [
        pytest.param([{}], "BestEffort", id="best-effort"),
        pytest.param(
            [{"resources": {"requests": {"cpu": "1"}}}], "Burstable", id="burstable"
        ),
        pytest.param(
            [
                {
                    "resources": {
                        "limits": {"cpu": "1", "memory": "1Gi"},
                        "requests": {"cpu": "1000m", "memory": "1Gi"},
                    }
                }
            ],
            "Guaranteed",
            id="guaranteed",
        ),
    ],
)
def test_qos_class_from_requests_and_limits(containers, qos):
    """Guaranteed needs equal cpu and memory requests and limits everywhere."""
    assert qos_class({"containers": containers}) == qos
