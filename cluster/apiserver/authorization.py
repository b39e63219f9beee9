"""Authorize one request with RBAC against a cluster's stored policy.

The policy is read straight from the store, as kube-apiserver's authorizer reads its
informer cache: it is no API call of the requester's and shows on no diagram.
"""

from __future__ import annotations

from cluster import kinds, store
from cluster.apiserver import rbac

_POLICY_KINDS = {
    kind.bucket: kind
    for kind in map(
        kinds.by_kind, ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
    )
}


def load_policy(cluster_id: int) -> rbac.Policy:
    """The cluster's Roles, ClusterRoles, RoleBindings and ClusterRoleBindings."""
    by_bucket, _ = store.list_buckets(cluster_id, _POLICY_KINDS)
    by_kind = {_POLICY_KINDS[b].kind: items for b, items in by_bucket.items()}
    return rbac.Policy(
        roles=by_kind["Role"],
        cluster_roles=by_kind["ClusterRole"],
        role_bindings=by_kind["RoleBinding"],
        cluster_role_bindings=by_kind["ClusterRoleBinding"],
    )


def authorize(
    cluster_id: int, user: rbac.UserInfo, attrs: rbac.Attributes
) -> rbac.Decision:
    """RBAC's decision for `user` making the request `attrs` on the cluster."""
    if rbac.PRIVILEGED_GROUP in user.groups:
        return rbac.Decision(True, "")
    return rbac.authorize(user, attrs, load_policy(cluster_id))
