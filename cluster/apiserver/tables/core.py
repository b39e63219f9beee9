"""Tables of the core/v1 kinds: nodes, services, endpoints, events, config and storage."""

from __future__ import annotations

from ._format import (
    AGE_COL,
    NAME_COL,
    NONE,
    UNKNOWN,
    UNSET,
    age,
    col,
    format_labels,
    since,
    with_more,
)

LB_WIDTH = 16


def _name(obj: dict) -> str:
    return obj["metadata"].get("name", "")


NODE_COLUMNS = [
    NAME_COL,
    col("Status", "The status of the node"),
    col("Roles", "The roles of the node"),
    AGE_COL,
    col("Version", "Kubelet Version reported by the node."),
    col("Internal-IP", "List of addresses reachable to the node.", priority=1),
    col("External-IP", "List of addresses reachable to the node.", priority=1),
    col(
        "OS-Image",
        "OS Image reported by the node from /etc/os-release (e.g. "
        "Debian GNU/Linux 7 (wheezy)).",
        priority=1,
    ),
    col(
        "Kernel-Version",
        "Kernel Version reported by the node from 'uname -r' "
        "(e.g. 3.16.0-0.bpo.4-amd64).",
        priority=1,
    ),
    col(
        "Container-Runtime",
        "ContainerRuntime Version reported by the node "
        "through runtime remote API (e.g. containerd://1.4.2).",
        priority=1,
    ),
]


def node_status(node: dict) -> str:
    """`Ready`, `NotReady`, `Unknown`, plus `,SchedulingDisabled` when cordoned."""
    status = []
    for c in (node.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            status = ["Ready" if c.get("status") == "True" else "NotReady"]
    status = status or ["Unknown"]
    if (node.get("spec") or {}).get("unschedulable"):
        status.append("SchedulingDisabled")
    return ",".join(status)


def node_roles(node: dict) -> str:
    """Roles from `node-role.kubernetes.io/<role>` and `kubernetes.io/role` labels."""
    roles = set()
    for key, value in (node["metadata"].get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/"):
            role = key.removeprefix("node-role.kubernetes.io/")
            if role:
                roles.add(role)
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return ",".join(sorted(roles)) or NONE


def _address(node: dict, type_: str) -> str:
    for a in (node.get("status") or {}).get("addresses") or []:
        if a.get("type") == type_:
            return a.get("address", "")
    return NONE


def node_cells(obj: dict, now: float) -> list:
    """One Node row."""
    info = (obj.get("status") or {}).get("nodeInfo") or {}
    return [
        _name(obj),
        node_status(obj),
        node_roles(obj),
        age(obj, now),
        info.get("kubeletVersion", ""),
        _address(obj, "InternalIP"),
        _address(obj, "ExternalIP"),
        info.get("osImage") or UNKNOWN,
        info.get("kernelVersion") or UNKNOWN,
        info.get("containerRuntimeVersion") or UNKNOWN,
    ]


SERVICE_COLUMNS = [
    NAME_COL,
    col("Type", "type determines how the Service is exposed."),
    col(
        "Cluster-IP",
        "clusterIP is the IP address of the service and is usually assigned randomly.",
    ),
    col(
        "External-IP",
        "externalIPs is a list of IP addresses for which nodes in "
        "the cluster will also accept traffic for this service.",
    ),
    col("Port(s)", "The list of ports that are exposed by this service."),
    AGE_COL,
    col(
        "Selector",
        "Route service traffic to pods with label keys and values "
        "matching this selector.",
        priority=1,
    ),
]


def load_balancer_addresses(lb_status: dict | None, wide: bool = True) -> str:
    """Ingress IPs (or hostnames) of a load balancer, sorted and de-duplicated."""
    found = set()
    for ing in (lb_status or {}).get("ingress") or []:
        if ing.get("ip"):
            found.add(ing["ip"])
        elif ing.get("hostname"):
            found.add(ing["hostname"])
    text = ",".join(sorted(found))
    if not wide and len(text) > LB_WIDTH:
        text = text[: LB_WIDTH - 3] + "..."
    return text


def service_external_ip(svc: dict) -> str:
    """EXTERNAL-IP: `<none>`, `<pending>` for an unprovisioned LoadBalancer, or IPs."""
    spec = svc.get("spec") or {}
    external = spec.get("externalIPs") or []
    kind = spec.get("type", "")
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or NONE
    if kind == "LoadBalancer":
        lb = load_balancer_addresses((svc.get("status") or {}).get("loadBalancer"))
        if external:
            return ",".join(([*lb.split(",")] if lb else []) + external)
        return lb or "<pending>"
    if kind == "ExternalName":
        return spec.get("externalName", "")
    return UNKNOWN


def service_ports(ports: list) -> str:
    """PORT(S): `80/TCP`, `8080:31234/TCP`, comma separated."""
    pieces = []
    for p in ports:
        proto = p.get("protocol", "")
        if p.get("nodePort"):
            pieces.append(f"{p.get('port', 0)}:{p['nodePort']}/{proto}")
        else:
            pieces.append(f"{p.get('port', 0)}/{proto}")
    return ",".join(pieces)


def service_cells(obj: dict, now: float) -> list:
    """One Service row."""
    spec = obj.get("spec") or {}
    ips = spec.get("clusterIPs") or []
    return [
        _name(obj),
        spec.get("type", ""),
        ips[0] if ips else NONE,
        service_external_ip(obj),
        service_ports(spec.get("ports") or []) or NONE,
        age(obj, now),
        format_labels(spec.get("selector")),
    ]


ENDPOINTS_COLUMNS = [
    NAME_COL,
    col("Endpoints", "The set of all endpoints is the union of all subsets."),
    AGE_COL,
]


def format_endpoints(endpoints: dict) -> str:
    """ENDPOINTS: `ip:port` pairs, at most three, then `+ N more...`."""
    subsets = endpoints.get("subsets") or []
    if not subsets:
        return NONE
    items: list[str] = []
    count = 0
    for ss in subsets:
        addresses = [a.get("ip", "") for a in ss.get("addresses") or []]
        ports = ss.get("ports") or []
        if not ports:
            count += len(addresses)
            items += addresses
            continue
        for p in ports:
            count += len(addresses)
            items += [_join_host_port(ip, p.get("port", 0)) for ip in addresses]
    text = ",".join(items[:3])
    return f"{text} + {count - 3} more..." if len(items) > 3 else text


def _join_host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def endpoints_cells(obj: dict, now: float) -> list:
    """One Endpoints row."""
    return [_name(obj), format_endpoints(obj), age(obj, now)]


ENDPOINTSLICE_COLUMNS = [
    NAME_COL,
    col(
        "AddressType",
        "addressType specifies the type of address carried by this EndpointSlice.",
    ),
    col(
        "Ports",
        "ports specifies the list of network ports exposed by each "
        "endpoint in this slice.",
    ),
    col("Endpoints", "endpoints is a list of unique endpoints in this slice."),
    AGE_COL,
]


def endpointslice_cells(obj: dict, now: float) -> list:
    """One EndpointSlice row."""
    ports = []
    for p in obj.get("ports") or []:
        if p.get("port") is not None:
            ports.append(str(p["port"]))
        elif p.get("name") is not None:
            ports.append(p["name"])
        else:
            ports.append("*")
    addresses = [
        a for e in obj.get("endpoints") or [] for a in e.get("addresses") or []
    ]
    return [
        _name(obj),
        obj.get("addressType", ""),
        with_more(ports, len(ports)),
        with_more(addresses, len(addresses)),
        age(obj, now),
    ]


EVENT_COLUMNS = [
    col(
        "Last Seen",
        "The time at which the most recent occurrence of this event was recorded.",
    ),
    col(
        "Type",
        "Type of this event (Normal, Warning), new types could be added in the future",
    ),
    col(
        "Reason",
        "This should be a short, machine understandable string that "
        "gives the reason for the transition into the object's current status.",
    ),
    col("Object", "The object that this event is about."),
    col(
        "Subobject",
        "If referring to a piece of an object instead of an entire "
        "object, this string should contain a valid JSON/Go field access "
        "statement, such as desiredState.manifest.containers[2].",
        priority=1,
    ),
    col(
        "Source",
        "The component reporting this event. Should be a short machine "
        "understandable string.",
        priority=1,
    ),
    col("Message", "A human-readable description of the status of this operation."),
    col(
        "First Seen",
        "The time at which the event was first recorded. (Time of "
        "server receipt is in TypeMeta.)",
        priority=1,
    ),
    col("Count", "The number of times this event has occurred.", priority=1),
    col("Name", NAME_COL["description"], priority=1, format_="name"),
]


def event_cells(obj: dict, now: float) -> list:
    """One Event row (core/v1 or events.k8s.io/v1 field names)."""
    involved = obj.get("involvedObject") or obj.get("regarding") or {}
    first_ts = obj.get("firstTimestamp") or obj.get("deprecatedFirstTimestamp")
    last_ts = obj.get("lastTimestamp") or obj.get("deprecatedLastTimestamp")
    first = since(first_ts or obj.get("eventTime"), now)
    last = since(last_ts, now) if last_ts else first
    count = obj.get("count") or obj.get("deprecatedCount") or 0
    series = obj.get("series")
    if series:
        last = since(series.get("lastObservedTime"), now)
        count = series.get("count", 0)
    elif not count:
        count = 1
    kind = involved.get("kind", "").lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = obj.get("source") or obj.get("deprecatedSource") or {}
    component = source.get("component") or obj.get("reportingController") or ""
    host = source.get("host") or obj.get("reportingInstance") or ""
    return [
        last,
        obj.get("type", ""),
        obj.get("reason", ""),
        target,
        involved.get("fieldPath", ""),
        f"{component}, {host}" if host else component,
        (obj.get("message") or obj.get("note") or "").strip(),
        first,
        count,
        _name(obj),
    ]


NAMESPACE_COLUMNS = [NAME_COL, col("Status", "The status of the namespace"), AGE_COL]


def namespace_cells(obj: dict, now: float) -> list:
    """One Namespace row."""
    return [_name(obj), (obj.get("status") or {}).get("phase", ""), age(obj, now)]


CONFIGMAP_COLUMNS = [
    NAME_COL,
    col("Data", "Data contains the configuration data."),
    AGE_COL,
]


def configmap_cells(obj: dict, now: float) -> list:
    """One ConfigMap row: DATA counts data and binaryData keys."""
    count = len(obj.get("data") or {}) + len(obj.get("binaryData") or {})
    return [_name(obj), count, age(obj, now)]


SECRET_COLUMNS = [
    NAME_COL,
    col("Type", "Used to facilitate programmatic handling of secret data."),
    col("Data", "Data contains the secret data."),
    AGE_COL,
]


def secret_cells(obj: dict, now: float) -> list:
    """One Secret row."""
    return [_name(obj), obj.get("type", ""), len(obj.get("data") or {}), age(obj, now)]


SERVICEACCOUNT_COLUMNS = [
    NAME_COL,
    col(
        "Secrets",
        "Secrets is a list of the secrets in the same namespace that "
        "pods running using this ServiceAccount are allowed to use.",
    ),
    AGE_COL,
]


def serviceaccount_cells(obj: dict, now: float) -> list:
    """One ServiceAccount row."""
    return [_name(obj), len(obj.get("secrets") or []), age(obj, now)]


def access_modes(modes: list) -> str:
    """`RWO,ROX,RWX,RWOP` in that order, as the PV printers abbreviate them."""
    short = [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    return ",".join(abbr for mode, abbr in short if mode in (modes or []))


PV_COLUMNS = [
    NAME_COL,
    col(
        "Capacity",
        "capacity is the description of the persistent volume's "
        "resources and capacity.",
    ),
    col("Access Modes", "accessModes contains all ways the volume can be mounted."),
    col(
        "Reclaim Policy",
        "persistentVolumeReclaimPolicy defines what happens to a "
        "persistent volume when released from its claim.",
    ),
    col(
        "Status",
        "phase indicates if a volume is available, bound to a claim, or "
        "released by a claim.",
    ),
    col(
        "Claim",
        "claimRef is part of a bi-directional binding between "
        "PersistentVolume and PersistentVolumeClaim.",
    ),
    col("StorageClass", "StorageClass of the pv"),
    col("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
    col(
        "Reason",
        "reason is a brief CamelCase string that describes any failure "
        "and is meant for machine parsing and tidy display in the CLI.",
    ),
    AGE_COL,
    col(
        "VolumeMode",
        "volumeMode defines if a volume is intended to be used with "
        "a formatted filesystem or to remain in raw block state.",
        priority=1,
    ),
]


def pv_cells(obj: dict, now: float) -> list:
    """One PersistentVolume row."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ref = spec.get("claimRef")
    claim = f"{ref.get('namespace', '')}/{ref.get('name', '')}" if ref else ""
    phase = (
        "Terminating"
        if obj["metadata"].get("deletionTimestamp")
        else status.get("phase", "")
    )
    storage_class = spec.get("storageClassName") or (
        obj["metadata"].get("annotations") or {}
    ).get("volume.beta.kubernetes.io/storage-class", "")
    return [
        _name(obj),
        (spec.get("capacity") or {}).get("storage", "0"),
        access_modes(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy", ""),
        phase,
        claim,
        storage_class,
        spec.get("volumeAttributesClassName") or UNSET,
        status.get("reason", ""),
        age(obj, now),
        spec.get("volumeMode") or UNSET,
    ]


PVC_COLUMNS = [
    NAME_COL,
    col("Status", "phase represents the current phase of PersistentVolumeClaim."),
    col(
        "Volume",
        "volumeName is the binding reference to the PersistentVolume "
        "backing this claim.",
    ),
    col(
        "Capacity", "capacity represents the actual resources of the underlying volume."
    ),
    col(
        "Access Modes",
        "accessModes contains the actual access modes the volume backing the PVC has.",
    ),
    col("StorageClass", "StorageClass of the pvc"),
    col("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
    AGE_COL,
    col(
        "VolumeMode",
        "volumeMode defines what type of volume is required by the claim.",
        priority=1,
    ),
]


def pvc_cells(obj: dict, now: float) -> list:
    """One PersistentVolumeClaim row: capacity and modes only once bound."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    phase = (
        "Terminating"
        if obj["metadata"].get("deletionTimestamp")
        else status.get("phase", "")
    )
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes(status.get("accessModes"))
        capacity = (status.get("capacity") or {}).get("storage", "0")
    storage_class = spec.get("storageClassName") or (
        obj["metadata"].get("annotations") or {}
    ).get("volume.beta.kubernetes.io/storage-class", "")
    return [
        _name(obj),
        phase,
        spec.get("volumeName", ""),
        capacity,
        modes,
        storage_class,
        spec.get("volumeAttributesClassName") or UNSET,
        age(obj, now),
        spec.get("volumeMode") or UNSET,
    ]


RESOURCEQUOTA_COLUMNS = [
    NAME_COL,
    AGE_COL,
    col(
        "Request",
        "Request represents a minimum amount of cpu/memory that a "
        "container may consume.",
    ),
    col(
        "Limit",
        "Limits control the maximum amount of cpu/memory that a container "
        "may use independent of contention on the node.",
    ),
]


def resourcequota_cells(obj: dict, now: float) -> list:
    """One ResourceQuota row: `pods: 2/10, requests.cpu: 500m/2` and limits apart."""
    status = obj.get("status") or {}
    hard, used = status.get("hard") or {}, status.get("used") or {}
    requests, limits = [], []
    for resource in sorted(hard):
        target = (
            limits
            if resource.split(".")[0] == "limits" and "." in resource
            else requests
        )
        target.append(f"{resource}: {used.get(resource, '0')}/{hard[resource]}")
    return [_name(obj), age(obj, now), ", ".join(requests), ", ".join(limits)]
