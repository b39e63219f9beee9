"""clusterrole-aggregation-controller: an aggregated ClusterRole holds its selection's
rules."""

import random

import pytest

from cluster.actions import Update
from cluster.controllers import clusterrole_aggregation as aggregation

PODS = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}
DEPLOYMENTS = {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]}
SECRETS = {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}


def role(name, rules=(), labels=None, selects=None, version="7") -> dict:
    obj = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name, "resourceVersion": version},
        "rules": list(rules),
    }
    if labels:
        obj["metadata"]["labels"] = labels
    if selects is not None:
        obj["aggregationRule"] = {"clusterRoleSelectors": selects}
        obj["rules"] = list(rules) or None
    return obj


TO_VIEW = {"aggregate-to-view": "true"}
SELECT_VIEW = [{"matchLabels": TO_VIEW}]


def sync(*roles):
    return aggregation.sync({"ClusterRole": list(roles)}, 0.0, random.Random(1))


def test_an_aggregated_role_gets_the_rules_of_the_roles_it_selects_by_name():
    b = role("b-pods", [PODS], TO_VIEW)
    a = role("a-deploy", [DEPLOYMENTS, PODS], TO_VIEW)
    view = role("view", selects=SELECT_VIEW)
    assert sync(view, b, a, role("other", [SECRETS])) == [
        Update({**view, "rules": [DEPLOYMENTS, PODS]})
    ]


def test_a_role_already_holding_its_selection_is_left_alone():
    view = role("view", [PODS], selects=SELECT_VIEW)
    assert sync(view, role("pods", [PODS], TO_VIEW)) == []


def test_rules_of_a_role_no_longer_selected_are_dropped():
    view = role("view", [PODS, SECRETS], selects=SELECT_VIEW)
    assert sync(view, role("pods", [PODS], TO_VIEW)) == [
        Update({**view, "rules": [PODS]})
    ]


def test_a_selection_that_is_gone_leaves_no_rules():
    view = role("view", [PODS], selects=SELECT_VIEW)
    assert sync(view) == [Update({**view, "rules": []})]


def test_nested_aggregation_is_written_once_with_its_final_rules():
    """admin selects edit, edit selects view: all three are right after one sync."""
    admin = role("admin", selects=[{"matchLabels": {"to-admin": "true"}}])
    edit = role(
        "edit",
        labels={"to-admin": "true"},
        selects=[{"matchLabels": {"to-edit": "true"}}],
    )
    view = role("view", labels={"to-edit": "true"}, selects=SELECT_VIEW)
    pods = role("pods", [PODS], TO_VIEW)
    secrets = role("secrets", [SECRETS], {"to-edit": "true"})
    assert sync(admin, edit, view, pods, secrets) == [
        Update({**admin, "rules": [SECRETS, PODS]}),
        Update({**edit, "rules": [SECRETS, PODS]}),
        Update({**view, "rules": [PODS]}),
    ]


@pytest.mark.parametrize(
    ("selects", "rules"),
    [
        pytest.param(
            [
                {
                    "matchExpressions": [
                        {"key": "tier", "operator": "In", "values": ["a"]}
                    ]
                }
            ],
            [PODS],
            id="match-expressions",
        ),
        pytest.param(
            [{"matchLabels": {"tier": "b"}}, {"matchLabels": {"tier": "a"}}],
            [SECRETS, PODS],
            id="selector-order-first",
        ),
    ],
)
def test_selectors_are_label_selectors_taken_in_order(selects, rules):
    agg = role("agg", selects=selects)
    got = sync(
        agg, role("a", [PODS], {"tier": "a"}), role("b", [SECRETS], {"tier": "b"})
    )
    assert got == [Update({**agg, "rules": rules})]


def test_a_role_never_aggregates_itself():
    agg = role("agg", [PODS], labels=TO_VIEW, selects=SELECT_VIEW)
    assert sync(agg) == [Update({**agg, "rules": []})]
