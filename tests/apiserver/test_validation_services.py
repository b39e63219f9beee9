"""Service, Ingress, storage and the smaller kinds' validation."""

import copy

import pytest

from cluster.apiserver import validation
from cluster.apiserver.errors import Cause
from tests.apiserver.validation_fixtures import defaulted, service


def test_defaulted_service_is_valid():
    """A ClusterIP service with one port is valid."""
    assert validation.validate(service()) == []


@pytest.mark.parametrize(
    ("obj", "causes"),
    [
        pytest.param(
            service(ports=[]),
            [Cause("spec.ports", "Required value", "FieldValueRequired")],
            id="ports-required",
        ),
        pytest.param(
            service(ports=[{"port": 0}]),
            [
                Cause(
                    "spec.ports[0].port",
                    "Invalid value: 0: must be between 1 and 65535, inclusive",
                    "FieldValueInvalid",
                ),
                Cause(
                    "spec.ports[0].targetPort",
                    "Invalid value: 0: must be between 1 and 65535, inclusive",
                    "FieldValueInvalid",
                ),
            ],
            id="port-zero-defaults-target-port-zero",
        ),
        pytest.param(
            service(ports=[{"port": 80}, {"port": 443, "name": "https"}]),
            [Cause("spec.ports[0].name", "Required value", "FieldValueRequired")],
            id="names-required-with-two-ports",
        ),
        pytest.param(
            service(ports=[{"port": 80, "name": "a"}, {"port": 80, "name": "b"}]),
            [
                Cause(
                    "spec.ports[1]",
                    'Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), '
                    'Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
                    "FieldValueDuplicate",
                )
            ],
            id="duplicate-port",
        ),
        pytest.param(
            service(type="Bogus"),
            [
                Cause(
                    "spec.type",
                    'Unsupported value: "Bogus": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
                    "FieldValueNotSupported",
                ),
            ],
            id="type",
        ),
        pytest.param(
            service(ports=[{"port": 80, "nodePort": 30080}]),
            [
                Cause(
                    "spec.ports[0].nodePort",
                    "Forbidden: may not be used when `type` is 'ClusterIP'",
                    "FieldValueForbidden",
                )
            ],
            id="nodeport-on-clusterip",
        ),
    ],
)
def test_service_rules(obj, causes):
    """Each broken Service field yields the exact Kubernetes cause."""
    assert validation.validate(obj) == causes


def test_service_cluster_ip_may_not_change():
    """spec.clusterIPs is immutable once allocated."""
    old = service(clusterIP="10.96.0.10")
    new = service(clusterIP="10.96.0.11")
    assert validation.validate(new, old) == [
        Cause(
            "spec.clusterIPs[0]",
            'Invalid value: []string{"10.96.0.11"}: may not change once set',
            "FieldValueInvalid",
        )
    ]


def test_service_update_without_cluster_ip_keeps_the_old_one():
    """Leaving clusterIP out of an update is not a change."""
    old = service(clusterIP="10.96.0.10")
    assert validation.validate(service(), old) == []


def _pvc(**spec) -> dict:
    base = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "1Gi"}},
    }
    base.update(spec)
    return defaulted(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "default"},
            "spec": base,
        }
    )


@pytest.mark.parametrize(
    ("obj", "causes"),
    [
        pytest.param(_pvc(), [], id="valid"),
        pytest.param(
            _pvc(accessModes=[]),
            [
                Cause(
                    "spec.accessModes",
                    "Required value: at least 1 access mode is required",
                    "FieldValueRequired",
                )
            ],
            id="access-modes",
        ),
        pytest.param(
            _pvc(resources={}),
            [Cause("spec.resources[storage]", "Required value", "FieldValueRequired")],
            id="storage-required",
        ),
    ],
)
def test_claim_rules(obj, causes):
    """PVC access modes and storage request."""
    assert validation.validate(obj) == causes


def test_claim_spec_is_immutable():
    """A claim's spec may not change (except requests of a bound claim)."""
    old = _pvc()
    new = copy.deepcopy(old)
    new["spec"]["accessModes"] = ["ReadWriteMany"]
    causes = validation.validate(new, old)
    assert [(c.field, c.reason) for c in causes] == [("spec", "FieldValueForbidden")]
    assert causes[0].message.startswith(
        "Forbidden: spec is immutable after creation except resources.requests for bound claims\n"
    )


def test_bound_claim_may_grow():
    """A bound claim may raise its storage request."""
    old = _pvc()
    old["status"] = {"phase": "Bound"}
    new = copy.deepcopy(old)
    new["spec"]["resources"]["requests"]["storage"] = "2Gi"
    assert validation.validate(new, old) == []


def test_configmap_keys_and_immutability():
    """Keys must be config keys; an immutable ConfigMap keeps its data."""
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "default"},
        "data": {"a b": "1"},
    }
    assert validation.validate(cm) == [
        Cause(
            "data[a b]",
            "Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
            "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            "FieldValueInvalid",
        )
    ]
    old = dict(cm, data={"a": "1"}, immutable=True)
    assert validation.validate(dict(old, data={"a": "2"}), old) == [
        Cause(
            "data",
            "Forbidden: field is immutable when `immutable` is set",
            "FieldValueForbidden",
        )
    ]


def test_tls_secret_needs_its_keys_and_type_is_immutable():
    """kubernetes.io/tls requires tls.crt and tls.key; type never changes."""
    secret = defaulted(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s", "namespace": "default"},
            "type": "kubernetes.io/tls",
        }
    )
    assert validation.validate(secret) == [
        Cause("data[tls.crt]", "Required value", "FieldValueRequired"),
        Cause("data[tls.key]", "Required value", "FieldValueRequired"),
    ]
    old = dict(secret, type="Opaque")
    assert validation.validate(dict(old, type="x"), old)[0] == Cause(
        "type", 'Invalid value: "x": field is immutable', "FieldValueInvalid"
    )


def test_duplicate_node_taints_are_reported_under_metadata():
    """Node taints must be unique by key and effect (path is metadata.taints, as in Kubernetes)."""
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n"},
        "spec": {
            "taints": [
                {"key": "k", "effect": "NoSchedule"},
                {"key": "k", "value": "v", "effect": "NoSchedule"},
            ]
        },
    }
    assert validation.validate(node) == [
        Cause(
            "metadata.taints[1]",
            'Duplicate value: core.Taint{Key:"k", Value:"v", Effect:"NoSchedule", TimeAdded:<nil>}: '
            "taints must be unique by key and effect pair",
            "FieldValueDuplicate",
        )
    ]


def test_hpa_replica_bounds():
    """maxReplicas ≥ 1 and ≥ minReplicas; the target needs kind and name."""
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "h", "namespace": "default"},
        "spec": {
            "scaleTargetRef": {"kind": "Deployment"},
            "minReplicas": 3,
            "maxReplicas": 2,
        },
    }
    assert validation.validate(hpa) == [
        Cause("spec.scaleTargetRef.name", "Required value", "FieldValueRequired"),
        Cause(
            "spec.maxReplicas",
            "Invalid value: 2: must be greater than or equal to `minReplicas`",
            "FieldValueInvalid",
        ),
    ]


def test_ingress_path_type_is_required():
    """Every HTTP path needs a pathType and a backend service port."""
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "i", "namespace": "default"},
        "spec": {
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "backend": {
                                    "service": {"name": "web", "port": {"number": 80}}
                                },
                            }
                        ]
                    }
                }
            ]
        },
    }
    assert validation.validate(ingress) == [
        Cause(
            "spec.rules[0].http.paths[0].pathType",
            "Required value: pathType must be specified",
            "FieldValueRequired",
        )
    ]


def test_kinds_without_own_rules_get_metadata_checks():
    """A ServiceAccount is checked for its metadata only."""
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "R", "namespace": "default"},
    }
    assert [c.field for c in validation.validate(account)] == ["metadata.name"]
