"""Namespace controller: content deletion, deletion conditions and finalize."""

import random

from cluster.actions import Delete, Patch, Ref
from cluster.controllers import namespace
from cluster.simtime import rfc3339
from tests.controllers import fakeapi

T0 = 1_767_225_600.0
NS_REF = Ref("Namespace", None, "team", "v1", "ns-uid")


def ns():
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "team", "uid": "ns-uid", "deletionTimestamp": rfc3339(T0)},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Terminating"},
    }


def obj(kind, api_version, name, finalizers=None):
    meta = {"name": name, "namespace": "team", "uid": f"{name}-uid"}
    if finalizers:
        meta["finalizers"] = finalizers
    return {"apiVersion": api_version, "kind": kind, "metadata": meta}


def cond(type_, status, reason, message):
    return {
        "type": type_,
        "status": status,
        "lastTransitionTime": rfc3339(T0),
        "reason": reason,
        "message": message,
    }


STEADY = [
    cond(
        "NamespaceDeletionDiscoveryFailure",
        "False",
        "ResourcesDiscovered",
        "All resources successfully discovered",
    ),
    cond(
        "NamespaceDeletionGroupVersionParsingFailure",
        "False",
        "ParsedGroupVersions",
        "All legacy kube types successfully parsed",
    ),
    cond(
        "NamespaceDeletionContentFailure",
        "False",
        "ContentDeleted",
        "All content successfully deleted, may be waiting on finalization",
    ),
]


def test_terminating_namespace_deletes_content_and_reports_what_remains():
    """Every object is deleted and the conditions name what is left and which finalizers hold it."""
    view = {
        "Namespace": [ns()],
        "Pod": [obj("Pod", "v1", "a"), obj("Pod", "v1", "b")],
        "Deployment": [
            obj("Deployment", "apps/v1", "web", finalizers=["example.com/hold"])
        ],
        "ConfigMap": [
            {
                **obj("ConfigMap", "v1", "x"),
                "metadata": {"name": "x", "namespace": "other"},
            }
        ],
    }
    assert namespace.sync(view, T0, random.Random(1)) == [
        Delete(
            Ref("Deployment", "team", "web", "apps/v1", "web-uid"),
            propagation_policy="Background",
        ),
        Delete(Ref("Pod", "team", "a", "v1", "a-uid"), propagation_policy="Background"),
        Delete(Ref("Pod", "team", "b", "v1", "b-uid"), propagation_policy="Background"),
        Patch(
            NS_REF,
            {
                "status": {
                    "phase": "Terminating",
                    "conditions": STEADY
                    + [
                        cond(
                            "NamespaceContentRemaining",
                            "True",
                            "SomeResourcesRemain",
                            "Some resources are remaining: deployments.apps has 1 resource instances, pods. has 2 resource instances",
                        ),
                        cond(
                            "NamespaceFinalizersRemaining",
                            "True",
                            "SomeFinalizersRemain",
                            "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances",
                        ),
                    ],
                }
            },
            "status",
        ),
    ]


def test_empty_terminating_namespace_is_finalized_once():
    """With nothing left the `kubernetes` finalizer is removed through `finalize`."""
    view = {"Namespace": [ns()]}
    actions = namespace.sync(view, T0, random.Random(1))
    assert actions[-1] == Patch(NS_REF, {"spec": {"finalizers": None}}, "finalize")
    fakeapi.apply(view, actions, T0)
    assert namespace.sync(view, T0 + 5, random.Random(1)) == []


def test_active_namespaces_are_left_alone():
    """Without a deletionTimestamp nothing happens."""
    live = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "team"},
        "spec": {"finalizers": ["kubernetes"]},
    }
    assert (
        namespace.sync(
            {"Namespace": [live], "Pod": [obj("Pod", "v1", "a")]}, T0, random.Random(1)
        )
        == []
    )
