"""OpenAPI v3 documents for kubectl's validation probe and `kubectl explain`."""

import hashlib
import json

import pytest

from cluster.apiserver import openapi, openapi_docs


def test_index_points_at_each_group_version_with_a_stable_hash():
    """`/openapi/v3` names `api/v1`, `apis/apps/v1`... with `?hash=`."""
    index = openapi.index()
    url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
    assert url == f"/openapi/v3/apis/apps/v1?hash={openapi.document_hash('apps', 'v1')}"
    assert "api/v1" in index["paths"]
    assert openapi.index() == index


def test_patch_operations_carry_gvk_and_field_validation_but_no_smp():
    """kubectl reads the GVK and fieldValidation; SMP stays off the request body."""
    doc = openapi.document("apps", "v1")
    op = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"][
        "patch"
    ]
    assert op["x-kubernetes-group-version-kind"] == {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
    }
    assert {
        "name": "fieldValidation",
        "in": "query",
        "schema": {"type": "string"},
    } in op["parameters"]
    assert "application/strategic-merge-patch+json" not in op["requestBody"]["content"]


def test_component_schemas_resolve_for_explain():
    """Pod has top-level docs, a GVK and refs that all resolve."""
    doc = openapi.document("", "v1")
    schemas = doc["components"]["schemas"]
    pod = schemas["io.k8s.api.core.v1.Pod"]
    assert pod["x-kubernetes-group-version-kind"] == [
        {"group": "", "kind": "Pod", "version": "v1"}
    ]
    assert pod["description"] == openapi_docs.type_doc("k8s.io.api.core.v1.Pod")
    assert pod["properties"]["kind"]["description"] == openapi_docs.kind_field_doc(
        "Pod", "kind"
    )
    assert pod["properties"]["spec"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec"}
    ]
    containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"},
        "description": openapi_docs.field_doc(
            "k8s.io.api.core.v1.PodSpec", "containers"
        ),
    }
    labels = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"][
        "labels"
    ]
    assert labels["additionalProperties"] == {"type": "string"}
    assert labels["type"] == "object"
    text = json.dumps(doc)
    for ref in {
        r.split('"')[0] for r in text.split('"$ref": "#/components/schemas/')[1:]
    }:
        assert ref in schemas
    assert doc["openapi"] == "3.0.0"


def test_unserved_group_versions_have_no_document():
    """Only served group/versions have documents."""
    assert openapi.document("apps", "v9") is None


def _schemas(group: str, version: str) -> dict:
    return openapi.document(group, version)["components"]["schemas"]


def _schema(group: str, version: str, short: str) -> dict:
    """The schema named `io.k8s.….<short>`, as in `core.v1.PodSpec`."""
    schemas = _schemas(group, version)
    [name] = [n for n in schemas if n.endswith("." + short)]
    return schemas[name]


# (group, version, schema, field) a student meets in `kubectl explain`.
DESCRIBED_FIELDS = [
    ("", "v1", "core.v1.Pod", "spec"),
    ("", "v1", "core.v1.PodSpec", "containers"),
    ("", "v1", "core.v1.PodSpec", "restartPolicy"),
    ("", "v1", "core.v1.PodSpec", "nodeSelector"),
    ("", "v1", "core.v1.PodSpec", "tolerations"),
    ("", "v1", "core.v1.PodStatus", "phase"),
    ("", "v1", "core.v1.Container", "image"),
    ("", "v1", "core.v1.Container", "imagePullPolicy"),
    ("", "v1", "core.v1.Container", "livenessProbe"),
    ("", "v1", "core.v1.ContainerPort", "containerPort"),
    ("", "v1", "core.v1.EnvVar", "valueFrom"),
    ("", "v1", "core.v1.ResourceRequirements", "requests"),
    ("", "v1", "core.v1.Probe", "periodSeconds"),
    ("", "v1", "core.v1.Probe", "httpGet"),
    ("", "v1", "core.v1.HTTPGetAction", "port"),
    ("", "v1", "core.v1.VolumeMount", "mountPath"),
    ("", "v1", "core.v1.SecurityContext", "runAsNonRoot"),
    ("", "v1", "core.v1.Volume", "configMap"),
    ("", "v1", "core.v1.Volume", "emptyDir"),
    ("", "v1", "core.v1.ServiceSpec", "type"),
    ("", "v1", "core.v1.ServicePort", "targetPort"),
    ("", "v1", "core.v1.ConfigMap", "data"),
    ("", "v1", "core.v1.Secret", "stringData"),
    ("", "v1", "core.v1.NodeSpec", "unschedulable"),
    ("", "v1", "core.v1.Taint", "effect"),
    ("", "v1", "core.v1.Toleration", "tolerationSeconds"),
    ("", "v1", "core.v1.Affinity", "podAntiAffinity"),
    ("", "v1", "core.v1.PersistentVolumeSpec", "persistentVolumeReclaimPolicy"),
    ("", "v1", "core.v1.PersistentVolumeClaimSpec", "storageClassName"),
    ("", "v1", "meta.v1.ObjectMeta", "resourceVersion"),
    ("", "v1", "meta.v1.LabelSelector", "matchLabels"),
    ("", "v1", "meta.v1.OwnerReference", "controller"),
    ("apps", "v1", "apps.v1.DeploymentSpec", "replicas"),
    ("apps", "v1", "apps.v1.DeploymentStrategy", "type"),
    ("apps", "v1", "apps.v1.RollingUpdateDeployment", "maxSurge"),
    ("apps", "v1", "apps.v1.StatefulSetSpec", "serviceName"),
    ("apps", "v1", "apps.v1.DaemonSetSpec", "updateStrategy"),
    ("apps", "v1", "apps.v1.ReplicaSetStatus", "readyReplicas"),
    ("batch", "v1", "batch.v1.JobSpec", "backoffLimit"),
    ("batch", "v1", "batch.v1.CronJobSpec", "schedule"),
    ("networking.k8s.io", "v1", "networking.v1.IngressRule", "http"),
    ("networking.k8s.io", "v1", "networking.v1.HTTPIngressPath", "pathType"),
    ("networking.k8s.io", "v1", "networking.v1.IngressBackend", "service"),
    ("storage.k8s.io", "v1", "storage.v1.StorageClass", "volumeBindingMode"),
    ("autoscaling", "v2", "autoscaling.v2.HorizontalPodAutoscalerSpec", "metrics"),
]


@pytest.mark.parametrize(
    ("group", "version", "schema", "field"),
    DESCRIBED_FIELDS,
    ids=[f"{schema}.{field}" for _, _, schema, field in DESCRIBED_FIELDS],
)
def test_fields_students_meet_carry_a_description(group, version, schema, field):
    """Each field, and the type declaring it, is described in the served document."""
    described = _schema(group, version, schema)
    for text in (
        described["description"],
        described["properties"][field]["description"],
    ):
        assert text.endswith(".") and len(text.split()) >= 3, text


@pytest.mark.parametrize(
    ("group", "version", "schema", "field", "enum"),
    [
        ("", "v1", "core.v1.ServiceSpec", "type", ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]),
        ("", "v1", "core.v1.PodSpec", "restartPolicy", ["Always", "Never", "OnFailure"]),
        ("", "v1", "core.v1.Container", "imagePullPolicy", ["Always", "IfNotPresent", "Never"]),
        ("", "v1", "core.v1.Taint", "effect", ["NoExecute", "NoSchedule", "PreferNoSchedule"]),
        ("apps", "v1", "apps.v1.DeploymentStrategy", "type", ["Recreate", "RollingUpdate"]),
        ("batch", "v1", "batch.v1.CronJobSpec", "concurrencyPolicy", ["Allow", "Forbid", "Replace"]),
        ("networking.k8s.io", "v1", "networking.v1.HTTPIngressPath", "pathType", ["Exact", "ImplementationSpecific", "Prefix"]),
    ],
)  # fmt: skip
def test_enumerated_fields_list_their_values(group, version, schema, field, enum):
    """kubectl prints `enum:` from the values kube-apiserver publishes, sorted."""
    assert _schema(group, version, schema)["properties"][field]["enum"] == enum


def test_declared_defaults_and_required_fields_are_published():
    """`default` where the API declares one; `required` drives `-required-`."""
    schemas = _schemas("", "v1")
    port = schemas["io.k8s.api.core.v1.ContainerPort"]
    assert port["properties"]["protocol"]["default"] == "TCP"
    assert port["required"] == ["containerPort"]
    assert schemas["io.k8s.api.core.v1.PodSpec"]["required"] == ["containers"]
    assert "required" not in schemas["io.k8s.api.core.v1.Pod"]
    path = _schemas("networking.k8s.io", "v1")[
        "io.k8s.api.networking.v1.HTTPIngressPath"
    ]
    assert sorted(path["required"]) == ["backend", "pathType"]


@pytest.mark.parametrize(
    ("schema", "inlined", "embedded"),
    [
        ("io.k8s.api.core.v1.Volume", ["configMap", "emptyDir", "persistentVolumeClaim"], "volumeSource"),
        ("io.k8s.api.core.v1.Probe", ["exec", "grpc", "httpGet", "tcpSocket"], "handler"),
        ("io.k8s.api.core.v1.SecretKeySelector", ["name"], "localObjectReference"),
        ("io.k8s.api.core.v1.PersistentVolumeSpec", ["hostPath", "local", "nfs"], "persistentVolumeSource"),
    ],
)  # fmt: skip
def test_embedded_structs_are_inlined_as_in_json(schema, inlined, embedded):
    """A Volume's sources sit on the Volume itself, as in the manifests students write."""
    properties = _schemas("", "v1")[schema]["properties"]
    assert set(inlined) <= set(properties)
    assert embedded not in properties


def test_ingress_rules_offer_http_directly():
    """`kubectl explain ingress.spec.rules.http` needs `http` on IngressRule."""
    rule = _schemas("networking.k8s.io", "v1")["io.k8s.api.networking.v1.IngressRule"]
    assert set(rule["properties"]) == {"host", "http"}
    assert "io.k8s.api.networking.v1.IngressRuleValue" not in _schemas(
        "networking.k8s.io", "v1"
    )


def test_kinds_without_their_own_wording_get_the_generic_one():
    """A Lease's spec is described with its kind's name filled in."""
    lease = _schemas("coordination.k8s.io", "v1")["io.k8s.api.coordination.v1.Lease"]
    assert lease["properties"]["spec"]["description"] == (
        openapi_docs.kind_field_doc("Lease", "spec")
    )
    assert "Lease" in lease["properties"]["spec"]["description"]
    assert lease["properties"]["apiVersion"]["description"]


def test_types_without_docs_have_no_description():
    """An undocumented type says nothing rather than something wrong."""
    schemas = _schemas("", "v1")
    assert "description" not in schemas["io.k8s.api.core.v1.ScaleIOVolumeSource"]


def test_documents_are_generated_once_and_hashed_with_their_docs():
    """The cached document is what the `?hash=` covers, descriptions included."""
    doc = openapi.document("", "v1")
    assert openapi.document("", "v1") is doc
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    assert (
        openapi.document_hash("", "v1")
        == hashlib.sha512(text.encode()).hexdigest().upper()
    )
    assert '"description":' in text
