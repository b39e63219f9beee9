"""The cloud-controller-manager: load balancers and node initialization over a simulated cloud.

`service-controller` gives each LoadBalancer Service the lowest free IP of the
cloud's pool (`203.0.113.0/24` unless told otherwise) in status.loadBalancer.ingress
and releases it when the Service stops wanting one. `cloud-node-controller` sets a
node's providerID (`kubelab://<cluster>/<node>`) and zone/region labels, then removes
the `node.cloudprovider.kubernetes.io/uninitialized` taint. `cloud-node-lifecycle-
controller` deletes not-ready nodes whose machine no longer exists and taints
not-ready nodes whose machine is powered off. The cloud is the view's pseudo-kind
"Machine": dicts `{"name", "powered", "zone", "region", "instanceType"}`.
"""

from __future__ import annotations

import ipaddress
import random

from cluster.actions import Action, Delete, Patch
from cluster.controllers.meta import event, objects, ref_of
from cluster.objects import pods as podutil

SERVICE_COMPONENT = "service-controller"
NODE_COMPONENT = "cloud-node-controller"
NODE_LIFECYCLE_COMPONENT = "cloud-node-lifecycle-controller"
DEFAULT_POOL = "203.0.113.0/24"
DEFAULT_CLUSTER = "kubelab"
DEFAULT_REGION = "kubelab-1"
DEFAULT_ZONE = "kubelab-1a"
DEFAULT_INSTANCE_TYPE = "kubelab.standard"

LB_FINALIZER = "service.kubernetes.io/load-balancer-cleanup"
TAINT_UNINITIALIZED = "node.cloudprovider.kubernetes.io/uninitialized"
TAINT_SHUTDOWN = "node.cloudprovider.kubernetes.io/shutdown"
LABEL_ZONE = "topology.kubernetes.io/zone"
LABEL_REGION = "topology.kubernetes.io/region"
LABEL_INSTANCE_TYPE = "node.kubernetes.io/instance-type"

REASON_ENSURING = "EnsuringLoadBalancer"
MESSAGE_ENSURING = "Ensuring load balancer"
REASON_ENSURED = "EnsuredLoadBalancer"
MESSAGE_ENSURED = "Ensured load balancer"
REASON_DELETING_LB = "DeletingLoadBalancer"
MESSAGE_DELETING_LB = "Deleting load balancer"
REASON_DELETED_LB = "DeletedLoadBalancer"
MESSAGE_DELETED_LB = "Deleted load balancer"
REASON_SYNC_FAILED = "SyncLoadBalancerFailed"
MESSAGE_POOL_EXHAUSTED = (
    "Error syncing load balancer: failed to ensure load balancer: no free IP in pool {}"
)
REASON_DELETING_NODE = "DeletingNode"
MESSAGE_DELETING_NODE = (
    "Deleting node {} because it does not exist in the cloud provider"
)


def sync(
    view: dict,
    now: float,
    rng: random.Random,
    pool: str = DEFAULT_POOL,
    cluster: str = DEFAULT_CLUSTER,
) -> list[Action]:
    """Load balancers for Services, then node initialization and removal."""
    return sync_services(view, pool) + sync_nodes(view, cluster)


def next_wake(view: dict, now: float) -> float | None:
    """The cloud controllers follow the view only; nothing is timed."""
    return None


def wants_load_balancer(svc: dict) -> bool:
    """A live type=LoadBalancer Service without a loadBalancerClass of another controller."""
    spec = svc.get("spec") or {}
    return (
        spec.get("type") == "LoadBalancer"
        and not spec.get("loadBalancerClass")
        and not podutil.is_terminating(svc)
    )


def ingress_ips(svc: dict) -> list[str]:
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return [i["ip"] for i in ingress if i.get("ip")]


def allocate_ip(svc: dict, used: set[str], pool: str) -> str | None:
    """spec.loadBalancerIP when free and in the pool, else the lowest free address."""
    network = ipaddress.ip_network(pool)
    asked = (svc.get("spec") or {}).get("loadBalancerIP")
    if asked and asked not in used and ipaddress.ip_address(asked) in network:
        return asked
    for host in network.hosts():
        if str(host) not in used:
            return str(host)
    return None


def sync_services(view: dict, pool: str = DEFAULT_POOL) -> list[Action]:
    """Ensure or tear down the load balancer of every Service, lowest names first."""
    services = sorted(
        objects(view, "Service"), key=lambda s: (podutil.namespace(s), podutil.name(s))
    )
    used = {ip for s in services for ip in ingress_ips(s)}
    actions: list[Action] = []
    for svc in services:
        actions += reconcile_service(svc, used, pool)
    return actions


def reconcile_service(svc: dict, used: set[str], pool: str) -> list[Action]:
    """Ensure one Service's load balancer, or delete it; `used` gains the allocated IP."""
    finalizers = podutil.meta(svc).get("finalizers") or []
    if not wants_load_balancer(svc):
        if LB_FINALIZER not in finalizers and not ingress_ips(svc):
            return []
        actions: list[Action] = [
            _svc_event(svc, REASON_DELETING_LB, MESSAGE_DELETING_LB)
        ]
        if ingress_ips(svc):
            actions.append(
                Patch(
                    ref_of(svc, "Service"), {"status": {"loadBalancer": {}}}, "status"
                )
            )
        if LB_FINALIZER in finalizers:
            rest = [f for f in finalizers if f != LB_FINALIZER]
            actions.append(
                Patch(
                    ref_of(svc, "Service"), {"metadata": {"finalizers": rest or None}}
                )
            )
        return actions + [_svc_event(svc, REASON_DELETED_LB, MESSAGE_DELETED_LB)]
    if ingress_ips(svc) and LB_FINALIZER in finalizers:
        return []
    actions = [_svc_event(svc, REASON_ENSURING, MESSAGE_ENSURING)]
    if LB_FINALIZER not in finalizers:
        actions.append(
            Patch(
                ref_of(svc, "Service"),
                {"metadata": {"finalizers": [*finalizers, LB_FINALIZER]}},
            )
        )
    if ingress_ips(svc):
        return actions + [_svc_event(svc, REASON_ENSURED, MESSAGE_ENSURED)]
    ip = allocate_ip(svc, used, pool)
    if ip is None:
        return actions + [
            _svc_event(
                svc, REASON_SYNC_FAILED, MESSAGE_POOL_EXHAUSTED.format(pool), "Warning"
            )
        ]
    used.add(ip)
    status = {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]}}
    return actions + [
        _svc_event(svc, REASON_ENSURED, MESSAGE_ENSURED),
        Patch(ref_of(svc, "Service"), {"status": status}, "status"),
    ]


def sync_nodes(view: dict, cluster: str = DEFAULT_CLUSTER) -> list[Action]:
    """Initialize nodes from their machines; remove or taint nodes whose machine is gone or off."""
    if "Machine" not in view:
        return []
    machines = {m["name"]: m for m in view.get("Machine") or []}
    actions: list[Action] = []
    for node in sorted(objects(view, "Node"), key=podutil.name):
        actions += reconcile_node(node, machines.get(podutil.name(node)), cluster)
    return actions


def reconcile_node(
    node: dict, machine: dict | None, cluster: str = DEFAULT_CLUSTER
) -> list[Action]:
    """Initialize one node, or delete it when its machine is gone and it is not ready."""
    ready = (podutil.condition(node, "Ready") or {}).get("status")
    if machine is None:
        if ready == "True" or podutil.is_terminating(node):
            return []
        return [
            event(
                node,
                "Normal",
                REASON_DELETING_NODE,
                MESSAGE_DELETING_NODE.format(podutil.name(node)),
                NODE_LIFECYCLE_COMPONENT,
                "Node",
            ),
            Delete(ref_of(node, "Node")),
        ]
    actions: list[Action] = []
    spec = node.get("spec") or {}
    taints = list(spec.get("taints") or [])
    if any(t.get("key") == TAINT_UNINITIALIZED for t in taints) or not spec.get(
        "providerID"
    ):
        actions += initialize_node(node, machine, cluster)
        taints = [t for t in taints if t.get("key") != TAINT_UNINITIALIZED]
    has_shutdown = any(t.get("key") == TAINT_SHUTDOWN for t in taints)
    if ready != "True" and machine.get("powered") is False and not has_shutdown:
        taints.append({"key": TAINT_SHUTDOWN, "effect": "NoSchedule"})
        actions.append(Patch(ref_of(node, "Node"), {"spec": {"taints": taints}}))
    elif ready == "True" and has_shutdown:
        rest = [t for t in taints if t.get("key") != TAINT_SHUTDOWN]
        actions.append(Patch(ref_of(node, "Node"), {"spec": {"taints": rest or None}}))
    return actions


def initialize_node(
    node: dict, machine: dict, cluster: str = DEFAULT_CLUSTER
) -> list[Action]:
    """providerID, topology and instance-type labels, and the uninitialized taint removed."""
    region = machine.get("region") or DEFAULT_REGION
    labels = {
        LABEL_INSTANCE_TYPE: machine.get("instanceType") or DEFAULT_INSTANCE_TYPE,
        LABEL_REGION: region,
        LABEL_ZONE: machine.get("zone") or DEFAULT_ZONE,
    }
    taints = [
        t
        for t in (node.get("spec") or {}).get("taints") or []
        if t.get("key") != TAINT_UNINITIALIZED
    ]
    spec: dict = {"taints": taints or None}
    if not (node.get("spec") or {}).get("providerID"):
        spec["providerID"] = f"kubelab://{cluster}/{podutil.name(node)}"
    patch = {"metadata": {"labels": labels}, "spec": spec}
    return [Patch(ref_of(node, "Node"), patch)]


def _svc_event(svc: dict, reason: str, message: str, type_: str = "Normal"):
    return event(svc, type_, reason, message, SERVICE_COMPONENT, "Service")
