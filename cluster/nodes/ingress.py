"""Ingress rule matching as the Ingress API specifies it.

Host: exact, or `*.foo.com` matching exactly one more label. Path: Exact is a
case-sensitive string match, Prefix matches whole `/` segments (and
ImplementationSpecific is treated as Prefix, as ingress-nginx does). The longest
matching path wins and Exact beats Prefix at equal length; nothing matching
falls back to spec.defaultBackend.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"


@dataclass
class Match:
    ingress: dict
    backend: (
        dict  # {"service": {"name", "port": {"number"|"name"}}} or {"resource": ...}
    )
    path: str = ""
    path_type: str = ""
    default: bool = False


def host_matches(rule_host: str | None, host: str) -> bool:
    """Whether a rule's host covers the request host."""
    if not rule_host:
        return True
    host = host.split(":")[0].lower()
    rule_host = rule_host.lower()
    if rule_host.startswith("*."):
        suffix = rule_host[1:]
        return (
            host.endswith(suffix)
            and "." not in host[: -len(suffix)]
            and len(host) > len(suffix)
        )
    return host == rule_host


def path_matches(path_type: str, rule_path: str, path: str) -> bool:
    """Whether a rule path covers the request path."""
    path = path.split("?")[0] or "/"
    if path_type == "Exact":
        return path == rule_path
    rule = [p for p in rule_path.split("/") if p]
    req = [p for p in path.split("/") if p]
    return req[: len(rule)] == rule


def class_of(ingress: dict, classes: list[dict]) -> str | None:
    """The IngressClass an Ingress belongs to (its className, or the default class)."""
    name = (ingress.get("spec") or {}).get("ingressClassName")
    if name:
        return name
    legacy = ((ingress.get("metadata") or {}).get("annotations") or {}).get(
        "kubernetes.io/ingress.class"
    )
    if legacy:
        return legacy
    for c in classes:
        if ((c.get("metadata") or {}).get("annotations") or {}).get(
            DEFAULT_CLASS_ANNOTATION
        ) == "true":
            return c["metadata"]["name"]
    return None


def route(
    ingresses: list[dict],
    host: str,
    path: str,
    controller_class: str | None = None,
    classes: list[dict] | None = None,
) -> Match | None:
    """The backend an ingress controller picks for host+path, None for its 404."""
    mine = [
        i
        for i in ingresses
        if controller_class is None or class_of(i, classes or []) == controller_class
    ]
    best: tuple | None = None
    for ing in mine:
        for rule in (ing.get("spec") or {}).get("rules") or []:
            if not host_matches(rule.get("host"), host):
                continue
            # A rule with an exact host beats a wildcard or hostless one, as in nginx server blocks.
            host_rank = (
                2
                if rule.get("host") and not rule["host"].startswith("*")
                else (1 if rule.get("host") else 0)
            )
            for p in ((rule.get("http") or {}).get("paths")) or []:
                ptype = p.get("pathType", "ImplementationSpecific")
                rpath = p.get("path", "/") or "/"
                if not path_matches(ptype, rpath, path):
                    continue
                key = (
                    host_rank,
                    len(rpath.rstrip("/")) if ptype != "Exact" else len(rpath),
                    ptype == "Exact",
                )
                if best is None or key > best[0]:
                    best = (key, Match(ing, p.get("backend") or {}, rpath, ptype))
    if best:
        return best[1]
    for ing in mine:
        default = (ing.get("spec") or {}).get("defaultBackend")
        if default:
            return Match(ing, default, default=True)
    return None
