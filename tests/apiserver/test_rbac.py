"""The RBAC authorizer and the request attributes it is asked about."""

from __future__ import annotations

import pytest

from cluster import bootstrap
from cluster.apiserver import rbac, requestinfo
from cluster.apiserver.rbac import Attributes, UserInfo
from cluster.controllers import clusterrole_aggregation

READER = rbac.service_account_user("default", "reader")
JANE = UserInfo("jane", ("devs", "system:authenticated"))


def rule(verbs, groups=("",), resources=(), names=None, urls=None) -> dict:
    if urls is not None:
        return {"verbs": list(verbs), "nonResourceURLs": list(urls)}
    out = {
        "verbs": list(verbs),
        "apiGroups": list(groups),
        "resources": list(resources),
    }
    if names is not None:
        out["resourceNames"] = list(names)
    return out


def cluster_role(name, *rules) -> dict:
    return {"kind": "ClusterRole", "metadata": {"name": name}, "rules": list(rules)}


def role(name, namespace, *rules) -> dict:
    return {
        "kind": "Role",
        "metadata": {"name": name, "namespace": namespace},
        "rules": list(rules),
    }


def binding(name, role_kind, role_name, *subjects, namespace=None) -> dict:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {
        "kind": "RoleBinding" if namespace else "ClusterRoleBinding",
        "metadata": meta,
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": role_kind,
            "name": role_name,
        },
        "subjects": list(subjects),
    }


def sa(name, namespace=None) -> dict:
    return {
        "kind": "ServiceAccount",
        "name": name,
        **({"namespace": namespace} if namespace else {}),
    }


def user(name) -> dict:
    return {"kind": "User", "name": name, "apiGroup": "rbac.authorization.k8s.io"}


def group(name) -> dict:
    return {"kind": "Group", "name": name, "apiGroup": "rbac.authorization.k8s.io"}


def allowed_by_rule(the_rule, attrs, who=JANE) -> bool:
    policy = rbac.Policy(
        cluster_roles=[cluster_role("r", the_rule)],
        cluster_role_bindings=[binding("b", "ClusterRole", "r", user(who.name))],
    )
    return rbac.authorize(who, attrs, policy).allowed


PODS = Attributes("list", "", "pods", namespace="default")


@pytest.mark.parametrize(
    ("the_rule", "attrs", "allowed"),
    [
        pytest.param(rule(["list"], resources=["pods"]), PODS, True, id="exact"),
        pytest.param(rule(["get"], resources=["pods"]), PODS, False, id="other-verb"),
        pytest.param(rule(["*"], resources=["pods"]), PODS, True, id="any-verb"),
        pytest.param(rule(["list"], ["apps"], ["pods"]), PODS, False, id="other-group"),
        pytest.param(rule(["list"], ["*"], ["pods"]), PODS, True, id="any-group"),
        pytest.param(rule(["list"], resources=["*"]), PODS, True, id="any-resource"),
        pytest.param(
            rule(["get"], resources=["pods"]),
            Attributes("get", "", "pods", "log", "web", "default"),
            False,
            id="resource-is-not-its-subresource",
        ),
        pytest.param(
            rule(["get"], resources=["pods/log"]),
            Attributes("get", "", "pods", "log", "web", "default"),
            True,
            id="subresource",
        ),
        pytest.param(
            rule(["get"], ["*"], ["*/scale"]),
            Attributes("get", "apps", "deployments", "scale", "web", "default"),
            True,
            id="star-slash-subresource",
        ),
        pytest.param(
            rule(["get"], ["*"], ["*/scale"]),
            Attributes("get", "apps", "deployments", "status", "web", "default"),
            False,
            id="star-slash-other-subresource",
        ),
        pytest.param(
            rule(["get"], resources=["secrets"], names=["token"]),
            Attributes("get", "", "secrets", name="token", namespace="default"),
            True,
            id="resource-name",
        ),
        pytest.param(
            rule(["get"], resources=["secrets"], names=["token"]),
            Attributes("get", "", "secrets", name="other", namespace="default"),
            False,
            id="other-resource-name",
        ),
        pytest.param(
            rule(["list"], resources=["secrets"], names=["token"]),
            Attributes("list", "", "secrets", namespace="default"),
            False,
            id="resource-names-never-allow-an-unnamed-list",
        ),
        pytest.param(
            rule(["get"], urls=["/healthz"]),
            Attributes("get", path="/healthz"),
            True,
            id="url",
        ),
        pytest.param(
            rule(["get"], urls=["/apis/*"]),
            Attributes("get", path="/apis/apps/v1"),
            True,
            id="url-prefix",
        ),
        pytest.param(
            rule(["get"], urls=["/apis/*"]),
            Attributes("get", path="/api"),
            False,
            id="url-prefix-elsewhere",
        ),
        pytest.param(
            rule(["get"], urls=["*"]),
            Attributes("get", path="/metrics"),
            True,
            id="any-url",
        ),
        pytest.param(
            rule(["get"], resources=["*"]),
            Attributes("get", path="/metrics"),
            False,
            id="resource-rule-is-no-url-rule",
        ),
        pytest.param(
            rule(["get"], urls=["*"]),
            Attributes("get", "", "pods", name="web", namespace="default"),
            False,
            id="url-rule-is-no-resource-rule",
        ),
    ],
)
def test_rules_match_as_kubernetes_matches_them(the_rule, attrs, allowed):
    assert allowed_by_rule(the_rule, attrs) is allowed


READ_PODS = role("pod-reader", "default", rule(["get", "list"], resources=["pods"]))
VIEW_PODS = cluster_role("view-pods", rule(["get", "list"], resources=["pods"]))


@pytest.mark.parametrize(
    ("policy", "who", "attrs", "allowed"),
    [
        pytest.param(
            rbac.Policy(
                roles=[READ_PODS],
                role_bindings=[
                    binding(
                        "b", "Role", "pod-reader", sa("reader"), namespace="default"
                    )
                ],
            ),
            READER,
            PODS,
            True,
            id="service-account-in-the-binding-namespace",
        ),
        pytest.param(
            rbac.Policy(
                roles=[READ_PODS],
                role_bindings=[
                    binding(
                        "b", "Role", "pod-reader", sa("reader"), namespace="default"
                    )
                ],
            ),
            READER,
            Attributes("list", "", "pods", namespace="kube-system"),
            False,
            id="role-binding-grants-only-in-its-namespace",
        ),
        pytest.param(
            rbac.Policy(
                roles=[READ_PODS],
                role_bindings=[
                    binding(
                        "b", "Role", "pod-reader", sa("reader"), namespace="default"
                    )
                ],
            ),
            READER,
            Attributes("list", "", "pods"),
            False,
            id="role-binding-never-grants-across-namespaces",
        ),
        pytest.param(
            rbac.Policy(
                cluster_roles=[VIEW_PODS],
                role_bindings=[
                    binding(
                        "b",
                        "ClusterRole",
                        "view-pods",
                        sa("reader"),
                        namespace="default",
                    )
                ],
            ),
            READER,
            PODS,
            True,
            id="role-binding-to-a-cluster-role",
        ),
        pytest.param(
            rbac.Policy(
                cluster_roles=[VIEW_PODS],
                cluster_role_bindings=[
                    binding("b", "ClusterRole", "view-pods", sa("reader", "default"))
                ],
            ),
            READER,
            Attributes("list", "", "pods"),
            True,
            id="cluster-role-binding-everywhere",
        ),
        pytest.param(
            rbac.Policy(
                cluster_roles=[VIEW_PODS],
                cluster_role_bindings=[
                    binding("b", "ClusterRole", "view-pods", sa("reader", "other"))
                ],
            ),
            READER,
            PODS,
            False,
            id="service-account-of-another-namespace",
        ),
        pytest.param(
            rbac.Policy(
                cluster_roles=[VIEW_PODS],
                cluster_role_bindings=[
                    binding(
                        "b", "ClusterRole", "view-pods", group("system:serviceaccounts")
                    )
                ],
            ),
            READER,
            PODS,
            True,
            id="service-account-groups",
        ),
        pytest.param(
            rbac.Policy(
                cluster_roles=[VIEW_PODS],
                cluster_role_bindings=[
                    binding("b", "ClusterRole", "view-pods", group("devs"))
                ],
            ),
            JANE,
            PODS,
            True,
            id="group",
        ),
        pytest.param(
            rbac.Policy(
                cluster_role_bindings=[
                    binding("b", "ClusterRole", "missing", user("jane"))
                ],
            ),
            JANE,
            PODS,
            False,
            id="missing-role",
        ),
        pytest.param(
            rbac.Policy(
                roles=[READ_PODS],
                cluster_role_bindings=[
                    binding("b", "Role", "pod-reader", user("jane"))
                ],
            ),
            JANE,
            PODS,
            False,
            id="cluster-role-binding-cannot-name-a-role",
        ),
        pytest.param(
            rbac.Policy(),
            UserInfo("root", ("system:masters",)),
            Attributes("delete", "", "nodes", name="n1"),
            True,
            id="system-masters",
        ),
        pytest.param(rbac.Policy(), JANE, PODS, False, id="nothing-bound"),
    ],
)
def test_bindings_grant_to_their_subjects(policy, who, attrs, allowed):
    assert rbac.authorize(who, attrs, policy).allowed is allowed


def test_an_allowed_decision_names_its_binding():
    policy = rbac.Policy(
        cluster_roles=[VIEW_PODS],
        cluster_role_bindings=[
            binding("b", "ClusterRole", "view-pods", sa("reader", "default"))
        ],
    )
    assert rbac.authorize(READER, PODS, policy).reason == (
        'RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "view-pods" '
        'to ServiceAccount "default/reader"'
    )


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        (
            PODS,
            'User "u" cannot list resource "pods" in API group "" '
            'in the namespace "default"',
        ),
        (
            Attributes("get", "", "nodes", name="n1"),
            'User "u" cannot get resource "nodes" in API group "" at the cluster scope',
        ),
        (
            Attributes("create", "", "pods", "exec", "web", "default"),
            'User "u" cannot create resource "pods/exec" in API group "" '
            'in the namespace "default"',
        ),
        (Attributes("get", path="/metrics"), 'User "u" cannot get path "/metrics"'),
    ],
)
def test_forbidden_messages_are_kube_apiservers(attrs, message):
    assert rbac.forbidden_message(UserInfo("u"), attrs) == message


@pytest.mark.parametrize(
    ("name", "split"),
    [
        ("system:serviceaccount:default:reader", ("default", "reader")),
        ("system:serviceaccount:default", None),
        ("system:serviceaccount::reader", None),
        ("jane", None),
    ],
)
def test_service_account_usernames(name, split):
    assert rbac.split_service_account(name) == split


@pytest.mark.parametrize(
    ("method", "path", "query", "attrs"),
    [
        ("GET", "/api/v1/namespaces/default/pods", {}, PODS),
        (
            "GET",
            "/api/v1/namespaces/default/pods",
            {"watch": "true"},
            Attributes("watch", "", "pods", namespace="default"),
        ),
        (
            "GET",
            "/api/v1/namespaces/default/pods",
            {"watch": "true", "fieldSelector": "metadata.name=web"},
            Attributes("watch", "", "pods", name="web", namespace="default"),
        ),
        (
            "GET",
            "/api/v1/namespaces/default/pods/web/log",
            {},
            Attributes("get", "", "pods", "log", "web", "default"),
        ),
        (
            "POST",
            "/api/v1/namespaces/default/pods/web/exec",
            {},
            Attributes("create", "", "pods", "exec", "web", "default"),
        ),
        (
            "DELETE",
            "/apis/apps/v1/namespaces/default/deployments",
            {},
            Attributes("deletecollection", "apps", "deployments", namespace="default"),
        ),
        (
            "PATCH",
            "/apis/apps/v1/namespaces/default/deployments/web/scale",
            {},
            Attributes("patch", "apps", "deployments", "scale", "web", "default"),
        ),
        ("GET", "/api/v1/nodes", {}, Attributes("list", "", "nodes")),
        (
            "GET",
            "/api/v1/namespaces/team",
            {},
            Attributes("get", "", "namespaces", name="team", namespace="team"),
        ),
        (
            "PUT",
            "/api/v1/namespaces/team/finalize",
            {},
            Attributes("update", "", "namespaces", "finalize", "team", "team"),
        ),
        ("GET", "/api", {}, Attributes("get", path="/api")),
        ("GET", "/api/v1", {}, Attributes("get", path="/api/v1")),
        ("GET", "/apis/apps/v1", {}, Attributes("get", path="/apis/apps/v1")),
        ("GET", "/openapi/v3", {}, Attributes("get", path="/openapi/v3")),
        ("POST", "/version", {}, Attributes("post", path="/version")),
    ],
)
def test_request_attributes_are_read_from_method_and_path(method, path, query, attrs):
    assert requestinfo.attributes(method, path, query) == attrs


# --- the bootstrap policy ------------------------------------------------------------
def _bootstrap() -> rbac.Policy:
    objects = bootstrap.rbac_policy()
    by_kind: dict[str, list] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], []).append(obj)
    roles = by_kind["ClusterRole"]
    # The aggregation controller fills admin, edit and view, in that dependency order.
    for name in ("view", "edit", "admin"):
        target = next(r for r in roles if r["metadata"]["name"] == name)
        target["rules"] = clusterrole_aggregation.aggregated_rules(target, roles)
    return rbac.Policy(
        roles=by_kind["Role"],
        cluster_roles=roles,
        role_bindings=by_kind["RoleBinding"],
        cluster_role_bindings=by_kind["ClusterRoleBinding"],
    )


def test_the_bootstrap_policy_has_kubeadms_cluster_roles():
    names = {
        o["metadata"]["name"]
        for o in bootstrap.rbac_policy()
        if o["kind"] == "ClusterRole"
    }
    assert {
        "cluster-admin",
        "admin",
        "edit",
        "view",
        "system:basic-user",
        "system:discovery",
        "system:public-info-viewer",
        "system:node",
        "system:node-proxier",
        "system:kube-scheduler",
        "system:kube-controller-manager",
        "system:coredns",
        "kubeadm:get-nodes",
        "system:controller:deployment-controller",
        "system:controller:clusterrole-aggregation-controller",
    } <= names
    assert len(names) == 66


@pytest.mark.parametrize(
    ("who", "attrs", "allowed"),
    [
        (JANE, Attributes("get", path="/api"), True),
        (JANE, Attributes("get", path="/apis/apps/v1"), True),
        (JANE, Attributes("get", path="/openapi/v3"), True),
        (JANE, Attributes("get", path="/version"), True),
        (
            UserInfo("system:anonymous", ("system:unauthenticated",)),
            Attributes("get", path="/version"),
            True,
        ),
        (
            UserInfo("system:anonymous", ("system:unauthenticated",)),
            Attributes("get", path="/api"),
            False,
        ),
        (
            JANE,
            Attributes("create", "authorization.k8s.io", "selfsubjectaccessreviews"),
            True,
        ),
        (JANE, Attributes("list", "", "pods", namespace="default"), False),
        (
            UserInfo("system:kube-scheduler", ("system:authenticated",)),
            Attributes("create", "", "pods", "binding", "web", "default"),
            True,
        ),
        (
            rbac.service_account_user("kube-system", "kube-proxy"),
            Attributes("list", "discovery.k8s.io", "endpointslices"),
            True,
        ),
        (
            rbac.service_account_user("kube-system", "deployment-controller"),
            Attributes("create", "apps", "replicasets", namespace="default"),
            True,
        ),
    ],
)
def test_the_bootstrap_policy_grants_what_kubernetes_grants(who, attrs, allowed):
    assert rbac.authorize(who, attrs, _bootstrap()).allowed is allowed


@pytest.mark.parametrize(
    ("role_name", "attrs", "allowed"),
    [
        ("view", Attributes("list", "apps", "deployments", namespace="d"), True),
        ("view", Attributes("get", "", "secrets", name="s", namespace="d"), False),
        ("edit", Attributes("get", "", "secrets", name="s", namespace="d"), True),
        (
            "edit",
            Attributes("create", "rbac.authorization.k8s.io", "roles", namespace="d"),
            False,
        ),
        (
            "admin",
            Attributes("create", "rbac.authorization.k8s.io", "roles", namespace="d"),
            True,
        ),
        ("admin", Attributes("list", "", "nodes"), False),
    ],
)
def test_aggregated_roles_nest_view_in_edit_in_admin(role_name, attrs, allowed):
    policy = _bootstrap()
    policy.role_bindings = [
        binding("b", "ClusterRole", role_name, user("jane"), namespace="d")
    ]
    assert rbac.authorize(JANE, attrs, policy).allowed is allowed
