"""Metadata validation: names, labels, annotations, the 422 message and Go value rendering."""

import pytest

from cluster.apiserver import errors, validation
from cluster.apiserver.validation import _field as f
from cluster.apiserver.validation import meta
from tests.apiserver.validation_fixtures import pod, service

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
    "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
    "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
    "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)


def _with_meta(obj: dict, **metadata) -> dict:
    obj["metadata"].update(metadata)
    return obj


@pytest.mark.parametrize(
    ("obj", "causes"),
    [
        pytest.param(
            _with_meta(pod(), name="Web"),
            [
                errors.Cause(
                    "metadata.name",
                    f'Invalid value: "Web": {SUBDOMAIN_MSG}',
                    "FieldValueInvalid",
                )
            ],
            id="pod-uppercase",
        ),
        pytest.param(
            _with_meta(pod(), name=""),
            [
                errors.Cause(
                    "metadata.name",
                    "Required value: name or generateName is required",
                    "FieldValueRequired",
                )
            ],
            id="name-required",
        ),
        pytest.param(
            _with_meta(service(), name="1web"),
            [
                errors.Cause(
                    "metadata.name",
                    f'Invalid value: "1web": {DNS1035_MSG}',
                    "FieldValueInvalid",
                )
            ],
            id="service-dns1035",
        ),
        pytest.param(
            _with_meta(pod(), name="a" * 254),
            [
                errors.Cause(
                    "metadata.name",
                    f'Invalid value: "{"a" * 254}": must be no more than 253 characters',
                    "FieldValueInvalid",
                )
            ],
            id="too-long",
        ),
        pytest.param(
            _with_meta(pod(), namespace="a.b"),
            [
                errors.Cause(
                    "metadata.namespace",
                    'Invalid value: "a.b": must not contain dots',
                    "FieldValueInvalid",
                )
            ],
            id="namespace-dots",
        ),
        pytest.param(
            _with_meta(pod(), namespace=""),
            [
                errors.Cause(
                    "metadata.namespace", "Required value", "FieldValueRequired"
                )
            ],
            id="namespace-required",
        ),
        pytest.param(
            _with_meta(pod(), labels={"app": "bad value"}),
            [
                errors.Cause(
                    "metadata.labels",
                    f'Invalid value: "bad value": {LABEL_VALUE_MSG}',
                    "FieldValueInvalid",
                )
            ],
            id="label-value",
        ),
        pytest.param(
            _with_meta(pod(), labels={"bad key": "x"}),
            [
                errors.Cause(
                    "metadata.labels",
                    f'Invalid value: "bad key": {NAME_PART_MSG}',
                    "FieldValueInvalid",
                )
            ],
            id="label-key",
        ),
        pytest.param(
            _with_meta(pod(), annotations={"a": "x" * (256 * 1024)}),
            [
                errors.Cause(
                    "metadata.annotations",
                    "Too long: may not be more than 262144 bytes",
                    "FieldValueTooLong",
                )
            ],
            id="annotations-size",
        ),
        pytest.param(
            _with_meta(pod(), name="", generateName="Web-"),
            [
                errors.Cause(
                    "metadata.generateName",
                    f'Invalid value: "Web-": {SUBDOMAIN_MSG}',
                    "FieldValueInvalid",
                ),
                errors.Cause(
                    "metadata.name",
                    "Required value: name or generateName is required",
                    "FieldValueRequired",
                ),
            ],
            id="generate-name",
        ),
    ],
)
def test_metadata_rules(obj, causes):
    """Each broken metadata field yields the exact Kubernetes cause."""
    assert validation.validate(obj) == causes


def test_namespace_on_cluster_scoped_kind_is_forbidden():
    """metadata.namespace is not allowed on cluster-scoped kinds."""
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n", "namespace": "x"},
    }
    assert validation.validate(node) == [
        errors.Cause(
            "metadata.namespace",
            "Forbidden: not allowed on this type",
            "FieldValueForbidden",
        )
    ]


def test_dns1123_label_message_has_the_double_space():
    """Examples are joined as `'a', ` + ` or `, so the text has two spaces."""
    assert meta.dns1123_label("A") == [LABEL_MSG]


def test_generate_name_trailing_dash_is_masked():
    """A generateName may end in '-' (apimachinery masks it)."""
    assert meta.SUBDOMAIN_NAME("web-", True) == []


def test_update_may_not_change_name_or_uid():
    """Identity fields are immutable on update."""
    old = pod()
    old["metadata"].update(uid="u1", creationTimestamp="2024-01-01T00:00:00Z")
    new = pod()
    new["metadata"].update(uid="u2", creationTimestamp="2024-01-01T00:00:00Z")
    assert validation.validate(new, old)[0] == errors.Cause(
        "metadata.uid", 'Invalid value: "u2": field is immutable', "FieldValueInvalid"
    )


def test_invalid_message_is_group_qualified_and_bracketed():
    """NewInvalid: `Deployment.apps "web" is invalid: [a, b]`, details.kind unqualified."""
    causes = [
        errors.Cause("spec.selector", "Required value", "FieldValueRequired"),
        errors.Cause(
            "spec.template.metadata.labels",
            'Invalid value: map[string]string{"app":"x"}: x',
            "FieldValueInvalid",
        ),
        errors.Cause("spec.selector", "Required value", "FieldValueRequired"),
    ]
    exc = errors.invalid("Deployment", "web", causes, "apps")
    assert exc.message == (
        'Deployment.apps "web" is invalid: [spec.selector: Required value, '
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: x]'
    )
    assert (exc.status()["details"]["kind"], exc.status()["details"]["group"]) == (
        "Deployment",
        "apps",
    )
    assert len(exc.status()["details"]["causes"]) == 3


def test_invalid_message_for_one_core_cause_has_no_brackets():
    """A single cause is printed bare; core kinds carry no group."""
    exc = errors.invalid(
        "Pod",
        "p",
        [errors.Cause("spec.containers", "Required value", "FieldValueRequired")],
    )
    assert exc.message == 'Pod "p" is invalid: spec.containers: Required value'


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        pytest.param('a"b', '"a\\"b"', id="string"),
        pytest.param(-1, "-1", id="int"),
        pytest.param(1.5, "1.5", id="float"),
        pytest.param(True, "true", id="bool"),
        pytest.param(None, "null", id="nil"),
        pytest.param(
            {"b": "2", "a": "1"}, 'map[string]string{"a":"1", "b":"2"}', id="map"
        ),
        pytest.param(["10.0.0.1"], '[]string{"10.0.0.1"}', id="slice"),
        pytest.param(
            f.label_selector({"matchLabels": {"app": "x"}}),
            'v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}, '
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}",
            id="label-selector",
        ),
    ],
)
def test_values_render_like_field_error(value, rendered):
    """%q for strings, %v for scalars, %#v for maps, slices and structs."""
    assert f.go_repr(value) == rendered


def _rbac(kind: str, name: str) -> dict:
    obj = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": name},
    }
    if kind in ("Role", "RoleBinding"):
        obj["metadata"]["namespace"] = "kube-system"
    return obj


@pytest.mark.parametrize(
    ("kind", "name", "messages"),
    [
        ("ClusterRoleBinding", "kubeadm:node-proxier", []),
        ("ClusterRole", "system:node-proxier", []),
        ("Role", "kube-proxy", []),
        ("RoleBinding", "Kube_Proxy", []),  # no DNS rules: case and '_' are fine
        ("ClusterRole", "a/b", ["may not contain '/'"]),
        ("Role", "100%", ["may not contain '%'"]),
        ("ClusterRole", "..", ["may not be '..'"]),
    ],
)
def test_rbac_names_need_only_fit_a_path_segment(kind, name, messages):
    causes = validation.validate(_rbac(kind, name))
    assert [c.message for c in causes] == [
        f'Invalid value: "{name}": {m}' for m in messages
    ]


def test_other_kinds_keep_dns_names():
    (cause,) = validation.validate(_with_meta(pod(), name="kubeadm:node-proxier"))
    assert cause.field == "metadata.name"
