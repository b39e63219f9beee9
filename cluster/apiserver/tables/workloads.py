"""Tables of the workload controllers: Deployments, ReplicaSets, StatefulSets,
DaemonSets, Jobs, CronJobs, HPAs, PDBs and ControllerRevisions."""

from __future__ import annotations

from cluster.simtime import human_duration, parse_rfc3339

from ._format import (
    AGE_COL,
    CONTAINERS_DOC,
    IMAGES_DOC,
    NAME_COL,
    NONE,
    SELECTOR_DOC,
    UNKNOWN,
    age,
    col,
    containers,
    format_labels,
    format_selector,
    selector_string,
    since,
)

_CONTAINERS = col("Containers", CONTAINERS_DOC, priority=1)
_IMAGES = col("Images", IMAGES_DOC, priority=1)
_SELECTOR = col("Selector", SELECTOR_DOC, priority=1)
_WIDE = [_CONTAINERS, _IMAGES, _SELECTOR]


def _template_spec(obj: dict) -> dict:
    return ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}


def _name(obj: dict) -> str:
    return obj["metadata"].get("name", "")


DEPLOYMENT_COLUMNS = [
    NAME_COL,
    col("Ready", "Number of the pod with ready state"),
    col(
        "Up-to-date",
        "Total number of non-terminated pods targeted by this "
        "deployment that have the desired template spec.",
    ),
    col(
        "Available",
        "Total number of available pods (ready for at least "
        "minReadySeconds) targeted by this deployment.",
    ),
    AGE_COL,
    *_WIDE,
]


def deployment_cells(obj: dict, now: float) -> list:
    """One Deployment row: READY is ready/desired."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = containers(_template_spec(obj))
    return [
        _name(obj),
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        age(obj, now),
        names,
        images,
        selector_string(spec.get("selector")),
    ]


REPLICASET_COLUMNS = [
    NAME_COL,
    col("Desired", "Replicas is the number of desired replicas.", "integer"),
    col(
        "Current",
        "Replicas is the most recently observed number of replicas.",
        "integer",
    ),
    col("Ready", "The number of ready replicas for this replica set.", "integer"),
    AGE_COL,
    *_WIDE,
]


def replicaset_cells(obj: dict, now: float) -> list:
    """One ReplicaSet row."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = containers(_template_spec(obj))
    return [
        _name(obj),
        spec.get("replicas", 0),
        status.get("replicas", 0),
        status.get("readyReplicas", 0),
        age(obj, now),
        names,
        images,
        format_selector(spec.get("selector")),
    ]


STATEFULSET_COLUMNS = [
    NAME_COL,
    col("Ready", "Number of the pod with ready state"),
    AGE_COL,
    _CONTAINERS,
    _IMAGES,
]


def statefulset_cells(obj: dict, now: float) -> list:
    """One StatefulSet row."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = containers(_template_spec(obj))
    ready = f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}"
    return [_name(obj), ready, age(obj, now), names, images]


DAEMONSET_COLUMNS = [
    NAME_COL,
    col(
        "Desired",
        "The total number of nodes that should be running the daemon "
        "pod (including nodes correctly running the daemon pod).",
        "integer",
    ),
    col(
        "Current",
        "The number of nodes that are running at least 1 daemon pod "
        "and are supposed to run the daemon pod.",
        "integer",
    ),
    col(
        "Ready",
        "The number of nodes that should be running the daemon pod and "
        "have one or more of the daemon pod running and ready.",
        "integer",
    ),
    col(
        "Up-to-date",
        "The total number of nodes that are running updated daemon pod",
        "integer",
    ),
    col(
        "Available",
        "The number of nodes that should be running the daemon pod "
        "and have one or more of the daemon pod running and available (ready for "
        "at least spec.minReadySeconds)",
        "integer",
    ),
    col(
        "Node Selector",
        "NodeSelector is a selector which must be true for the pod to fit on a node.",
    ),
    AGE_COL,
    *_WIDE,
]


def daemonset_cells(obj: dict, now: float) -> list:
    """One DaemonSet row."""
    status = obj.get("status") or {}
    names, images = containers(_template_spec(obj))
    return [
        _name(obj),
        status.get("desiredNumberScheduled", 0),
        status.get("currentNumberScheduled", 0),
        status.get("numberReady", 0),
        status.get("updatedNumberScheduled", 0),
        status.get("numberAvailable", 0),
        format_labels(_template_spec(obj).get("nodeSelector")),
        age(obj, now),
        names,
        images,
        format_selector((obj.get("spec") or {}).get("selector")),
    ]


JOB_COLUMNS = [
    NAME_COL,
    col("Status", "Status of the job."),
    col("Completions", "The number of pods which reached phase Succeeded."),
    col("Duration", "Time required to complete the job."),
    AGE_COL,
    *_WIDE,
]


def _has_condition(status: dict, type_: str) -> bool:
    for c in status.get("conditions") or []:
        if c.get("type") == type_:
            return c.get("status") == "True"
    return False


def job_status(job: dict) -> str:
    """The Job STATUS cell: Complete, Failed, Terminating, Suspended, ... or Running."""
    status = job.get("status") or {}
    if _has_condition(status, "Complete"):
        return "Complete"
    if _has_condition(status, "Failed"):
        return "Failed"
    if job.get("metadata", {}).get("deletionTimestamp"):
        return "Terminating"
    if _has_condition(status, "Suspended"):
        return "Suspended"
    if _has_condition(status, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def job_cells(obj: dict, now: float) -> list:
    """One Job row: COMPLETIONS `1/3`, `0/1 of 2` for parallel work queues."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    succeeded = status.get("succeeded", 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif (spec.get("parallelism") or 0) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    start = parse_rfc3339(status.get("startTime"))
    end = parse_rfc3339(status.get("completionTime"))
    if start is None:
        duration = ""
    else:
        duration = human_duration((now if end is None else end) - start)
    names, images = containers(_template_spec(obj))
    return [
        _name(obj),
        job_status(obj),
        completions,
        duration,
        age(obj, now),
        names,
        images,
        format_selector(spec.get("selector")),
    ]


CRONJOB_COLUMNS = [
    NAME_COL,
    col(
        "Schedule",
        "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.",
    ),
    col(
        "Timezone",
        "The time zone name for the given schedule, see "
        "https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.",
    ),
    col(
        "Suspend",
        "This flag tells the controller to suspend subsequent "
        "executions, it does not apply to already started executions.",
        "boolean",
    ),
    col("Active", "A list of pointers to currently running jobs.", "integer"),
    col(
        "Last Schedule",
        "Information when was the last time the job was successfully scheduled.",
    ),
    AGE_COL,
    *_WIDE,
]


def _bool_ptr(value) -> str:
    """The printers' printBoolPtr: True, False or <unset>."""
    if value is None:
        return "<unset>"
    return "True" if value else "False"


def cronjob_cells(obj: dict, now: float) -> list:
    """One CronJob row."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    names, images = containers((job_spec.get("template") or {}).get("spec"))
    last = status.get("lastScheduleTime")
    return [
        _name(obj),
        spec.get("schedule", ""),
        spec.get("timeZone") or NONE,
        _bool_ptr(spec.get("suspend")),
        len(status.get("active") or []),
        since(last, now) if last else NONE,
        age(obj, now),
        names,
        images,
        format_selector(job_spec.get("selector")),
    ]


HPA_COLUMNS = [
    NAME_COL,
    col(
        "Reference",
        "scaleTargetRef points to the target resource to scale, and "
        "is used to the pods for which metrics should be collected, as well as to "
        "actually change the replica count.",
    ),
    col(
        "Targets",
        "metrics contains the specifications for which to use to "
        "calculate the desired replica count.",
    ),
    col(
        "MinPods",
        "minReplicas is the lower limit for the number of replicas to "
        "which the autoscaler can scale down.",
    ),
    col(
        "MaxPods",
        "maxReplicas is the upper limit for the number of replicas to "
        "which the autoscaler can scale up.",
    ),
    col(
        "Replicas",
        "currentReplicas is current number of replicas of pods "
        "managed by this autoscaler.",
    ),
    AGE_COL,
]


# autoscaling/v2: a metric's `type` names the field holding its source.
METRIC_SOURCE_FIELD = {
    "Resource": "resource",
    "ContainerResource": "containerResource",
    "Pods": "pods",
    "Object": "object",
    "External": "external",
}


def _metric_target(spec: dict, current: dict | None) -> str:
    """One HPA target, like `cpu: 40%/50%` or `<unknown>/100m`."""
    kind = spec.get("type", "")
    key = METRIC_SOURCE_FIELD.get(kind)
    if key is None:
        return "<unknown type>"
    source, now_ = spec.get(key) or {}, (current or {}).get(key)
    target, cur = source.get("target") or {}, (now_ or {}).get("current") or {}
    if kind in ("Resource", "ContainerResource"):
        name = source.get("name", "")
        if target.get("averageValue") is not None:
            value = cur.get("averageValue") if now_ else None
            return f"{name}: {value or UNKNOWN}/{target['averageValue']}"
        util = cur.get("averageUtilization") if now_ else None
        have = f"{util}%" if util is not None else UNKNOWN
        want = target.get("averageUtilization")
        return f"{name}: {have}/{f'{want}%' if want is not None else '<auto>'}"
    if kind == "Pods":
        return f"{cur.get('averageValue') or UNKNOWN}/{target.get('averageValue')}"
    if target.get("averageValue") is not None:
        return f"{cur.get('averageValue') or UNKNOWN}/{target['averageValue']} (avg)"
    return f"{cur.get('value') or UNKNOWN}/{target.get('value')}"


def format_hpa_targets(specs: list, statuses: list) -> str:
    """The TARGETS cell: at most two metrics, then `+ N more...`."""
    if not specs:
        return NONE
    parts = [
        _metric_target(s, statuses[i] if i < len(statuses) else None)
        for i, s in enumerate(specs)
    ]
    if len(parts) > 2:
        return ", ".join(parts[:2]) + f" + {len(parts) - 2} more..."
    return ", ".join(parts)


def hpa_cells(obj: dict, now: float) -> list:
    """One HorizontalPodAutoscaler row."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    minimum = spec.get("minReplicas")
    return [
        _name(obj),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        format_hpa_targets(
            spec.get("metrics") or [], status.get("currentMetrics") or []
        ),
        "<unset>" if minimum is None else str(minimum),
        spec.get("maxReplicas", 0),
        status.get("currentReplicas", 0),
        age(obj, now),
    ]


PDB_COLUMNS = [
    NAME_COL,
    col("Min Available", "The minimum number of pods that must be available."),
    col("Max Unavailable", "The maximum number of pods that may be unavailable."),
    col(
        "Allowed Disruptions",
        "Calculated number of pods that may be disrupted at this time.",
        "integer",
    ),
    AGE_COL,
]


def pdb_cells(obj: dict, now: float) -> list:
    """One PodDisruptionBudget row."""
    spec = obj.get("spec") or {}
    low, high = spec.get("minAvailable"), spec.get("maxUnavailable")
    return [
        _name(obj),
        "N/A" if low is None else str(low),
        "N/A" if high is None else str(high),
        (obj.get("status") or {}).get("disruptionsAllowed", 0),
        age(obj, now),
    ]


CONTROLLER_REVISION_COLUMNS = [
    NAME_COL,
    col("Controller", "Controller of the object"),
    col(
        "Revision", "Revision indicates the revision of the state represented by Data."
    ),
    AGE_COL,
]


def controller_revision_cells(obj: dict, now: float) -> list:
    """One ControllerRevision row: CONTROLLER is `statefulset.apps/web`."""
    owner = next(
        (
            o
            for o in obj["metadata"].get("ownerReferences") or []
            if o.get("controller")
        ),
        None,
    )
    controller = NONE
    if owner:
        group = owner.get("apiVersion", "").rpartition("/")[0]
        kind = owner.get("kind", "")
        qualified = f"{kind}.{group}" if group else kind
        controller = f"{qualified.lower()}/{owner.get('name', '')}"
    return [_name(obj), controller, obj.get("revision", 0), age(obj, now)]
