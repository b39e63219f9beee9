"""Discovery documents kubectl reads to map resource names to URLs."""

from cluster.apiserver import discovery


def _resources(doc, group):
    item = next(i for i in doc["items"] if i["metadata"]["name"] == group)
    return {r["resource"]: r for r in item["versions"][0]["resources"]}


def test_core_aggregated_discovery_describes_pods_with_subresources():
    """Pods carry responseKind, verbs, shortNames, categories and subresources."""
    doc = discovery.aggregated(core=True)
    assert doc["kind"] == "APIGroupDiscoveryList"
    assert doc["apiVersion"] == "apidiscovery.k8s.io/v2"
    assert [i["metadata"]["name"] for i in doc["items"]] == [""]
    pods = _resources(doc, "")["pods"]
    assert pods["responseKind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert pods["scope"] == "Namespaced"
    assert pods["singularResource"] == "pod"
    assert pods["verbs"] == [
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    ]
    assert pods["shortNames"] == ["po"] and pods["categories"] == ["all"]
    subs = {s["subresource"]: s["responseKind"] for s in pods["subresources"]}
    assert subs["eviction"] == {"group": "policy", "version": "v1", "kind": "Eviction"}
    assert subs["binding"] == {"group": "", "version": "v1", "kind": "Binding"}
    assert subs["log"] == {"group": "", "version": "v1", "kind": "Pod"}


def test_every_resource_and_subresource_has_a_response_kind():
    """kubectl silently drops entries without responseKind."""
    for core in (True, False):
        for item in discovery.aggregated(core)["items"]:
            for version in item["versions"]:
                for r in version["resources"]:
                    assert r["responseKind"]["kind"]
                    assert all(
                        s["responseKind"]["kind"] for s in r.get("subresources", [])
                    )


def test_named_groups_include_scale_metrics_and_access_reviews():
    """`/apis` lists apps with Scale subresources, metrics and the review kinds."""
    doc = discovery.aggregated(core=False)
    apps = _resources(doc, "apps")
    scale = next(
        s for s in apps["deployments"]["subresources"] if s["subresource"] == "scale"
    )
    assert scale == {
        "subresource": "scale",
        "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
        "verbs": ["get", "patch", "update"],
    }
    assert set(_resources(doc, "metrics.k8s.io")) == {"nodes", "pods"}
    assert "selfsubjectaccessreviews" in _resources(doc, "authorization.k8s.io")
    assert "selfsubjectreviews" in _resources(doc, "authentication.k8s.io")
    autoscaling = next(
        i for i in doc["items"] if i["metadata"]["name"] == "autoscaling"
    )
    assert [v["version"] for v in autoscaling["versions"]] == ["v2", "v1"]


def test_get_all_order_follows_the_category_in_discovery_order():
    """The `all` category lists the kinds in the order `kubectl get all` prints."""
    found = []
    for core in (True, False):
        for item in discovery.aggregated(core)["items"]:
            for r in item["versions"][0]["resources"]:
                if "all" in r.get("categories", []):
                    found.append(r["resource"])
    assert found == [
        "pods",
        "services",
        "daemonsets",
        "deployments",
        "replicasets",
        "statefulsets",
        "horizontalpodautoscalers",
        "cronjobs",
        "jobs",
    ]


def test_legacy_core_resource_list_names_subresources():
    """`/api/v1` lists `pods/eviction` with the policy group drain looks for."""
    doc = discovery.api_resource_list("", "v1")
    assert (doc["kind"], doc["groupVersion"]) == ("APIResourceList", "v1")
    by_name = {r["name"]: r for r in doc["resources"]}
    assert by_name["pods/eviction"] == {
        "name": "pods/eviction",
        "singularName": "",
        "namespaced": True,
        "kind": "Eviction",
        "verbs": ["create"],
        "group": "policy",
        "version": "v1",
    }
    assert by_name["pods/log"] == {
        "name": "pods/log",
        "singularName": "",
        "namespaced": True,
        "kind": "Pod",
        "verbs": ["get"],
    }
    assert by_name["namespaces"]["verbs"] == [
        "create",
        "delete",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    ]
    assert discovery.api_resource_list("apps", "v9") is None


def test_legacy_group_list_and_versions():
    """`/apis` as an APIGroupList with preferred versions; `/api` as APIVersions."""
    groups = discovery.api_group_list()
    apps = next(g for g in groups["groups"] if g["name"] == "apps")
    assert apps == {
        "name": "apps",
        "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
    }
    assert discovery.api_versions("10.0.0.1:6443") == {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:6443"}
        ],
    }
    assert discovery.AGGREGATED_CONTENT_TYPE == (
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    )
