"""Tables of networking, storage classes, scheduling, coordination and RBAC kinds,
and of the API server's own ComponentStatuses."""

from __future__ import annotations

from ._format import (
    AGE_COL,
    AGE_DOC,
    NAME_COL,
    NONE,
    age,
    col,
    format_selector,
)
from .core import load_balancer_addresses

DEFAULT_CLASS_ANNOTATIONS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)


def _name(obj: dict) -> str:
    return obj["metadata"].get("name", "")


INGRESS_COLUMNS = [
    NAME_COL,
    col(
        "Class",
        "The name of the IngressClass resource that should be used for "
        "additional configuration",
    ),
    col(
        "Hosts",
        "Hosts that incoming requests are matched against before the ingress rule",
    ),
    col("Address", "Address is a list containing ingress points for the load-balancer"),
    col("Ports", "Ports of TLS configurations that open"),
    AGE_COL,
]


def ingress_hosts(rules: list) -> str:
    """HOSTS: up to three rule hosts, `*` when none."""
    hosts = [r["host"] for r in rules[:3] if r.get("host")]
    if not hosts:
        return "*"
    text = ",".join(hosts)
    return f"{text} + {len(rules) - 3} more..." if len(rules) > 3 else text


def ingress_cells(obj: dict, now: float) -> list:
    """One Ingress row."""
    spec = obj.get("spec") or {}
    lb = ((obj.get("status") or {}).get("loadBalancer")) or {}
    return [
        _name(obj),
        spec.get("ingressClassName") or NONE,
        ingress_hosts(spec.get("rules") or []),
        load_balancer_addresses(lb, wide=True),
        "80, 443" if spec.get("tls") else "80",
        age(obj, now),
    ]


INGRESSCLASS_COLUMNS = [
    NAME_COL,
    col("Controller", "Controller that is responsible for handling this class"),
    col("Parameters", "A reference to a resource with additional parameters"),
    AGE_COL,
]


def ingressclass_cells(obj: dict, now: float) -> list:
    """One IngressClass row."""
    spec = obj.get("spec") or {}
    params = spec.get("parameters")
    text = NONE
    if params:
        text = params.get("kind", "")
        if params.get("apiGroup") is not None:
            text += "." + params["apiGroup"]
        text += "/" + params.get("name", "")
    return [_name(obj), spec.get("controller", ""), text, age(obj, now)]


LEASE_COLUMNS = [
    NAME_COL,
    col(
        "Holder",
        "holderIdentity contains the identity of the holder of a current lease.",
    ),
    AGE_COL,
]


def lease_cells(obj: dict, now: float) -> list:
    """One Lease row."""
    holder = (obj.get("spec") or {}).get("holderIdentity") or ""
    return [_name(obj), holder, age(obj, now)]


STORAGECLASS_COLUMNS = [
    NAME_COL,
    col("Provisioner", "provisioner indicates the type of the provisioner."),
    col(
        "ReclaimPolicy",
        "reclaimPolicy controls the reclaimPolicy for dynamically "
        "provisioned PersistentVolumes of this storage class.",
    ),
    col(
        "VolumeBindingMode",
        "volumeBindingMode indicates how "
        "PersistentVolumeClaims should be provisioned and bound.",
    ),
    col(
        "AllowVolumeExpansion",
        "allowVolumeExpansion shows whether the storage class allow volume expand.",
    ),
    AGE_COL,
]


def storageclass_cells(obj: dict, now: float) -> list:
    """One StorageClass row; the default class is named `standard (default)`."""
    annotations = obj["metadata"].get("annotations") or {}
    name = _name(obj)
    if any(annotations.get(a) == "true" for a in DEFAULT_CLASS_ANNOTATIONS):
        name += " (default)"
    return [
        name,
        obj.get("provisioner", ""),
        obj.get("reclaimPolicy") or "Delete",
        obj.get("volumeBindingMode") or "Immediate",
        bool(obj.get("allowVolumeExpansion", False)),
        age(obj, now),
    ]


PRIORITYCLASS_COLUMNS = [
    NAME_COL,
    col(
        "Value", "value represents the integer value of this priority class.", "integer"
    ),
    col(
        "Global-Default",
        "globalDefault specifies whether this PriorityClass "
        "should be considered as the default priority for pods that do not have "
        "any priority class.",
        "boolean",
    ),
    AGE_COL,
    col(
        "PreemptionPolicy",
        "preemptionPolicy is the Policy for preempting pods with lower priority.",
        priority=1,
    ),
]


def priorityclass_cells(obj: dict, now: float) -> list:
    """One PriorityClass row."""
    return [
        _name(obj),
        obj.get("value", 0),
        bool(obj.get("globalDefault", False)),
        age(obj, now),
        obj.get("preemptionPolicy") or "",
    ]


NETWORKPOLICY_COLUMNS = [
    NAME_COL,
    col("Pod-Selector", "Selects the pods to which this NetworkPolicy object applies."),
    AGE_COL,
]


def networkpolicy_cells(obj: dict, now: float) -> list:
    """One NetworkPolicy row."""
    selector = (obj.get("spec") or {}).get("podSelector")
    return [_name(obj), format_selector(selector), age(obj, now)]


def _binding_columns(kind: str) -> list[dict]:
    return [
        NAME_COL,
        col(
            "Role",
            "RoleRef can reference a Role in the current namespace or a "
            "ClusterRole in the global namespace.",
        ),
        AGE_COL,
        col("Users", f"Users in the {kind}", priority=1),
        col("Groups", f"Groups in the {kind}", priority=1),
        col("ServiceAccounts", f"ServiceAccounts in the {kind}", priority=1),
    ]


ROLEBINDING_COLUMNS = _binding_columns("roleBinding")
CLUSTERROLEBINDING_COLUMNS = _binding_columns("clusterRoleBinding")


def binding_cells(obj: dict, now: float) -> list:
    """One RoleBinding or ClusterRoleBinding row."""
    ref = obj.get("roleRef") or {}
    users, groups, sas = [], [], []
    for s in obj.get("subjects") or []:
        kind = s.get("kind")
        if kind == "User":
            users.append(s.get("name", ""))
        elif kind == "Group":
            groups.append(s.get("name", ""))
        elif kind == "ServiceAccount":
            sas.append(f"{s.get('namespace', '')}/{s.get('name', '')}")
    return [
        _name(obj),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        age(obj, now),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(sas),
    ]


DEFAULT_COLUMNS = [NAME_COL, col("Created At", AGE_DOC, "date")]


def default_cells(obj: dict, now: float) -> list:
    """Kinds without a printer (Role, LimitRange...): NAME and CREATED AT."""
    return [_name(obj), obj["metadata"].get("creationTimestamp")]


COMPONENT_STATUS_COLUMNS = [
    NAME_COL,
    col("Status", "Status of the component conditions"),
    col("Message", "Message of the component conditions"),
    col("Error", "Error of the component conditions"),
]


def component_status_cells(obj: dict, now: float) -> list:
    """One ComponentStatus row: its Healthy condition, Unknown without one."""
    for condition in obj.get("conditions") or []:
        if condition.get("type") == "Healthy":
            status = "Healthy" if condition.get("status") == "True" else "Unhealthy"
            return [
                _name(obj),
                status,
                condition.get("message", ""),
                condition.get("error", ""),
            ]
    return [_name(obj), "Unknown", "", ""]
