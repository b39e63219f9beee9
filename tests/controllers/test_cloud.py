"""Cloud controllers: load balancer IPs, node initialization and removal."""

import random

import pytest

from cluster.actions import Delete, Patch, RecordEvent, Ref
from cluster.controllers import cloud
from tests.controllers import fakeapi
from tests.controllers.infra_builders import node


def lb(name, ip=None, finalizers=None, **spec):
    meta = {"name": name, "namespace": "default", "uid": f"{name}-uid"}
    if finalizers:
        meta["finalizers"] = finalizers
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}], **spec},
    }
    if ip:
        svc["status"] = {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]}}
    return svc


def svc_ref(name):
    return Ref("Service", "default", name, "v1", f"{name}-uid")


def test_load_balancer_gets_the_lowest_free_ip_with_events():
    """Ensuring, finalizer, Ensured, then the ingress IP: .1 is taken so .2 is given."""
    view = {
        "Service": [
            lb("api", ip="203.0.113.1", finalizers=[cloud.LB_FINALIZER]),
            lb("web"),
        ]
    }
    assert cloud.sync(view, 0, random.Random(1)) == [
        RecordEvent(
            svc_ref("web"),
            "Normal",
            "EnsuringLoadBalancer",
            "Ensuring load balancer",
            "service-controller",
        ),
        Patch(
            svc_ref("web"),
            {
                "metadata": {
                    "finalizers": ["service.kubernetes.io/load-balancer-cleanup"]
                }
            },
        ),
        RecordEvent(
            svc_ref("web"),
            "Normal",
            "EnsuredLoadBalancer",
            "Ensured load balancer",
            "service-controller",
        ),
        Patch(
            svc_ref("web"),
            {
                "status": {
                    "loadBalancer": {
                        "ingress": [{"ip": "203.0.113.2", "ipMode": "VIP"}]
                    }
                }
            },
            "status",
        ),
    ]


def test_allocation_is_stable_and_each_service_gets_its_own_ip():
    """Two new Services in one sync get distinct IPs; a second sync does nothing."""
    view = {"Service": [lb("a"), lb("b")]}
    fakeapi.apply(view, cloud.sync(view, 0, random.Random(1)), 0)
    assert [cloud.ingress_ips(s) for s in view["Service"]] == [
        ["203.0.113.1"],
        ["203.0.113.2"],
    ]
    assert cloud.sync(view, 0, random.Random(1)) == []


def test_service_that_stops_being_a_load_balancer_releases_it():
    """Changing the type deletes the load balancer and removes the cleanup finalizer."""
    svc = lb("web", ip="203.0.113.1", finalizers=[cloud.LB_FINALIZER])
    svc["spec"]["type"] = "ClusterIP"
    assert cloud.sync_services({"Service": [svc]}) == [
        RecordEvent(
            svc_ref("web"),
            "Normal",
            "DeletingLoadBalancer",
            "Deleting load balancer",
            "service-controller",
        ),
        Patch(svc_ref("web"), {"status": {"loadBalancer": {}}}, "status"),
        Patch(svc_ref("web"), {"metadata": {"finalizers": None}}),
        RecordEvent(
            svc_ref("web"),
            "Normal",
            "DeletedLoadBalancer",
            "Deleted load balancer",
            "service-controller",
        ),
    ]


def test_uninitialized_node_gets_provider_id_topology_and_loses_the_taint():
    """cloud-node-controller initializes a node from its machine."""
    taints = [
        {
            "key": "node.cloudprovider.kubernetes.io/uninitialized",
            "value": "true",
            "effect": "NoSchedule",
        }
    ]
    view = {
        "Node": [node(taints=taints)],
        "Machine": [
            {"name": "worker-1", "powered": True, "zone": "lab-1b", "region": "lab-1"}
        ],
    }
    assert cloud.sync_nodes(view, "demo") == [
        Patch(
            Ref("Node", None, "worker-1", "v1", "worker-1-uid"),
            {
                "metadata": {
                    "labels": {
                        "node.kubernetes.io/instance-type": "kubelab.standard",
                        "topology.kubernetes.io/region": "lab-1",
                        "topology.kubernetes.io/zone": "lab-1b",
                    }
                },
                "spec": {"taints": None, "providerID": "kubelab://demo/worker-1"},
            },
        )
    ]


@pytest.mark.parametrize(
    ("ready", "expected"),
    [
        pytest.param("True", [], id="ready-node-is-kept"),
        pytest.param(
            "Unknown",
            [
                RecordEvent(
                    Ref("Node", None, "worker-3", "v1", "worker-3-uid"),
                    "Normal",
                    "DeletingNode",
                    "Deleting node worker-3 because it does not exist in the cloud provider",
                    "cloud-node-lifecycle-controller",
                ),
                Delete(Ref("Node", None, "worker-3", "v1", "worker-3-uid")),
            ],
            id="not-ready-node-is-deleted",
        ),
    ],
)
def test_node_without_machine_is_deleted_once_not_ready(ready, expected):
    """A node whose machine is gone from the cloud is deleted when it is not ready."""
    n = node("worker-3", ready=ready)
    n["spec"]["providerID"] = "kubelab://kubelab/worker-3"
    assert cloud.sync_nodes({"Node": [n], "Machine": []}) == expected
