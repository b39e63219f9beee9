"""Deployment, ReplicaSet, StatefulSet, DaemonSet, Job and CronJob validation."""

import copy

import pytest

from cluster.apiserver import errors, validation
from cluster.apiserver.errors import Cause
from tests.apiserver.validation_fixtures import defaulted, deployment

MISMATCH = "`selector` does not match template `labels`"


def test_defaulted_deployment_is_valid():
    """A deployment whose selector matches its template is valid."""
    assert validation.validate(deployment()) == []


@pytest.mark.parametrize(
    ("obj", "causes"),
    [
        pytest.param(
            deployment(labels={"app": "x"}),
            [
                Cause(
                    "spec.template.metadata.labels",
                    f'Invalid value: map[string]string{{"app":"x"}}: {MISMATCH}',
                    "FieldValueInvalid",
                )
            ],
            id="selector-mismatch",
        ),
        pytest.param(
            deployment(replicas=-1),
            [
                Cause(
                    "spec.replicas",
                    "Invalid value: -1: must be greater than or equal to 0",
                    "FieldValueInvalid",
                )
            ],
            id="negative-replicas",
        ),
        pytest.param(
            deployment(selector={}),
            [
                Cause(
                    "spec.selector",
                    "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
                    "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
                    "FieldValueInvalid",
                )
            ],
            id="empty-selector",
        ),
        pytest.param(
            deployment(
                strategy={
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0},
                }
            ),
            [
                Cause(
                    "spec.strategy.rollingUpdate.maxUnavailable",
                    "Invalid value: 0: may not be 0 when `maxSurge` is 0",
                    "FieldValueInvalid",
                )
            ],
            id="both-zero",
        ),
        pytest.param(
            deployment(strategy={"type": "Recreate", "rollingUpdate": {}}),
            [
                Cause(
                    "spec.strategy.rollingUpdate",
                    "Forbidden: may not be specified when strategy `type` is 'Recreate'",
                    "FieldValueForbidden",
                )
            ],
            id="recreate-with-rolling",
        ),
    ],
)
def test_deployment_rules(obj, causes):
    """Each broken Deployment field yields the exact Kubernetes cause."""
    assert validation.validate(obj) == causes


def test_missing_selector_gives_the_documented_aggregate_message():
    """No selector: Required plus a template mismatch, as kubectl shows it."""
    obj = deployment(labels={"app": "x"})
    del obj["spec"]["selector"]
    exc = errors.invalid("Deployment", "web", validation.validate(obj), "apps")
    assert exc.message == (
        'Deployment.apps "web" is invalid: [spec.selector: Required value, '
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: '
        "`selector` does not match template `labels`]"
    )


def test_template_restart_policy_must_be_always():
    """Deployments run pods that always restart."""
    obj = deployment()
    obj["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert validation.validate(obj) == [
        Cause(
            "spec.template.spec.restartPolicy",
            'Unsupported value: "Never": supported values: "Always"',
            "FieldValueNotSupported",
        )
    ]


def test_deployment_selector_is_immutable():
    """apps/v1 forbids changing spec.selector after creation."""
    old = deployment()
    new = deployment(
        labels={"app": "web", "v": "2"},
        selector={"matchLabels": {"app": "web", "v": "2"}},
    )
    assert validation.validate(new, old) == [
        Cause(
            "spec.selector",
            'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "v":"2"}, '
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable",
            "FieldValueInvalid",
        )
    ]


def _workload(kind: str, **spec) -> dict:
    base = {
        "selector": {"matchLabels": {"app": "db"}},
        "template": {
            "metadata": {"labels": {"app": "db"}},
            "spec": {"containers": [{"name": "db", "image": "pg:16"}]},
        },
    }
    base.update(spec)
    return defaulted(
        {
            "apiVersion": "apps/v1",
            "kind": kind,
            "metadata": {"name": "db", "namespace": "default"},
            "spec": base,
        }
    )


@pytest.mark.parametrize("kind", ["ReplicaSet", "StatefulSet", "DaemonSet"])
def test_defaulted_apps_workloads_are_valid(kind):
    """Matching selector and template: no errors."""
    assert validation.validate(_workload(kind)) == []


def test_statefulset_containers_may_mount_their_volume_claim_templates():
    """A mount naming a volumeClaimTemplate is valid: each pod gets that claim."""
    sts = _workload("StatefulSet", serviceName="web")
    sts["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = [
        {"name": "www", "mountPath": "/usr/share/nginx/html"}
    ]
    sts["spec"]["volumeClaimTemplates"] = [
        {
            "metadata": {"name": "www"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        }
    ]
    assert validation.validate(sts) == []
    sts["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["name"] = "x"
    assert [c.field for c in validation.validate(sts)] == [
        "spec.template.spec.containers[0].volumeMounts[0].name"
    ]


def test_statefulset_update_of_other_fields_is_forbidden():
    """Only replicas, template, updateStrategy and a few more may change."""
    old = _workload("StatefulSet", serviceName="db")
    new = copy.deepcopy(old)
    new["spec"]["serviceName"] = "other"
    assert validation.validate(new, old) == [
        Cause(
            "spec",
            "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
            "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            "FieldValueForbidden",
        )
    ]


def _job(**spec) -> dict:
    base = {
        "template": {
            "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "pi", "image": "perl:5"}],
            }
        }
    }
    base.update(spec)
    return defaulted(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "pi", "namespace": "default", "uid": "u1"},
            "spec": base,
        }
    )


def test_job_with_generated_selector_is_valid():
    """The generated controller-uid selector matches the template."""
    assert validation.validate(_job()) == []


def test_job_restart_policy_must_be_on_failure_or_never():
    """Job pods never restart Always."""
    job = _job()
    job["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    assert validation.validate(job) == [
        Cause(
            "spec.template.spec.restartPolicy",
            'Unsupported value: "Always": supported values: "OnFailure", "Never"',
            "FieldValueNotSupported",
        )
    ]


def test_job_template_is_immutable():
    """Changing a Job's pod template is refused."""
    old = _job()
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "perl:6"
    assert validation.validate(new, old) == [
        Cause(
            "spec.template",
            "Invalid value: core.PodTemplateSpec{...}: field is immutable",
            "FieldValueInvalid",
        )
    ]


@pytest.mark.parametrize(
    ("schedule", "causes"),
    [
        pytest.param("*/5 * * * *", [], id="valid"),
        pytest.param("@hourly", [], id="macro"),
        pytest.param(
            "",
            [Cause("spec.schedule", "Required value", "FieldValueRequired")],
            id="missing",
        ),
        pytest.param(
            "every day",
            [
                Cause(
                    "spec.schedule",
                    'Invalid value: "every day": unparseable schedule: every day',
                    "FieldValueInvalid",
                )
            ],
            id="garbage",
        ),
    ],
)
def test_cronjob_schedule(schedule, causes):
    """A CronJob needs a parseable schedule."""
    cron = defaulted(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "tick", "namespace": "default"},
            "spec": {
                "schedule": schedule,
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {
                                "restartPolicy": "OnFailure",
                                "containers": [{"name": "c", "image": "busybox"}],
                            }
                        }
                    }
                },
            },
        }
    )
    assert validation.validate(cron) == causes
