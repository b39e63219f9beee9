"""Endpoints controller: addresses, not-ready addresses and per-pod port resolution."""

import random

from cluster.actions import Create, Delete, Ref, Update
from cluster.controllers import endpoints
from tests.controllers.infra_builders import pod, service


def target(name):
    return {"kind": "Pod", "namespace": "default", "name": name, "uid": f"{name}-uid"}


def test_ready_and_not_ready_pods_split_into_addresses():
    """Ready pods are addresses, not-ready ones notReadyAddresses; pods without IP are skipped."""
    view = {
        "Service": [service()],
        "Pod": [
            pod("web-b", ip="10.244.1.9"),
            pod("web-a", ip="10.244.1.10", ready=False, node_name="worker-2"),
            pod("web-c", ip=""),
            pod("other", ip="10.244.1.11", labels={"app": "db"}),
        ],
    }
    assert endpoints.sync(view, 0, random.Random(1)) == [
        Create(
            {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {"name": "web", "namespace": "default"},
                "subsets": [
                    {
                        "addresses": [
                            {
                                "ip": "10.244.1.9",
                                "nodeName": "worker-1",
                                "targetRef": target("web-b"),
                            }
                        ],
                        "notReadyAddresses": [
                            {
                                "ip": "10.244.1.10",
                                "nodeName": "worker-2",
                                "targetRef": target("web-a"),
                            }
                        ],
                        "ports": [{"port": 8080, "protocol": "TCP"}],
                    }
                ],
            }
        )
    ]


def test_named_target_ports_resolve_per_pod_into_separate_subsets():
    """A named targetPort maps to each pod's own containerPort; pods lacking it are left out."""
    svc = service(
        ports=[{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "web"}]
    )
    pods = [
        pod("web-a", ip="10.244.1.5", ports=[{"name": "web", "containerPort": 8080}]),
        pod("web-b", ip="10.244.1.6", ports=[{"name": "web", "containerPort": 9090}]),
        pod("web-c", ip="10.244.1.7", ports=[]),
    ]
    assert endpoints.subsets(svc, pods) == [
        {
            "addresses": [
                {
                    "ip": "10.244.1.5",
                    "nodeName": "worker-1",
                    "targetRef": target("web-a"),
                }
            ],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        },
        {
            "addresses": [
                {
                    "ip": "10.244.1.6",
                    "nodeName": "worker-1",
                    "targetRef": target("web-b"),
                }
            ],
            "ports": [{"name": "http", "port": 9090, "protocol": "TCP"}],
        },
    ]


def test_terminating_pods_are_dropped_unless_not_ready_addresses_are_published():
    """publishNotReadyAddresses keeps terminating and not-ready pods under addresses."""
    pods = [
        pod("web-a", ip="10.244.1.5", deleting=True),
        pod("web-b", ip="10.244.1.6", ready=False),
    ]
    assert endpoints.subsets(service(), pods) == [
        {
            "notReadyAddresses": [
                {
                    "ip": "10.244.1.6",
                    "nodeName": "worker-1",
                    "targetRef": target("web-b"),
                }
            ],
            "ports": [{"port": 8080, "protocol": "TCP"}],
        }
    ]
    published = service(publishNotReadyAddresses=True)
    assert endpoints.subsets(published, pods) == [
        {
            "addresses": [
                {
                    "ip": "10.244.1.5",
                    "nodeName": "worker-1",
                    "targetRef": target("web-a"),
                },
                {
                    "ip": "10.244.1.6",
                    "nodeName": "worker-1",
                    "targetRef": target("web-b"),
                },
            ],
            "ports": [{"port": 8080, "protocol": "TCP"}],
        }
    ]


def test_up_to_date_endpoints_are_left_alone_and_stale_ones_updated():
    """Sync is level-based: unchanged Endpoints produce no write, changed ones one Update."""
    svc = service()
    current = endpoints.desired(svc, [pod()])
    current["metadata"].update(uid="ep-uid", resourceVersion="7")
    assert endpoints.reconcile(svc, [pod()], current) == []
    updated = endpoints.reconcile(svc, [], current)
    assert updated == [
        Update(
            {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {
                    "name": "web",
                    "namespace": "default",
                    "uid": "ep-uid",
                    "resourceVersion": "7",
                },
            }
        )
    ]


def test_services_without_selector_keep_hand_made_endpoints_and_orphans_go():
    """Selectorless Services are not touched; Endpoints without a Service are deleted."""
    manual = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "ext", "namespace": "default"},
    }
    orphan = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "gone", "namespace": "default", "uid": "u"},
    }
    view = {
        "Service": [service("ext", selector={})],
        "Endpoints": [manual, orphan],
        "Pod": [pod()],
    }
    assert endpoints.sync(view, 0, random.Random(1)) == [
        Delete(Ref("Endpoints", "default", "gone", "v1", "u"))
    ]
