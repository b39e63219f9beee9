"""Cell formatting shared by the table printers: ages, label maps, selectors, containers.

Formats follow the kube-apiserver printers (`<none>`, `k=v,k2=v2`, `app in (a,b)`).
"""

from __future__ import annotations

from cluster.simtime import human_duration, parse_rfc3339

NONE = "<none>"
UNKNOWN = "<unknown>"
UNSET = "<unset>"

NAME_DOC = (
    "Name must be unique within a namespace. Is required when creating resources, "
    "although some resources may allow a client to request the generation of an "
    "appropriate name automatically. Name is primarily intended for creation "
    "idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
AGE_DOC = (
    "CreationTimestamp is a timestamp representing the server time when this object "
    "was created. It is not guaranteed to be set in happens-before order across "
    "separate operations. Clients may not set this value. It is represented in "
    "RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for "
    "lists. More info: https://git.k8s.io/community/contributors/devel/"
    "sig-architecture/api-conventions.md#metadata"
)
CONTAINERS_DOC = "Names of each container in the template."
IMAGES_DOC = "Images referenced by each container in the template."
SELECTOR_DOC = (
    "A label query over pods that should match the replicas count. It must match "
    "the pod template's labels. More info: https://kubernetes.io/docs/concepts/"
    "overview/working-with-objects/labels/#label-selectors"
)


def col(
    name: str,
    description: str,
    type_: str = "string",
    priority: int = 0,
    format_: str = "",
) -> dict:
    """One `TableColumnDefinition`."""
    return {
        "name": name,
        "type": type_,
        "format": format_,
        "description": description,
        "priority": priority,
    }


NAME_COL = col("Name", NAME_DOC, format_="name")
AGE_COL = col("Age", AGE_DOC)


def since(timestamp: str | None, now: float) -> str:
    """The age of an RFC 3339 timestamp, `<unknown>` when it is unset."""
    t = parse_rfc3339(timestamp)
    if t is None:
        return UNKNOWN
    return human_duration(now - t)


def age(obj: dict, now: float) -> str:
    """The AGE cell: time since `metadata.creationTimestamp`."""
    return since(obj.get("metadata", {}).get("creationTimestamp"), now)


def format_labels(labels: dict | None) -> str:
    """`k=v,k2=v2` sorted by key, or `<none>`."""
    if not labels:
        return NONE
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def selector_string(selector: dict | None) -> str:
    """A LabelSelector as the API prints it (`app=web,tier in (a,b)`); "" when empty."""
    if not selector:
        return ""
    reqs: list[tuple[str, str]] = []
    for key in sorted(selector.get("matchLabels") or {}):
        reqs.append((key, f"{key}={selector['matchLabels'][key]}"))
    for expr in selector.get("matchExpressions") or []:
        key, op = expr.get("key", ""), expr.get("operator", "")
        values = ",".join(sorted(expr.get("values") or []))
        text = {
            "In": f"{key} in ({values})",
            "NotIn": f"{key} notin ({values})",
            "Exists": key,
            "DoesNotExist": f"!{key}",
        }.get(op, key)
        reqs.append((key, text))
    reqs.sort(key=lambda r: r[0])
    return ",".join(text for _, text in reqs)


def format_selector(selector: dict | None) -> str:
    """A LabelSelector, or `<none>` when it selects nothing or everything."""
    return selector_string(selector) or NONE


def containers(template_spec: dict | None) -> tuple[str, str]:
    """The CONTAINERS and IMAGES cells: names and images joined by commas."""
    items = (template_spec or {}).get("containers") or []
    return (
        ",".join(c.get("name", "") for c in items),
        ",".join(c.get("image", "") for c in items),
    )


def with_more(items: list[str], total: int, limit: int = 3, empty: str = UNSET) -> str:
    """`a,b,c + 2 more...` as the printers shorten long lists."""
    text = ",".join(items[:limit])
    if total > limit:
        return f"{text} + {total - limit} more..."
    return text or empty


def int_or_string(value) -> str:
    """An IntOrString as Go prints it."""
    return str(value)
