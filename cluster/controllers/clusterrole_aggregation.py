"""ClusterRole aggregation (`clusterrole-aggregation-controller`): a ClusterRole with an
`aggregationRule` holds the rules of every ClusterRole its selectors match.

For each selector in order, the matching ClusterRoles (by name, never the role itself)
give their rules; a rule already taken is not repeated. A new cluster's `admin`,
`edit` and `view` come filled (`cluster.bootstrap_rbac` runs this sync once, as the
controller manager would on start); a ClusterRole labelled
`rbac.authorization.k8s.io/aggregate-to-view: "true"` widens `view` (and through it
`edit` and `admin`) a moment after it is created.
"""

from __future__ import annotations

import random

from cluster.actions import Action, Update
from cluster.controllers.meta import objects
from cluster.objects import selectors

COMPONENT = "clusterrole-aggregation-controller"


def sync(view: dict, now: float, rng: random.Random) -> list[Action]:
    """Update each aggregated ClusterRole whose rules differ from what it selects.

    Aggregated roles may select each other (`view` is part of `edit`, `edit` of
    `admin`), so the rules are worked out to a fixed point first and each role is
    written once, with its final rules.
    """
    roles = sorted(objects(view, "ClusterRole"), key=_name)
    current = {_name(r): r for r in roles}
    for _ in range(len(roles)):
        changed = False
        for name, role in current.items():
            if role.get("aggregationRule") is None:
                continue
            want = aggregated_rules(role, list(current.values()))
            if (role.get("rules") or []) != want:
                current[name] = {**role, "rules": want}
                changed = True
        if not changed:
            break
    return [
        Update(current[_name(role)])
        for role in roles
        if current[_name(role)] is not role
    ]


def next_wake(view: dict, now: float) -> float | None:
    """It follows ClusterRoles only; nothing is timed."""
    return None


def aggregated_rules(role: dict, roles: list[dict]) -> list[dict]:
    """The rules of the ClusterRoles `role`'s selectors match, in selector order then
    name order, each distinct rule once."""
    rules: list[dict] = []
    terms = (role.get("aggregationRule") or {}).get("clusterRoleSelectors") or []
    for term in terms:
        try:
            selector = selectors.from_label_selector(term)
        except (KeyError, TypeError, ValueError):
            continue
        for other in sorted(roles, key=_name):
            if _name(other) == _name(role):
                continue
            labels = (other.get("metadata") or {}).get("labels") or {}
            if not selectors.matches(selector, labels):
                continue
            for rule in other.get("rules") or []:
                if rule not in rules:
                    rules.append(rule)
    return rules


def _name(role: dict) -> str:
    return (role.get("metadata") or {}).get("name", "")
