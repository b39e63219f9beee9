"""Pod validation: containers, ports, resources, policies and the update rules."""

import copy

import pytest

from cluster.apiserver import validation
from cluster.apiserver.errors import Cause
from cluster.apiserver.validation import pods
from tests.apiserver.validation_fixtures import pod


def _container(**fields) -> dict:
    obj = pod()
    obj["spec"]["containers"][0].update(fields)
    return obj


def test_defaulted_pod_is_valid():
    """A pod with a name, image and defaults has no errors."""
    assert validation.validate(pod()) == []


@pytest.mark.parametrize(
    ("obj", "causes"),
    [
        pytest.param(
            _container(image=""),
            [Cause("spec.containers[0].image", "Required value", "FieldValueRequired")],
            id="image-required",
        ),
        pytest.param(
            _container(name=""),
            [Cause("spec.containers[0].name", "Required value", "FieldValueRequired")],
            id="name-required",
        ),
        pytest.param(
            pod(containers=[{"name": "a", "image": "x"}, {"name": "a", "image": "y"}]),
            [
                Cause(
                    "spec.containers[1].name",
                    'Duplicate value: "a"',
                    "FieldValueDuplicate",
                )
            ],
            id="duplicate-name",
        ),
        pytest.param(
            pod(containers=[]),
            [Cause("spec.containers", "Required value", "FieldValueRequired")],
            id="no-containers",
        ),
        pytest.param(
            _container(ports=[{"containerPort": 70000, "protocol": "TCP"}]),
            [
                Cause(
                    "spec.containers[0].ports[0].containerPort",
                    "Invalid value: 70000: must be between 1 and 65535, inclusive",
                    "FieldValueInvalid",
                )
            ],
            id="port-range",
        ),
        pytest.param(
            _container(
                ports=[{"containerPort": 80, "protocol": "HTTP", "name": "Web_1"}]
            ),
            [
                Cause(
                    "spec.containers[0].ports[0].name",
                    'Invalid value: "Web_1": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
                    "FieldValueInvalid",
                ),
                Cause(
                    "spec.containers[0].ports[0].protocol",
                    'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
                    "FieldValueNotSupported",
                ),
            ],
            id="port-name-and-protocol",
        ),
        pytest.param(
            _container(resources={"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}),
            [
                Cause(
                    "spec.containers[0].resources.requests",
                    'Invalid value: "2": must be less than or equal to cpu limit of 1',
                    "FieldValueInvalid",
                )
            ],
            id="requests-over-limits",
        ),
        pytest.param(
            _container(
                resources={
                    "requests": {"memory": "2048Mi"},
                    "limits": {"memory": "1Gi"},
                }
            ),
            [
                Cause(
                    "spec.containers[0].resources.requests",
                    'Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi',
                    "FieldValueInvalid",
                )
            ],
            id="memory-canonical",
        ),
        pytest.param(
            _container(volumeMounts=[{"name": "data", "mountPath": "/data"}]),
            [
                Cause(
                    "spec.containers[0].volumeMounts[0].name",
                    'Not found: "data"',
                    "FieldValueNotFound",
                )
            ],
            id="mount-without-volume",
        ),
        pytest.param(
            pod(restartPolicy="Bogus"),
            [
                Cause(
                    "spec.restartPolicy",
                    'Unsupported value: "Bogus": supported values: "Always", "OnFailure", "Never"',
                    "FieldValueNotSupported",
                )
            ],
            id="restart-policy",
        ),
        pytest.param(
            pod(activeDeadlineSeconds=0),
            [
                Cause(
                    "spec.activeDeadlineSeconds",
                    "Invalid value: 0: must be between 1 and 2147483647, inclusive",
                    "FieldValueInvalid",
                )
            ],
            id="deadline",
        ),
        pytest.param(
            pod(tolerations=[{"key": "a", "operator": "Exists", "value": "b"}]),
            [
                Cause(
                    "spec.tolerations[0].operator",
                    "Invalid value: \"b\": value must be empty when `operator` is 'Exists'",
                    "FieldValueInvalid",
                )
            ],
            id="toleration",
        ),
        pytest.param(
            _container(
                livenessProbe={
                    "successThreshold": 2,
                    "timeoutSeconds": 1,
                    "periodSeconds": 10,
                    "failureThreshold": 3,
                }
            ),
            [
                Cause(
                    "spec.containers[0].livenessProbe",
                    "Required value: must specify a handler type",
                    "FieldValueRequired",
                ),
                Cause(
                    "spec.containers[0].livenessProbe.successThreshold",
                    "Invalid value: 2: must be 1",
                    "FieldValueInvalid",
                ),
            ],
            id="probe",
        ),
        pytest.param(
            pod(volumes=[{"name": "v", "emptyDir": {}, "hostPath": {"path": "/x"}}]),
            [
                Cause(
                    "spec.volumes[0].hostPath",
                    "Forbidden: may not specify more than 1 volume type",
                    "FieldValueForbidden",
                )
            ],
            id="two-volume-sources",
        ),
    ],
)
def test_pod_spec_rules(obj, causes):
    """Each broken pod field gives Kubernetes' cause, path and reason."""
    assert validation.validate(obj) == causes


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("2000m", "2"),
        ("0.5", "500m"),
        ("1024Mi", "1Gi"),
        ("1536Mi", "1536Mi"),
        ("1000", "1k"),
        ("100m", "100m"),
    ],
)
def test_quantities_print_in_canonical_form(value, canonical):
    """resource.Quantity.String() canonicalises the value."""
    assert pods.canonical_quantity(value) == canonical


def _updated(old: dict, change) -> dict:
    new = copy.deepcopy(old)
    change(new["spec"])
    return new


def test_pod_update_may_change_image_and_add_tolerations():
    """Images, a lower activeDeadlineSeconds and new tolerations are mutable."""
    old = pod(activeDeadlineSeconds=100)

    def change(spec):
        spec["containers"][0]["image"] = "nginx:1.28"
        spec["activeDeadlineSeconds"] = 50
        spec["tolerations"] = [{"key": "k", "operator": "Exists"}]

    assert validation.validate(_updated(old, change), old) == []


def test_pod_update_of_other_fields_is_forbidden_with_the_long_message():
    """Any other spec change is refused with the list of updatable fields and a diff."""
    old = pod()
    causes = validation.validate(
        _updated(old, lambda s: s.update(restartPolicy="Never")), old
    )
    assert [(c.field, c.reason) for c in causes] == [("spec", "FieldValueForbidden")]
    assert causes[0].message == (
        "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
        "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
        "to 1 if it was previously negative)\n"
        '  core.PodSpec{\n- \trestartPolicy: "Always"\n+ \trestartPolicy: "Never"\n  }\n'
    )


def test_pod_update_may_not_add_containers():
    """Adding a container stops the checks with one Forbidden cause."""
    old = pod()
    new = _updated(
        old, lambda s: s["containers"].append(dict(s["containers"][0], name="two"))
    )
    assert validation.validate(new, old) == [
        Cause(
            "spec.containers",
            "Forbidden: pod updates may not add or remove containers",
            "FieldValueForbidden",
        )
    ]


def test_pod_update_may_not_modify_existing_tolerations():
    """Existing tolerations may only change tolerationSeconds."""
    old = pod(
        tolerations=[
            {
                "key": "k",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 5,
            }
        ]
    )
    new = _updated(
        old, lambda s: s.update(tolerations=[{"key": "other", "operator": "Exists"}])
    )
    assert validation.validate(new, old) == [
        Cause(
            "spec.tolerations",
            "Forbidden: existing toleration can not be modified except its tolerationSeconds",
            "FieldValueForbidden",
        )
    ]
