"""Request-body decoding: limits, parse errors, multi-document YAML, strict fields."""

import time
import tracemalloc

import pytest

from cluster.apiserver import decode
from cluster.apiserver.errors import ApiError

BILLION_LAUGHS = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def _error(fn, *args) -> ApiError:
    with pytest.raises(ApiError) as info:
        fn(*args)
    return info.value


def test_json_body_decodes_to_a_dict():
    """A JSON object decodes as is, with no strict findings."""
    decoded = decode.decode(b'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}')
    assert decoded == decode.Decoded(
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}}, []
    )


def test_body_over_the_limit_is_413_before_parsing():
    """A 10 MB body is refused with the apiserver's limit message."""
    exc = _error(decode.decode, b"{" + b" " * (10 * 1024 * 1024) + b"}")
    assert (exc.code, exc.reason, exc.message) == (
        413,
        "RequestEntityTooLarge",
        "Request entity too large: limit is 3145728",
    )


def test_body_limit_is_a_parameter():
    """The size limit can be tightened per call."""
    exc = _error(decode.decode, b'{"kind":"Pod"}', "application/json", 10)
    assert exc.message == "Request entity too large: limit is 10"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(
            '{"a":' * 101 + "1" + "}" * 101, "application/json", id="json-objects"
        ),
        pytest.param(
            '{"a":' + "[" * 200 + "]" * 200 + "}", "application/json", id="json-arrays"
        ),
        pytest.param(
            "a:\n" + "".join(" " * i + "- \n" for i in range(1, 150)),
            "application/yaml",
            id="yaml-block",
        ),
        pytest.param(
            "a: " + "[" * 5000 + "]" * 5000, "application/yaml", id="yaml-flow"
        ),
    ],
)
def test_deep_nesting_is_rejected(body, content_type):
    """Nesting past MAX_DEPTH is a 400, never a RecursionError."""
    exc = _error(decode.decode, body, content_type)
    assert exc.code == 400
    assert exc.message.endswith("exceeded max depth of 100")


def test_billion_laughs_is_rejected_fast_and_small():
    """A few hundred bytes of nested aliases are refused in ≤100 ms using ≤50 MiB."""
    tracemalloc.start()
    started = time.perf_counter()
    exc = _error(decode.decode, BILLION_LAUGHS, "application/yaml")
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(BILLION_LAUGHS) < 450
    assert (
        exc.message
        == "error converting YAML to JSON: yaml: document contains excessive aliasing"
    )
    assert elapsed <= 0.1
    assert peak <= 50 * 1024 * 1024


def test_a_few_aliases_are_expanded_into_plain_copies():
    """Ordinary anchors still work, and the result shares no references."""
    decoded = decode.decode("base: &b {x: 1}\ncopy: *b\n", "application/yaml")
    assert decoded.obj == {"base": {"x": 1}, "copy": {"x": 1}}
    assert decoded.obj["base"] is not decoded.obj["copy"]


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        pytest.param(
            '{"kind": }',
            "application/json",
            "couldn't get version/kind; json parse error: Expecting value: line 1 column 10 (char 9)",
            id="json-syntax",
        ),
        pytest.param(
            "kind: Pod\n  name: x\n",
            "application/yaml",
            "error converting YAML to JSON: yaml: line 2: mapping values are not allowed here",
            id="yaml-syntax",
        ),
        pytest.param(
            "[1, 2]",
            "application/json",
            "couldn't get version/kind; json parse error: json: cannot unmarshal array into Go "
            'value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; '
            'Kind string "json:\\"kind,omitempty\\"" }',
            id="json-array",
        ),
        pytest.param(
            '{"a": NaN}',
            "application/json",
            "couldn't get version/kind; json parse error: invalid character 'N' looking for "
            "beginning of value",
            id="json-nan",
        ),
        pytest.param(
            b'{"a": "\xff"}',
            "application/json",
            "couldn't get version/kind; json parse error: invalid UTF-8 at byte 7",
            id="bad-utf8",
        ),
    ],
)
def test_malformed_bodies_are_400_with_the_parser_position(body, content_type, message):
    """Parse errors become BadRequest Status errors, never exceptions."""
    exc = _error(decode.decode, body, content_type)
    assert (exc.code, exc.reason, exc.message) == (400, "BadRequest", message)


def test_multi_document_yaml_is_split_and_empty_documents_skipped():
    """`---` separates documents; empty ones are dropped."""
    body = "kind: A\n---\n---\nkind: B\nwhen: 2024-01-01\n...\n"
    docs = decode.decode_documents(body, "application/yaml")
    assert [d.obj for d in docs] == [{"kind": "A"}, {"kind": "B", "when": "2024-01-01"}]


def test_yaml_keys_become_strings():
    """Non-string YAML keys turn into JSON strings, as YAMLToJSON does."""
    assert decode.decode("1: a\ntrue: b\n", "application/yaml").obj == {
        "1": "a",
        "true": "b",
    }


def test_json_duplicate_keys_are_recorded_with_their_path():
    """Duplicates keep the last value and are reported as `duplicate field`."""
    decoded = decode.decode(
        '{"spec": {"replicas": 1, "replicas": 2}, "x": [{"a": 1, "a": 2}]}'
    )
    assert decoded.obj == {"spec": {"replicas": 2}, "x": [{"a": 2}]}
    assert decoded.duplicates == [
        'duplicate field "spec.replicas"',
        'duplicate field "x[0].a"',
    ]


def test_yaml_duplicate_keys_are_recorded_with_their_line():
    """YAML duplicates carry goyaml's line message."""
    decoded = decode.decode("kind: Pod\nkind: Pod\n", "application/yaml")
    assert decoded.duplicates == [
        'yaml: unmarshal errors:\n  line 2: key "kind" already set in map'
    ]


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "foo": 1,
        "template": {
            "metadata": {"annotations": {"any": "thing"}},
            "spec": {
                "containers": [
                    {
                        "name": "a",
                        "image": "nginx",
                        "bar": True,
                        "resources": {"limits": {"cpu": 1}},
                    }
                ],
                "volumes": [{"name": "v", "emptyDir": {}, "configMap": {"name": "c"}}],
            },
        },
    },
    "status": {"replicas": 1},
}


def test_unknown_fields_are_listed_with_their_paths():
    """Maps accept any key; inline volume sources are known; unknown fields are named."""
    assert decode.check_fields(
        DEPLOYMENT, "Deployment", "apps/v1"
    ) == decode.FieldReport(
        [
            'unknown field "spec.foo"',
            'unknown field "spec.template.spec.containers[0].bar"',
        ],
        None,
    )


def test_strict_mode_rejects_unknown_and_duplicate_fields_in_one_message():
    """fieldValidation=Strict → 400 `strict decoding error: ...` joined with ", "."""
    decoded = decode.Decoded(DEPLOYMENT, ['duplicate field "spec.replicas"'])
    exc = _error(decode.check_strict, decoded, "Deployment", "apps/v1", "Strict")
    assert (exc.code, exc.message) == (
        400,
        'strict decoding error: duplicate field "spec.replicas", unknown field "spec.foo", '
        'unknown field "spec.template.spec.containers[0].bar"',
    )


@pytest.mark.parametrize(
    ("mode", "warnings"),
    [
        pytest.param(
            "Warn",
            [
                'unknown field "spec.foo"',
                'unknown field "spec.template.spec.containers[0].bar"',
            ],
            id="warn",
        ),
        pytest.param("Ignore", [], id="ignore"),
    ],
)
def test_warn_and_ignore_modes_do_not_reject(mode, warnings):
    """Warn returns the findings as warnings; Ignore drops them."""
    assert (
        decode.check_strict(decode.Decoded(DEPLOYMENT), "Deployment", "apps/v1", mode)
        == warnings
    )


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        pytest.param(
            {"metadata": {"labels": {"a": 1}}},
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string",
            id="label-number",
        ),
        pytest.param(
            {"spec": {"replicas": "3"}},
            "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32",
            id="replicas-string",
        ),
        pytest.param(
            {"spec": "x"},
            "json: cannot unmarshal string into Go struct field Deployment.spec of type v1.DeploymentSpec",
            id="spec-string",
        ),
        pytest.param(
            {"spec": {"template": {"spec": {"containers": {}}}}},
            "json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers "
            "of type []v1.Container",
            id="containers-object",
        ),
    ],
)
def test_type_mismatches_are_400_cannot_be_handled(obj, message):
    """A wrong JSON type is refused even when field validation is Ignore."""
    exc = _error(
        decode.check_strict, decode.Decoded(obj), "Deployment", "apps/v1", "Ignore"
    )
    assert (
        exc.message
        == f'Deployment in version "v1" cannot be handled as a Deployment: {message}'
    )


def test_core_kinds_resolve_to_their_messages():
    """Core kinds live in k8s.io.api.core.v1; unknown kinds have no schema."""
    assert decode.message_for("Pod", "v1") == "k8s.io.api.core.v1.Pod"
    assert decode.message_for("Widget", "v1") is None
    assert decode.check_fields({"anything": 1}, "Widget", "v1") == decode.FieldReport()
