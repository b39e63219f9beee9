"""OpenAPI v3 documents for kubectl's validation probe and `kubectl explain`."""

import json

from cluster.apiserver import openapi


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
    assert pod["description"] == openapi.KIND_DESCRIPTIONS["Pod"]
    assert pod["properties"]["kind"]["description"] == openapi.KIND_DOC
    assert pod["properties"]["spec"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec"}
    ]
    containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"},
    }
    labels = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"][
        "labels"
    ]
    assert labels == {"type": "object", "additionalProperties": {"type": "string"}}
    text = json.dumps(doc)
    for ref in {
        r.split('"')[0] for r in text.split('"$ref": "#/components/schemas/')[1:]
    }:
        assert ref in schemas
    assert doc["openapi"] == "3.0.0"


def test_unserved_group_versions_have_no_document():
    """Only served group/versions have documents."""
    assert openapi.document("apps", "v9") is None
