"""`/version`, discovery and OpenAPI as kubectl reads them."""

from __future__ import annotations

from cluster.apiserver import discovery, openapi

AGGREGATED_ACCEPT = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json"
)


def test_version_says_1_32_and_is_not_cacheable(client, lab):
    response = client.get(f"/k8s/clusters/{lab.slug}/version")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-cache, private"
    body = response.json()
    assert (body["major"], body["minor"], body["gitVersion"]) == ("1", "32", "v1.32.4")


def test_version_of_an_unknown_cluster_is_404(client, db):
    response = client.get("/k8s/clusters/missing/version")
    assert response.status_code == 404
    assert response.json()["reason"] == "NotFound"


def test_aggregated_discovery_uses_its_exact_content_type(kube):
    for path, core in (("/api", True), ("/apis", False)):
        response = kube.get(path, Accept=AGGREGATED_ACCEPT)
        assert response.status_code == 200
        assert response["Content-Type"] == discovery.AGGREGATED_CONTENT_TYPE
        assert response.json() == discovery.aggregated(core)


def test_legacy_discovery_without_the_aggregated_accept(kube):
    assert kube.get("/api").json()["kind"] == "APIVersions"
    assert kube.get("/apis").json() == discovery.api_group_list()
    assert kube.get("/apis/apps").json() == discovery.api_group("apps")


def test_legacy_resource_lists_show_pod_eviction_in_policy_v1(kube):
    resources = kube.get("/api/v1").json()["resources"]
    eviction = next(r for r in resources if r["name"] == "pods/eviction")
    assert (eviction["group"], eviction["version"], eviction["kind"]) == (
        "policy",
        "v1",
        "Eviction",
    )
    assert kube.get("/apis/apps/v1").json() == discovery.api_resource_list("apps", "v1")
    assert kube.get("/apis/metrics.k8s.io/v1beta1").status_code == 200


def test_openapi_index_and_documents_keep_the_prefix_relative(kube):
    index = kube.get("/openapi/v3").json()
    url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/apps/v1?hash=")
    response = kube.get(url)
    assert response.status_code == 200
    assert response.json() == openapi.document("apps", "v1")
    assert response["Cache-Control"] == "public, immutable"
    assert kube.get("/openapi/v3/apis/nope/v1").status_code == 404
    assert kube.get("/openapi/v2").status_code == 404
