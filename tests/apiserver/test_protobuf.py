"""Decoding kubectl's protobuf request bodies into the JSON they stand for."""

import base64
import json
import struct
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cluster.apiserver import protobuf
from cluster.apiserver.errors import ApiError


# A small test-only encoder over the same field table, mimicking gogo-protobuf:
# a JSON null for a message field is written as an empty message (as gogo writes
# a zero `creationTimestamp`).
def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _len(number: int, payload: bytes) -> bytes:
    return _key(number, 2) + _varint(len(payload)) + payload


def _encode_value(number: int, type_: str, value) -> bytes:
    if type_ in ("int32", "int64", "uint32", "uint64"):
        return _key(number, 0) + _varint(value)
    if type_ == "bool":
        return _key(number, 0) + _varint(int(value))
    if type_ == "double":
        return _key(number, 1) + struct.pack("<d", value)
    if type_ == "string":
        return _len(number, value.encode())
    if type_ == "bytes":
        return _len(number, base64.b64decode(value))
    if value is None:
        return _len(number, b"")
    if type_ in (protobuf.TIME, protobuf.MICRO_TIME):
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        nanos = (
            _key(2, 0) + _varint(when.microsecond * 1000) if when.microsecond else b""
        )
        return _len(number, _key(1, 0) + _varint(int(when.timestamp())) + nanos)
    if type_ == protobuf.QUANTITY:
        return _len(number, _len(1, value.encode()))
    if type_ == protobuf.INT_OR_STRING:
        if isinstance(value, int):
            return _len(number, _key(1, 0) + _varint(0) + _key(2, 0) + _varint(value))
        return _len(number, _key(1, 0) + _varint(1) + _len(3, value.encode()))
    if type_ in protobuf.RAW_MESSAGES:
        return _len(number, _len(1, json.dumps(value).encode()))
    return _len(number, encode(value, type_))


def encode(obj: dict, message: str) -> bytes:
    spec = protobuf.field_table()["messages"][message]
    out = b""
    for number in sorted(spec, key=int):
        field = spec[number]
        if field["n"] not in obj:
            continue
        value, n = obj[field["n"]], int(number)
        if "map" in field:
            kt, vt = field["map"]
            for k in sorted(value):
                out += _len(n, _encode_value(1, kt, k) + _encode_value(2, vt, value[k]))
        elif field.get("r"):
            for item in value:
                out += _encode_value(n, field["t"], item)
        else:
            out += _encode_value(n, field["t"], value)
    return out


def body(api_version: str, kind: str, obj: dict) -> bytes:
    message = protobuf.message_for(api_version, kind)
    type_meta = _len(1, api_version.encode()) + _len(2, kind.encode())
    unknown = (
        _len(1, type_meta) + _len(2, encode(obj, message)) + _len(3, b"") + _len(4, b"")
    )
    return protobuf.MAGIC + unknown


def test_a_hand_written_namespace_body_decodes_to_kubectls_json():
    """`kubectl create namespace demo`: empty spec and status stay, a zero time goes."""
    meta = _len(1, b"demo") + _len(8, b"")
    raw = _len(1, meta) + _len(2, b"") + _len(3, b"")
    type_meta = _len(1, b"v1") + _len(2, b"Namespace")
    data = b"k8s\x00" + _len(1, type_meta) + _len(2, raw) + _len(3, b"") + _len(4, b"")
    assert protobuf.decode(data) == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "demo"},
        "spec": {},
        "status": {},
    }


# What gogo-protobuf writes for each typed-client command: zero scalars and
# non-pointer structs included, as the Go structs hold them.
DEPLOYMENT_WIRE = {
    "metadata": {
        "name": "web",
        "labels": {"app": "web"},
        "creationTimestamp": None,
        "generation": 0,
        "namespace": "",
        "uid": "",
    },
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}, "creationTimestamp": None},
            "spec": {
                "containers": [
                    {
                        "name": "nginx",
                        "image": "nginx",
                        "resources": {},
                        "stdin": False,
                        "tty": False,
                        "terminationMessagePath": "",
                    }
                ],
                "restartPolicy": "",
                "hostNetwork": False,
            },
        },
        "strategy": {},
        "minReadySeconds": 0,
        "paused": False,
    },
    "status": {"observedGeneration": 0, "replicas": 0},
}
DEPLOYMENT_JSON = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [{"name": "nginx", "image": "nginx", "resources": {}}]
            },
        },
        "strategy": {},
    },
    "status": {},
}


@pytest.mark.parametrize(
    ("api_version", "kind", "wire", "expected"),
    [
        pytest.param(
            "apps/v1",
            "Deployment",
            DEPLOYMENT_WIRE,
            DEPLOYMENT_JSON,
            id="create-deployment",
        ),
        pytest.param(
            "v1",
            "ConfigMap",
            {
                "metadata": {"name": "cfg", "creationTimestamp": None},
                "data": {"mode": "fast", "empty": ""},
            },
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "cfg"},
                "data": {"empty": "", "mode": "fast"},
            },
            id="configmap-data",
        ),
        pytest.param(
            "v1",
            "Secret",
            {
                "metadata": {"name": "s", "creationTimestamp": None},
                "data": {"password": base64.b64encode(b"\x00s3cr3t").decode()},
                "type": "Opaque",
            },
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "s"},
                "data": {"password": "AHMzY3IzdA=="},
                "type": "Opaque",
            },
            id="secret-bytes-as-base64",
        ),
        pytest.param(
            "v1",
            "Service",
            {
                "metadata": {
                    "name": "web",
                    "labels": {"app": "web"},
                    "creationTimestamp": None,
                },
                "spec": {
                    "ports": [
                        {
                            "name": "80-8080",
                            "protocol": "TCP",
                            "port": 80,
                            "targetPort": 8080,
                            "nodePort": 0,
                        },
                        {
                            "name": "http",
                            "protocol": "TCP",
                            "port": 81,
                            "targetPort": "http",
                            "nodePort": 0,
                        },
                    ],
                    "selector": {"app": "web"},
                    "type": "ClusterIP",
                    "clusterIP": "",
                },
                "status": {"loadBalancer": {}},
            },
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "web", "labels": {"app": "web"}},
                "spec": {
                    "ports": [
                        {
                            "name": "80-8080",
                            "protocol": "TCP",
                            "port": 80,
                            "targetPort": 8080,
                        },
                        {
                            "name": "http",
                            "protocol": "TCP",
                            "port": 81,
                            "targetPort": "http",
                        },
                    ],
                    "selector": {"app": "web"},
                    "type": "ClusterIP",
                },
                "status": {"loadBalancer": {}},
            },
            id="service-int-or-string",
        ),
        pytest.param(
            "authorization.k8s.io/v1",
            "SelfSubjectAccessReview",
            {
                "metadata": {"creationTimestamp": None},
                "spec": {
                    "resourceAttributes": {
                        "namespace": "default",
                        "verb": "create",
                        "group": "apps",
                        "resource": "deployments",
                        "name": "",
                        "subresource": "",
                    }
                },
                "status": {"allowed": False, "reason": ""},
            },
            {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "metadata": {},
                "spec": {
                    "resourceAttributes": {
                        "namespace": "default",
                        "verb": "create",
                        "group": "apps",
                        "resource": "deployments",
                    }
                },
                "status": {"allowed": False},
            },
            id="auth-can-i",
        ),
        pytest.param(
            "batch/v1",
            "CronJob",
            {
                "metadata": {"name": "tick", "creationTimestamp": None},
                "spec": {
                    "schedule": "*/1 * * * *",
                    "jobTemplate": {
                        "metadata": {"name": "tick", "creationTimestamp": None},
                        "spec": {
                            "template": {
                                "metadata": {"creationTimestamp": None},
                                "spec": {
                                    "containers": [
                                        {
                                            "name": "tick",
                                            "image": "busybox",
                                            "resources": {},
                                        }
                                    ],
                                    "restartPolicy": "OnFailure",
                                },
                            }
                        },
                    },
                },
                "status": {"lastScheduleTime": "2025-01-02T03:04:05Z"},
            },
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": {"name": "tick"},
                "spec": {
                    "schedule": "*/1 * * * *",
                    "jobTemplate": {
                        "metadata": {"name": "tick"},
                        "spec": {
                            "template": {
                                "metadata": {},
                                "spec": {
                                    "containers": [
                                        {
                                            "name": "tick",
                                            "image": "busybox",
                                            "resources": {},
                                        }
                                    ],
                                    "restartPolicy": "OnFailure",
                                },
                            }
                        },
                    },
                },
                "status": {"lastScheduleTime": "2025-01-02T03:04:05Z"},
            },
            id="cronjob-with-time",
        ),
        pytest.param(
            "networking.k8s.io/v1",
            "Ingress",
            {
                "metadata": {"name": "web", "creationTimestamp": None},
                "spec": {
                    "rules": [
                        {
                            "host": "foo.com",
                            "ingressRuleValue": {
                                "http": {
                                    "paths": [
                                        {
                                            "path": "/",
                                            "pathType": "Exact",
                                            "backend": {
                                                "service": {
                                                    "name": "web",
                                                    "port": {"number": 80},
                                                }
                                            },
                                        }
                                    ]
                                }
                            },
                        }
                    ]
                },
                "status": {"loadBalancer": {}},
            },
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {"name": "web"},
                "spec": {
                    "rules": [
                        {
                            "host": "foo.com",
                            "http": {
                                "paths": [
                                    {
                                        "path": "/",
                                        "pathType": "Exact",
                                        "backend": {
                                            "service": {
                                                "name": "web",
                                                "port": {"number": 80},
                                            }
                                        },
                                    }
                                ]
                            },
                        }
                    ]
                },
                "status": {"loadBalancer": {}},
            },
            id="ingress-rule-value-inlined",
        ),
        pytest.param(
            "v1",
            "Pod",
            {
                "metadata": {"name": "p", "creationTimestamp": None},
                "spec": {
                    "volumes": [
                        {"name": "scratch", "volumeSource": {"emptyDir": {}}},
                        {
                            "name": "cfg",
                            "volumeSource": {
                                "configMap": {"localObjectReference": {"name": "app"}}
                            },
                        },
                    ],
                    "containers": [{"name": "c", "image": "busybox", "resources": {}}],
                },
                "status": {},
            },
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "p"},
                "spec": {
                    "volumes": [
                        {"name": "scratch", "emptyDir": {}},
                        {"name": "cfg", "configMap": {"name": "app"}},
                    ],
                    "containers": [{"name": "c", "image": "busybox", "resources": {}}],
                },
                "status": {},
            },
            id="pod-volume-source-inlined",
        ),
    ],
)
def test_typed_client_bodies_decode_to_the_json_kubectl_would_send(
    api_version, kind, wire, expected
):
    """Zero values of omitempty fields are dropped; structs, maps and times survive."""
    assert protobuf.decode(body(api_version, kind, wire)) == expected


def test_microtime_keeps_microseconds_and_negative_ints_decode():
    """A Lease renewTime keeps microseconds; a negative int32 is sign-extended."""
    lease = {
        "metadata": {"name": "n1", "creationTimestamp": None},
        "spec": {
            "holderIdentity": "n1",
            "leaseDurationSeconds": -5,
            "renewTime": "2025-01-02T03:04:05.250000Z",
        },
    }
    decoded = protobuf.decode(body("coordination.k8s.io/v1", "Lease", lease))
    assert decoded["spec"] == {
        "holderIdentity": "n1",
        "leaseDurationSeconds": -5,
        "renewTime": "2025-01-02T03:04:05.250000Z",
    }


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b'{"kind":"Pod"}', id="json-not-protobuf"),
        pytest.param(b"k8s\x00\x0a\x05\x0a\x02v1", id="truncated"),
        pytest.param(
            b"k8s\x00" + _len(1, _len(1, b"v9") + _len(2, b"Nope")), id="unknown-kind"
        ),
    ],
)
def test_malformed_bodies_are_a_400(data):
    """Anything that is not a valid typed body is a BadRequest."""
    with pytest.raises(ApiError) as err:
        protobuf.decode(data)
    assert err.value.code == 400
    assert err.value.message.startswith(protobuf.MALFORMED)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_raise_anything_but_a_400(tail):
    """Fuzzed bodies either decode or fail with ApiError 400."""
    prefix = b"k8s\x00" + _len(1, _len(1, b"apps/v1") + _len(2, b"Deployment"))
    for data in (tail, b"k8s\x00" + tail, prefix + _len(2, tail), prefix + tail):
        try:
            protobuf.decode(data)
        except ApiError as err:
            assert err.code == 400
