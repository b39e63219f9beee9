"""EndpointSlice controller: conditions, placeholders and slice reconciliation."""

import random

from cluster.actions import Create, Delete, Ref
from cluster.controllers import endpointslice
from cluster.objects.names import generate_name
from tests.controllers import fakeapi
from tests.controllers.infra_builders import T0, pod, service

LABELS = {
    "kubernetes.io/service-name": "web",
    "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
}
OWNER = {
    "apiVersion": "v1",
    "kind": "Service",
    "name": "web",
    "uid": "web-svc-uid",
    "controller": True,
    "blockOwnerDeletion": True,
}


def ep(name, ip, ready, serving, terminating, node="worker-1"):
    return {
        "addresses": [ip],
        "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
        "targetRef": {
            "kind": "Pod",
            "namespace": "default",
            "name": name,
            "uid": f"{name}-uid",
        },
        "nodeName": node,
    }


def test_slice_carries_ready_serving_terminating_conditions():
    """Ready, not-ready and terminating pods all appear with their conditions."""
    view = {
        "Service": [service()],
        "Pod": [
            pod("web-a", ip="10.244.1.5"),
            pod("web-b", ip="10.244.1.6", ready=False),
            pod("web-c", ip="10.244.1.7", deleting=True),
            pod("web-d", ip=""),
        ],
        "Node": [],
    }
    name = generate_name("web-", random.Random(7))
    assert endpointslice.sync(view, T0, random.Random(7)) == [
        Create(
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": name,
                    "generateName": "web-",
                    "namespace": "default",
                    "labels": LABELS,
                    "ownerReferences": [OWNER],
                },
                "addressType": "IPv4",
                "endpoints": [
                    ep("web-a", "10.244.1.5", True, True, False),
                    ep("web-b", "10.244.1.6", False, False, False),
                    ep("web-c", "10.244.1.7", False, True, True),
                ],
                "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
            }
        )
    ]


def test_service_without_pods_gets_a_placeholder_slice_then_a_real_one():
    """An empty Service has one placeholder; once pods come it is replaced, then stable."""
    view = {"Service": [service()], "Pod": [], "Node": []}
    rng = random.Random(3)
    first = endpointslice.sync(view, T0, rng)
    assert [(a.obj["endpoints"], a.obj["ports"]) for a in first] == [([], None)]
    fakeapi.apply(view, first, T0)
    placeholder = view["EndpointSlice"][0]
    view["Pod"] = [pod("web-a", ip="10.244.1.5")]
    second = endpointslice.sync(view, T0, rng)
    assert second[1:] == [
        Delete(
            Ref(
                "EndpointSlice",
                "default",
                placeholder["metadata"]["name"],
                "discovery.k8s.io/v1",
                placeholder["metadata"]["uid"],
            )
        )
    ]
    assert second[0].obj["endpoints"] == [ep("web-a", "10.244.1.5", True, True, False)]
    fakeapi.apply(view, second, T0)
    assert endpointslice.sync(view, T0, rng) == []


def test_selectorless_services_get_no_slices():
    """Slices of a selectorless Service come from elsewhere."""
    view = {"Service": [service(selector={})], "Pod": [pod()], "Node": []}
    assert endpointslice.sync(view, T0, random.Random(1)) == []
