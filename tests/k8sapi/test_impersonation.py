"""`kubectl --as`: the owner impersonates, and RBAC answers for the impersonated user.

alice owns the lab (system:masters); carol, an instructor, may only read it.
"""

from __future__ import annotations

import pytest

from cluster.apiserver import errors
from cluster.k8sapi import auth, exec_session

from .conftest import Kube

READER = "system:serviceaccount:default:reader"
AS_READER = {"Impersonate-User": READER}


def _status(response, code: int) -> dict:
    assert response.status_code == code, response.content
    return response.json()


def _forbidden(response) -> str:
    body = _status(response, 403)
    assert body["reason"] == "Forbidden"
    return body["message"]


@pytest.fixture
def pod_reader(kube):
    """A Role allowing get/list on pods, bound to the ServiceAccount default/reader."""
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "pod-reader"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "read-pods"},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": "pod-reader",
        },
        "subjects": [
            {"kind": "ServiceAccount", "name": "reader", "namespace": "default"}
        ],
    }
    base = "/apis/rbac.authorization.k8s.io/v1/namespaces/default"
    _status(kube.post(f"{base}/roles", role), 201)
    _status(kube.post(f"{base}/rolebindings", binding), 201)


def _review(kube, headers, **attributes) -> dict:
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attributes},
    }
    response = kube.post(
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review, **headers
    )
    return _status(response, 201)["status"]


def _whoami(kube, headers) -> dict:
    response = kube.post(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        **headers,
    )
    return _status(response, 201)["status"]["userInfo"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        pytest.param(
            "/api/v1/namespaces/default/pods",
            f'pods is forbidden: User "{READER}" cannot list resource "pods" '
            'in API group "" in the namespace "default"',
            id="list-namespaced",
        ),
        pytest.param(
            "/api/v1/namespaces/default/pods?watch=true",
            f'pods is forbidden: User "{READER}" cannot watch resource "pods" '
            'in API group "" in the namespace "default"',
            id="watch",
        ),
        pytest.param(
            "/api/v1/nodes",
            f'nodes is forbidden: User "{READER}" cannot list resource "nodes" '
            'in API group "" at the cluster scope',
            id="cluster-scope",
        ),
        pytest.param(
            "/api/v1/namespaces/default/secrets/token",
            f'secrets "token" is forbidden: User "{READER}" cannot get resource '
            '"secrets" in API group "" in the namespace "default"',
            id="named",
        ),
        pytest.param(
            "/apis/apps/v1/namespaces/kube-system/deployments/coredns",
            f'deployments.apps "coredns" is forbidden: User "{READER}" cannot get '
            'resource "deployments" in API group "apps" in the namespace "kube-system"',
            id="group",
        ),
        pytest.param(
            "/api/v1/namespaces/default/pods/web/log",
            f'pods "web" is forbidden: User "{READER}" cannot get resource '
            '"pods/log" in API group "" in the namespace "default"',
            id="subresource",
        ),
        pytest.param(
            "/metrics",
            f'forbidden: User "{READER}" cannot get path "/metrics"',
            id="non-resource",
        ),
    ],
)
def test_a_denied_request_answers_kubernetes_forbidden_message(kube, path, message):
    assert _forbidden(kube.get(path, **AS_READER)) == message


def test_the_status_details_name_the_resource_and_group(kube):
    response = kube.get("/apis/apps/v1/namespaces/default/deployments/web", **AS_READER)
    details = _status(response, 403)["details"]
    assert details == {"name": "web", "group": "apps", "kind": "deployments"}


@pytest.mark.usefixtures("pod_reader")
def test_a_bound_role_allows_what_it_lists_and_nothing_else(kube):
    assert kube.get("/api/v1/namespaces/default/pods", **AS_READER).status_code == 200
    assert _forbidden(
        kube.delete("/api/v1/namespaces/default/pods/web", **AS_READER)
    ) == (
        f'pods "web" is forbidden: User "{READER}" cannot delete resource "pods" '
        'in API group "" in the namespace "default"'
    )
    # A RoleBinding grants in its own namespace only.
    assert (
        kube.get("/api/v1/namespaces/kube-system/pods", **AS_READER).status_code == 403
    )
    assert (
        kube.get("/api/v1/namespaces/default/secrets", **AS_READER).status_code == 403
    )


@pytest.mark.parametrize(
    "path", ["/api", "/apis", "/api/v1", "/apis/apps/v1", "/openapi/v3", "/version"]
)
def test_discovery_is_open_to_every_authenticated_user(kube, path):
    assert kube.get(path, **{"Impersonate-User": "nobody"}).status_code == 200


@pytest.mark.usefixtures("pod_reader")
@pytest.mark.parametrize(
    ("verb", "resource", "allowed"),
    [("list", "pods", True), ("get", "pods", True), ("delete", "pods", False)],
)
def test_can_i_answers_for_the_impersonated_user(kube, verb, resource, allowed):
    status = _review(kube, AS_READER, verb=verb, resource=resource, namespace="default")
    assert status["allowed"] is allowed
    if allowed:
        assert status["reason"] == (
            'RBAC: allowed by RoleBinding "read-pods/default" of Role "pod-reader" '
            'to ServiceAccount "default/reader"'
        )


def test_can_i_for_the_owner_is_still_the_administrator(kube):
    assert _review(kube, {}, verb="delete", resource="nodes")["allowed"] is True


def test_the_view_role_allows_deployments_through_aggregation(kube):
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "x"},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "view",
        },
        "subjects": [
            {"kind": "ServiceAccount", "name": "reader", "namespace": "default"}
        ],
    }
    path = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings"
    _status(kube.post(path, binding), 201)
    status = _review(
        kube,
        AS_READER,
        verb="list",
        group="apps",
        resource="deployments",
        namespace="default",
    )
    assert status["allowed"] is True
    assert (
        _review(kube, AS_READER, verb="get", resource="secrets", namespace="default")[
            "allowed"
        ]
        is False
    )


@pytest.mark.parametrize(
    ("headers", "username", "groups"),
    [
        pytest.param(
            AS_READER,
            READER,
            [
                "system:serviceaccounts",
                "system:serviceaccounts:default",
                "system:authenticated",
            ],
            id="service-account",
        ),
        pytest.param(
            {"Impersonate-User": "jane", "Impersonate-Group": "devs"},
            "jane",
            ["devs", "system:authenticated"],
            id="user-and-group",
        ),
        pytest.param(
            {"Impersonate-User": "jane"}, "jane", ["system:authenticated"], id="user"
        ),
    ],
)
def test_whoami_names_the_impersonated_user(kube, headers, username, groups):
    info = _whoami(kube, headers)
    assert info == {"username": username, "groups": groups}


def test_whoami_without_as_is_the_owner(kube, alice):
    info = _whoami(kube, {})
    assert info["username"] == alice.username
    assert info["groups"] == ["system:masters", "system:authenticated"]


def test_an_impersonated_group_gets_what_the_group_is_bound_to(kube):
    headers = {"Impersonate-User": "jane", "Impersonate-Group": "system:masters"}
    assert kube.get("/api/v1/nodes", **headers).status_code == 200


def test_a_permitted_write_is_made_while_impersonating(kube):
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "jane-edit"},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "edit",
        },
        "subjects": [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "jane"}
        ],
    }
    _status(
        kube.post("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", role), 201
    )
    body = {"metadata": {"name": "made-by-jane"}, "data": {"a": "b"}}
    response = kube.post(
        "/api/v1/namespaces/default/configmaps", body, **{"Impersonate-User": "jane"}
    )
    assert _status(response, 201)["metadata"]["name"] == "made-by-jane"


def test_groups_without_a_user_are_a_bad_request(kube):
    response = kube.get("/api/v1/pods", **{"Impersonate-Group": "devs"})
    assert _status(response, 400)["reason"] == "BadRequest"


def test_an_instructor_may_not_impersonate(client, lab, db, django_user_model):
    carol = django_user_model.objects.create_user("carol", is_superuser=True)
    kube = Kube(client, lab, auth.token_for(lab, carol))
    assert _forbidden(kube.get("/api/v1/pods", **AS_READER)) == (
        f'users "{READER}" is forbidden: User "carol" cannot impersonate resource '
        '"users" in API group "" at the cluster scope'
    )


def test_exec_is_authorized_for_the_impersonated_user(lab, alice):
    request = exec_session.ExecRequest(
        slug=lab.slug,
        namespace="default",
        pod="web",
        container="",
        command=["ls"],
        authorization=f"Bearer {auth.token_for(lab, alice)}",
        impersonation=AS_READER,
    )
    with pytest.raises(errors.ApiError) as refused:
        exec_session.open_session(request)
    assert (refused.value.code, refused.value.message) == (
        403,
        f'pods "web" is forbidden: User "{READER}" cannot get resource "pods/exec" '
        'in API group "" in the namespace "default"',
    )
