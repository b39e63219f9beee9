"""The check language: declarative predicates over a snapshot of a cluster.

A check is a mapping with one key, the predicate, whose value holds its arguments:
`{"pods": {"selector": "app=web", "phase": "Running", "ready": True, "count": 3}}`.
`evaluate(check, state)` returns `(ok, explanation)`; the explanation says what was
found, so a student sees why a step is not done yet.

The state is a plain dict (see `cluster.labs.observe.snapshot_of`):
`{"objects": {Kind: [obj]}, "machines": [...], "components": [...],
"snapshots": [...], "clock": float, "born": float}`.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

from cluster.objects import pods as podutil
from cluster.objects import selectors
from cluster.simtime import parse_rfc3339

Result = tuple[bool, str]

# Count arguments shared by every predicate that counts things.
COUNTS = {"count": int, "at_least": int, "at_most": int}


class CheckError(ValueError):
    """A check that is not well formed (the message names the offending part)."""


# --- helpers -------------------------------------------------------------------------
def _items(state: dict, kind: str, namespace: str | None = None) -> list[dict]:
    objs = (state.get("objects") or {}).get(kind) or []
    live = [o for o in objs if not podutil.is_terminating(o)]
    if namespace is None:
        return live
    return [o for o in live if podutil.namespace(o) == namespace]


def _selector(spec) -> selectors.Selector | None:
    if spec is None:
        return None
    if isinstance(spec, dict):
        return selectors.from_label_selector({"matchLabels": spec})
    return selectors.parse_label_selector(spec)


def _describe_selector(spec) -> str:
    if isinstance(spec, dict):
        return ",".join(f"{k}={v}" for k, v in spec.items())
    return str(spec)


def _count_ok(args: dict, matching: int) -> tuple[bool, str]:
    """`count`: exactly N match; `at_least`/`at_most` bound the matches (default: one)."""
    if "count" in args:
        want = args["count"]
        return matching == want, f"exactly {want}"
    low, high = args.get("at_least"), args.get("at_most")
    if low is None and high is None:
        low = 1
    ok = (low is None or matching >= low) and (high is None or matching <= high)
    words = []
    if low is not None:
        words.append(f"at least {low}")
    if high is not None:
        words.append(f"at most {high}")
    return ok, " and ".join(words)


def _field(obj: dict, path: str):
    value = obj
    for part in path.split("."):
        if isinstance(value, list):
            try:
                value = value[int(part)]
            except (ValueError, IndexError):
                return None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def _same(have, want) -> bool:
    if isinstance(want, bool) or isinstance(have, bool):
        return have == want
    return str(have) == str(want)


# --- predicates ----------------------------------------------------------------------
def _pod_facts(pod: dict) -> dict:
    scheduled = podutil.condition(pod, "PodScheduled") or {}
    waiting = [
        (s.get("state") or {}).get("waiting", {}).get("reason", "")
        for s in (pod.get("status") or {}).get("containerStatuses") or []
    ]
    return {
        "phase": podutil.phase(pod) or "Pending",
        "ready": podutil.is_ready(pod),
        "node": podutil.node_name(pod),
        "scheduled": bool(podutil.node_name(pod)),
        "unschedulable": scheduled.get("reason") == "Unschedulable",
        "waiting": [w for w in waiting if w],
        "image": [
            c.get("image") for c in (pod.get("spec") or {}).get("containers") or []
        ],
    }


def check_pods(args: dict, state: dict) -> Result:
    """Pods selected by name/selector/namespace, filtered by phase, readiness, node."""
    namespace = args.get("namespace", "default")
    sel = _selector(args.get("selector"))
    selected = [
        p
        for p in _items(state, "Pod", namespace)
        if (sel is None or selectors.matches(sel, podutil.labels(p)))
        and ("name" not in args or podutil.name(p) == args["name"])
    ]
    conditions = []
    for key in ("phase", "ready", "node", "scheduled", "unschedulable"):
        if key in args:
            conditions.append((key, args[key]))

    def fits(pod: dict) -> bool:
        facts = _pod_facts(pod)
        if any(not _same(facts[k], v) for k, v in conditions):
            return False
        if "not_node" in args and facts["node"] == args["not_node"]:
            return False
        if "waiting_reason" in args and args["waiting_reason"] not in facts["waiting"]:
            return False
        return "image" not in args or args["image"] in facts["image"]

    matching = [p for p in selected if fits(p)]
    ok, wanted = _count_ok(args, len(matching))
    what = "pods"
    if "name" in args:
        what = f"pod {args['name']}"
    elif "selector" in args:
        what = f"pods with {_describe_selector(args['selector'])}"
    how = ", ".join(
        f"{k}={v}"
        for k, v in conditions + [(k, args[k]) for k in _POD_EXTRA if k in args]
    )
    phases = Counter(_pod_facts(p)["phase"] for p in selected)
    seen = ", ".join(f"{n} {ph}" for ph, n in sorted(phases.items())) or "none"
    return ok, (
        f"wanted {wanted} {what}{' with ' + how if how else ''}; "
        f"found {len(matching)} of {len(selected)} ({seen})"
    )


_POD_EXTRA = ("not_node", "waiting_reason", "image")


def check_component(args: dict, state: dict) -> Result:
    """Processes on machines: kind, machine, state, leader."""
    components = [
        c
        for c in state.get("components") or []
        if c["kind"] == args["kind"]
        and ("machine" not in args or c["machine"] == args["machine"])
    ]
    matching = [
        c
        for c in components
        if ("state" not in args or c["state"] == args["state"])
        and ("leader" not in args or c["leader"] == args["leader"])
    ]
    ok, wanted = _count_ok(args, len(matching))
    where = f" on {args['machine']}" if "machine" in args else ""
    found = ", ".join(
        f"{c['machine']}: {c['state']}{' (leader)' if c['leader'] else ''}"
        for c in components
    )
    want = " ".join(
        str(x)
        for x in (args.get("state", ""), "leader" if args.get("leader") else "")
        if x
    )
    return ok, f"wanted {wanted} {args['kind']}{where} {want}; found {found or 'none'}"


def check_service(args: dict, state: dict) -> Result:
    """A Service of a type whose selector includes the given labels."""
    found = []
    for svc in _items(state, "Service", args.get("namespace", "default")):
        spec = svc.get("spec") or {}
        if "name" in args and podutil.name(svc) != args["name"]:
            continue
        found.append(podutil.name(svc))
        if "type" in args and spec.get("type", "ClusterIP") != args["type"]:
            continue
        want = args.get("selector") or {}
        have = spec.get("selector") or {}
        if any(have.get(k) != str(v) for k, v in want.items()):
            continue
        if "port" in args and args["port"] not in [
            p.get("port") for p in spec.get("ports") or []
        ]:
            continue
        return True, f"Service {podutil.name(svc)} matches"
    parts = [f"type {args['type']}"] if "type" in args else []
    if args.get("selector"):
        parts.append(f"selecting {_describe_selector(args['selector'])}")
    return False, (
        f"no Service {args.get('name', '')} {' '.join(parts)}".replace("  ", " ")
        + f"; services: {', '.join(found) or 'none'}"
    )


def check_endpoints(args: dict, state: dict) -> Result:
    """The ready addresses behind a Service (its Endpoints object)."""
    name = args["service"]
    ready = 0
    for ep in _items(state, "Endpoints", args.get("namespace", "default")):
        if podutil.name(ep) == name:
            ready = sum(len(s.get("addresses") or []) for s in ep.get("subsets") or [])
    ok, wanted = _count_ok(args, ready)
    return ok, f"wanted {wanted} ready endpoints for {name}; found {ready}"


def check_node(args: dict, state: dict) -> Result:
    """A Node's Ready condition, cordon flag or taint."""
    name = args["name"]
    node = next((n for n in _items(state, "Node") if podutil.name(n) == name), None)
    if node is None:
        return bool(args.get("absent")), f"node {name} is not registered"
    if args.get("absent"):
        return False, f"node {name} is still registered"
    ready = (podutil.condition(node, "Ready") or {}).get("status", "Unknown")
    if "ready" in args and not _same(ready, args["ready"]):
        return False, f"node {name} Ready={ready}, wanted {args['ready']}"
    cordoned = bool((node.get("spec") or {}).get("unschedulable"))
    if "unschedulable" in args and cordoned != args["unschedulable"]:
        return False, f"node {name} unschedulable={cordoned}"
    taints = [t.get("key") for t in (node.get("spec") or {}).get("taints") or []]
    if "taint" in args and args["taint"] not in taints:
        return False, f"node {name} has no taint {args['taint']} ({taints or 'none'})"
    return True, f"node {name} Ready={ready}"


def check_deployment(args: dict, state: dict) -> Result:
    """A Deployment's rollout: revision, image, ready and updated replicas."""
    name = args["name"]
    dep = next(
        (
            d
            for d in _items(state, "Deployment", args.get("namespace", "default"))
            if podutil.name(d) == name
        ),
        None,
    )
    if dep is None:
        return False, f"deployment {name} does not exist"
    revision = int(
        podutil.annotations(dep).get("deployment.kubernetes.io/revision") or 0
    )
    status = dep.get("status") or {}
    containers = (
        ((dep.get("spec") or {}).get("template") or {}).get("spec") or {}
    ).get("containers") or []
    images = [c.get("image") for c in containers]
    problems = []
    if revision < args.get("revision_at_least", 0):
        problems.append(
            f"revision {revision} (wanted at least {args['revision_at_least']})"
        )
    if "image" in args and args["image"] not in images:
        problems.append(f"image {', '.join(images)} (wanted {args['image']})")
    for key, field in (
        ("replicas", "replicas"),
        ("ready_replicas", "readyReplicas"),
        ("updated_replicas", "updatedReplicas"),
        ("available_replicas", "availableReplicas"),
    ):
        if key in args and int(status.get(field) or 0) != args[key]:
            problems.append(f"{field} {status.get(field) or 0} (wanted {args[key]})")
    if problems:
        return False, f"deployment {name}: " + "; ".join(problems)
    return True, f"deployment {name} at revision {revision}, images {', '.join(images)}"


def check_object(args: dict, state: dict) -> Result:
    """Any kind: objects by name/selector whose fields (dotted paths) have values."""
    kind = args["kind"]
    namespace = args.get("namespace")
    sel = _selector(args.get("selector"))
    selected = [
        o
        for o in _items(state, kind, namespace)
        if ("name" not in args or podutil.name(o) == args["name"])
        and (sel is None or selectors.matches(sel, podutil.labels(o)))
    ]
    where = args.get("where") or {}
    matching = [
        o for o in selected if all(_same(_field(o, p), v) for p, v in where.items())
    ]
    ok, wanted = _count_ok(args, len(matching))
    label = f"{kind} {args['name']}" if "name" in args else kind
    cond = ", ".join(f"{p}={v}" for p, v in where.items())
    return ok, (
        f"wanted {wanted} {label}{' with ' + cond if cond else ''}; "
        f"found {len(matching)} of {len(selected)}"
    )


def check_machine(args: dict, state: dict) -> Result:
    """Machines by name or role, powered on or off."""
    machines = [
        m
        for m in state.get("machines") or []
        if ("name" not in args or m["name"] == args["name"])
        and ("role" not in args or m["role"] == args["role"])
    ]
    matching = [
        m for m in machines if "powered" not in args or m["powered"] == args["powered"]
    ]
    ok, wanted = _count_ok(args, len(matching))
    found = ", ".join(
        f"{m['name']} ({'on' if m['powered'] else 'off'})" for m in machines
    )
    return ok, f"wanted {wanted} matching machines; found {found or 'none'}"


def check_snapshots(args: dict, state: dict) -> Result:
    """The etcd snapshots taken of this cluster."""
    n = len(state.get("snapshots") or [])
    ok, wanted = _count_ok(args, n)
    return ok, f"wanted {wanted} etcd snapshots; found {n}"


def was_restored(state: dict) -> bool:
    """A restore writes the whole keyspace at one revision; no other write does."""
    revisions = Counter(
        (o.get("metadata") or {}).get("resourceVersion")
        for objs in (state.get("objects") or {}).values()
        for o in objs
    )
    return any(n >= 2 for rv, n in revisions.items() if rv)


def check_restored(args, state: dict) -> Result:
    """The keyspace was restored from an etcd snapshot."""
    restored = was_restored(state)
    return restored == bool(args), (
        "the cluster was restored from a snapshot"
        if restored
        else "the cluster has not been restored from a snapshot"
    )


def check_pod_scheduled_after_component_start(args: dict, state: dict) -> Result:
    """A pod was bound after a (re)started component came up: it did the binding."""
    kind = args.get("component", "kube-scheduler")
    born = state.get("born", 0.0)
    restarts = [
        c["started_at"]
        for c in state.get("components") or []
        if c["kind"] == kind and c["state"] == "running" and c["started_at"] > born
    ]
    if not restarts:
        return False, f"{kind} has not been started since the cluster was created"
    since = max(restarts)
    sel = _selector(args.get("selector"))
    for pod in _items(state, "Pod", args.get("namespace", "default")):
        if sel is not None and not selectors.matches(sel, podutil.labels(pod)):
            continue
        cond = podutil.condition(pod, "PodScheduled") or {}
        at = parse_rfc3339(cond.get("lastTransitionTime"))
        # Condition times have whole seconds: compare on the same grain.
        if cond.get("status") == "True" and at is not None and at >= int(since):
            return True, f"pod {podutil.name(pod)} was scheduled after {kind} started"
    return False, f"no pod was scheduled after {kind} started"


def check_request(args: dict, state: dict) -> Result:
    """An HTTP request from outside the cluster (an Ingress host or a NodePort)."""
    from cluster.nodes import proxy, traffic

    objects = state.get("objects") or {}
    services = objects.get("Service") or []
    slices = objects.get("EndpointSlice") or []
    nodes = objects.get("Node") or []
    now = state.get("clock", 0.0)
    view = traffic.View(
        pods=objects.get("Pod") or [],
        services=services,
        endpoint_slices=slices,
        nodes=nodes,
        ingresses=objects.get("Ingress") or [],
        ingress_classes=objects.get("IngressClass") or [],
        network_policies=objects.get("NetworkPolicy") or [],
        namespaces={
            podutil.name(n): podutil.labels(n) for n in objects.get("Namespace") or []
        },
        node_rules={
            podutil.name(n): proxy.build_rules(podutil.name(n), services, slices, now)
            for n in nodes
        },
    )
    url = args["url"]
    trace = traffic.send_request(
        view, {"ip": traffic.EXTERNAL_CLIENT_IP}, url, random.Random(0), now
    )
    want = args.get("status", 200)
    if trace.status == want and args.get("body_contains", "") in (trace.body or ""):
        return True, f"GET {url} answered {trace.status}"
    got = trace.status if trace.status is not None else trace.error or "no answer"
    return False, f"GET {url} answered {got}, wanted {want}"


def check_event(args: dict, state: dict) -> Result:
    """Events by reason and the object they are about (a repeat counts once)."""
    matching = []
    for ev in _items(state, "Event", args.get("namespace", "default")):
        involved = ev.get("involvedObject") or ev.get("regarding") or {}
        if ev.get("reason") != args["reason"]:
            continue
        if "involved_kind" in args and involved.get("kind") != args["involved_kind"]:
            continue
        if "involved_name" in args and involved.get("name") != args["involved_name"]:
            continue
        text = ev.get("message") or ev.get("note") or ""
        if args.get("message_contains", "") not in text:
            continue
        matching.append(ev)
    ok, wanted = _count_ok(args, len(matching))
    return ok, f"wanted {wanted} {args['reason']} events; found {len(matching)}"


def check_all(args: list, state: dict) -> Result:
    results = [evaluate(c, state) for c in args]
    failed = [why for ok, why in results if not ok]
    if failed:
        return False, "; ".join(failed)
    return True, "; ".join(why for _ok, why in results)


def check_any(args: list, state: dict) -> Result:
    results = [evaluate(c, state) for c in args]
    passed = [why for ok, why in results if ok]
    if passed:
        return True, passed[0]
    return False, " / ".join(why for _ok, why in results)


def check_not(args: dict, state: dict) -> Result:
    ok, why = evaluate(args, state)
    return not ok, ("not: " + why)


# --- the table of predicates: name -> (function, argument schema) --------------------
# A schema maps each allowed argument to its type(s); `required` lists the must-haves.
Schema = dict


def _schema(required: tuple[str, ...] = (), **types) -> Schema:
    return {"required": required, "types": types}


_SELECTOR = (str, dict)
PREDICATES: dict[str, tuple[Callable[..., Result], Schema | type]] = {
    "pods": (
        check_pods,
        _schema(
            name=str,
            selector=_SELECTOR,
            namespace=str,
            phase=str,
            ready=bool,
            node=str,
            not_node=str,
            scheduled=bool,
            unschedulable=bool,
            waiting_reason=str,
            image=str,
            **COUNTS,
        ),
    ),
    "component": (
        check_component,
        _schema(("kind",), kind=str, machine=str, state=str, leader=bool, **COUNTS),
    ),
    "service": (
        check_service,
        _schema(name=str, namespace=str, type=str, selector=dict, port=int),
    ),
    "endpoints": (
        check_endpoints,
        _schema(("service",), service=str, namespace=str, **COUNTS),
    ),
    "node": (
        check_node,
        _schema(
            ("name",), name=str, ready=str, unschedulable=bool, taint=str, absent=bool
        ),
    ),
    "deployment": (
        check_deployment,
        _schema(
            ("name",),
            name=str,
            namespace=str,
            revision_at_least=int,
            image=str,
            replicas=int,
            ready_replicas=int,
            updated_replicas=int,
            available_replicas=int,
        ),
    ),
    "object": (
        check_object,
        _schema(
            ("kind",),
            kind=str,
            name=str,
            namespace=str,
            selector=_SELECTOR,
            where=dict,
            **COUNTS,
        ),
    ),
    "machine": (
        check_machine,
        _schema(name=str, role=str, powered=bool, **COUNTS),
    ),
    "snapshots": (check_snapshots, _schema(**COUNTS)),
    "restored": (check_restored, bool),
    "pod_scheduled_after_component_start": (
        check_pod_scheduled_after_component_start,
        _schema(component=str, selector=_SELECTOR, namespace=str),
    ),
    "request": (
        check_request,
        _schema(("url",), url=str, status=int, body_contains=str),
    ),
    "event": (
        check_event,
        _schema(
            ("reason",),
            reason=str,
            namespace=str,
            involved_kind=str,
            involved_name=str,
            message_contains=str,
            **COUNTS,
        ),
    ),
    "all": (check_all, list),
    "any": (check_any, list),
    "not": (check_not, dict),
}


def validate(check, where: str = "check") -> list[str]:
    """Every problem with a check, each naming its place (`steps[2].check.pods.count`)."""
    if not isinstance(check, dict) or len(check) != 1:
        return [
            f"{where}: a check is a mapping with exactly one predicate "
            f"({', '.join(PREDICATES)})"
        ]
    ((name, args),) = check.items()
    if name not in PREDICATES:
        return [
            f"{where}: unknown predicate {name!r}; choose one of {', '.join(PREDICATES)}"
        ]
    _fn, schema = PREDICATES[name]
    here = f"{where}.{name}"
    if schema is list:
        if not isinstance(args, list) or not args:
            return [f"{here}: must be a non-empty list of checks"]
        return [e for i, c in enumerate(args) for e in validate(c, f"{here}[{i}]")]
    if schema is dict:
        return validate(args, here)
    if schema is bool:
        return [] if isinstance(args, bool) else [f"{here}: must be true or false"]
    if not isinstance(args, dict):
        return [f"{here}: must be a mapping of arguments"]
    problems = [
        f"{here}: {key} is required" for key in schema["required"] if key not in args
    ]
    for key, value in args.items():
        expected = schema["types"].get(key)
        if expected is None:
            problems.append(
                f"{here}: unknown argument {key!r}; allowed: {', '.join(schema['types'])}"
            )
        elif not _is_type(value, expected):
            problems.append(f"{here}.{key}: must be {_type_name(expected)}")
    if "count" in args and ("at_least" in args or "at_most" in args):
        problems.append(f"{here}: use count, or at_least/at_most, not both")
    for key in ("selector",):
        if isinstance(args.get(key), str):
            try:
                selectors.parse_label_selector(args[key])
            except selectors.InvalidSelector as exc:
                problems.append(f"{here}.{key}: {exc}")
    return problems


def _is_type(value, expected) -> bool:
    types = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in types:
        return False  # YAML's `true` is not a number
    return isinstance(value, types)


def _type_name(expected) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    names = {
        str: "a string",
        int: "an integer",
        bool: "true or false",
        dict: "a mapping",
    }
    return " or ".join(names.get(t, t.__name__) for t in types)


def evaluate(check: dict, state: dict) -> Result:
    """(ok, explanation) for a well-formed check over a cluster snapshot."""
    problems = validate(check)
    if problems:
        raise CheckError("; ".join(problems))
    ((name, args),) = check.items()
    return PREDICATES[name][0](args, state)
