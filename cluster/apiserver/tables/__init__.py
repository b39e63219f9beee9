"""`meta.k8s.io/v1` Tables: the columns and cells kube-apiserver prints for each kind.

`kubectl get` asks for a Table; the server always fills every column (the `-o wide`
ones carry priority 1 and kubectl hides them unless asked), and each row carries the
object's metadata so kubectl can add NAMESPACE and LABELS.
"""

from __future__ import annotations

from collections.abc import Callable

from cluster.kinds import Kind
from cluster.objects.clone import clone

from . import core, platform, pods, workloads

TABLE_API_VERSION = "meta.k8s.io/v1"
INCLUDE_METADATA = "Metadata"
INCLUDE_OBJECT = "Object"
INCLUDE_NONE = "None"

Printer = tuple[list[dict], Callable[[dict, float], list]]

PRINTERS: dict[str, Printer] = {
    "Pod": (pods.COLUMNS, pods.cells),
    "Node": (core.NODE_COLUMNS, core.node_cells),
    "Namespace": (core.NAMESPACE_COLUMNS, core.namespace_cells),
    "Service": (core.SERVICE_COLUMNS, core.service_cells),
    "Endpoints": (core.ENDPOINTS_COLUMNS, core.endpoints_cells),
    "EndpointSlice": (core.ENDPOINTSLICE_COLUMNS, core.endpointslice_cells),
    "Event": (core.EVENT_COLUMNS, core.event_cells),
    "ConfigMap": (core.CONFIGMAP_COLUMNS, core.configmap_cells),
    "Secret": (core.SECRET_COLUMNS, core.secret_cells),
    "ServiceAccount": (core.SERVICEACCOUNT_COLUMNS, core.serviceaccount_cells),
    "PersistentVolume": (core.PV_COLUMNS, core.pv_cells),
    "PersistentVolumeClaim": (core.PVC_COLUMNS, core.pvc_cells),
    "ResourceQuota": (core.RESOURCEQUOTA_COLUMNS, core.resourcequota_cells),
    "Ingress": (platform.INGRESS_COLUMNS, platform.ingress_cells),
    "IngressClass": (platform.INGRESSCLASS_COLUMNS, platform.ingressclass_cells),
    "NetworkPolicy": (platform.NETWORKPOLICY_COLUMNS, platform.networkpolicy_cells),
    "StorageClass": (platform.STORAGECLASS_COLUMNS, platform.storageclass_cells),
    "Lease": (platform.LEASE_COLUMNS, platform.lease_cells),
    "ComponentStatus": (
        platform.COMPONENT_STATUS_COLUMNS,
        platform.component_status_cells,
    ),
    "PriorityClass": (platform.PRIORITYCLASS_COLUMNS, platform.priorityclass_cells),
    "RoleBinding": (platform.ROLEBINDING_COLUMNS, platform.binding_cells),
    "ClusterRoleBinding": (platform.CLUSTERROLEBINDING_COLUMNS, platform.binding_cells),
    "Deployment": (workloads.DEPLOYMENT_COLUMNS, workloads.deployment_cells),
    "ReplicaSet": (workloads.REPLICASET_COLUMNS, workloads.replicaset_cells),
    "StatefulSet": (workloads.STATEFULSET_COLUMNS, workloads.statefulset_cells),
    "DaemonSet": (workloads.DAEMONSET_COLUMNS, workloads.daemonset_cells),
    "Job": (workloads.JOB_COLUMNS, workloads.job_cells),
    "CronJob": (workloads.CRONJOB_COLUMNS, workloads.cronjob_cells),
    "HorizontalPodAutoscaler": (workloads.HPA_COLUMNS, workloads.hpa_cells),
    "PodDisruptionBudget": (workloads.PDB_COLUMNS, workloads.pdb_cells),
    "ControllerRevision": (
        workloads.CONTROLLER_REVISION_COLUMNS,
        workloads.controller_revision_cells,
    ),
}
DEFAULT_PRINTER: Printer = (platform.DEFAULT_COLUMNS, platform.default_cells)


def column_definitions(kind: Kind) -> list[dict]:
    """The `columnDefinitions` of a kind's Table."""
    return clone(PRINTERS.get(kind.kind, DEFAULT_PRINTER)[0])


def partial_object_metadata(obj: dict) -> dict:
    """The `PartialObjectMetadata` a row carries by default."""
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": TABLE_API_VERSION,
        "metadata": clone(obj.get("metadata") or {}),
    }


def table_row(
    kind: Kind, obj: dict, now: float, include_object: str = INCLUDE_METADATA
) -> dict:
    """One row: its cells, conditions when the printer sets them, and the object."""
    _, cells = PRINTERS.get(kind.kind, DEFAULT_PRINTER)
    row: dict = {"cells": cells(obj, now)}
    if kind.kind == "Pod" and (conditions := pods.conditions(obj)):
        row["conditions"] = conditions
    if include_object == INCLUDE_OBJECT:
        row["object"] = clone(obj)
    elif include_object != INCLUDE_NONE:
        row["object"] = partial_object_metadata(obj)
    return row


def to_table(
    kind: Kind,
    objects: list[dict],
    now: float,
    include_object: str = INCLUDE_METADATA,
    list_meta: dict | None = None,
) -> dict:
    """A `meta.k8s.io/v1` Table of `objects`, with `list_meta` as its metadata."""
    return {
        "kind": "Table",
        "apiVersion": TABLE_API_VERSION,
        "metadata": dict(list_meta or {}),
        "columnDefinitions": column_definitions(kind),
        "rows": [table_row(kind, o, now, include_object) for o in objects],
    }


def table_watch_event(
    kind: Kind,
    event_type: str,
    obj: dict,
    now: float,
    first: bool,
    include_object: str = INCLUDE_METADATA,
) -> dict:
    """A watch event whose object is a one-row Table; only the first has columns."""
    table = to_table(
        kind,
        [obj],
        now,
        include_object,
        {"resourceVersion": obj.get("metadata", {}).get("resourceVersion", "")},
    )
    if not first:
        # The apiserver stops sending headers after the first object of a watch.
        table["columnDefinitions"] = None
    return {"type": event_type, "object": table}
