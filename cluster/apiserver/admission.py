"""Admission plugins as pure functions: NamespaceLifecycle checks and the mutating set.

`mutate(obj, ctx)` runs, for a create, the default-enabled mutating plugins in
kube-apiserver's order: LimitRanger, ServiceAccount, TaintNodesByCondition,
Priority, DefaultTolerationSeconds, DefaultStorageClass, StorageObjectInUseProtection.
Whatever a plugin needs from the cluster comes through `ctx.lister`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from cluster.apiserver import errors
from cluster.apiserver.defaults import qos_class
from cluster.controllers import resourcequota
from cluster.kinds import Kind
from cluster.objects import names, quantity

IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")
NAMESPACE_TERMINATING = (
    "unable to create new content in namespace {ns} because it is being terminated"
)
NAMESPACE_TERMINATING_CAUSE = "namespace {ns} is being terminated"
NAMESPACE_UNDELETABLE = "this namespace may not be deleted"
SERVICE_ACCOUNT_MISSING = (
    'error looking up service account {ns}/{name}: serviceaccount "{name}" not found'
)
PRIORITY_CLASS_MISSING = "no PriorityClass with name {name} was found"
PRIORITY_MISMATCH = (
    "the integer value of priority ({given}) must not be provided in pod spec; priority "
    "admission controller computed {computed} from the given PriorityClass name"
)
TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
TOKEN_VOLUME_PREFIX = "kube-api-access-"
TOKEN_EXPIRATION_SECONDS = 3607
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"
MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror"
LIMIT_RANGER_ANNOTATION = "kubernetes.io/limit-ranger"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"
PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"
DEFAULT_TOLERATION_SECONDS = 300
SYSTEM_PRIORITY_CLASSES = {
    "system-cluster-critical": 2000000000,
    "system-node-critical": 2000001000,
}


# What the mutating plugins list for a create of each kind, so the API server can fetch
# it all in one read: {(apiVersion, kind): (listed kind, ...)}.
READS = {
    ("v1", "Pod"): ("LimitRange", "ServiceAccount", "PriorityClass"),
    ("v1", "PersistentVolumeClaim"): ("StorageClass",),
}


def reads_for(kind: Kind) -> tuple[str, ...]:
    """What admission of a create of `kind` lists: the mutating plugins' reads, and the
    namespace's ResourceQuotas for any namespaced kind but Events (never charged)."""
    reads = READS.get((kind.api_version, kind.kind), ())
    if kind.namespaced and kind.kind != "Event":
        reads += ("ResourceQuota",)
    return reads


@dataclass
class AdmissionContext:
    """What the plugins may read: the clock, randomness and a lister of cluster objects."""

    now: float
    rng: random.Random
    lister: Callable[..., list[dict]] = field(default=lambda kind, namespace=None: [])
    operation: str = "CREATE"
    not_ready_toleration_seconds: int = DEFAULT_TOLERATION_SECONDS
    unreachable_toleration_seconds: int = DEFAULT_TOLERATION_SECONDS


def check_namespace(
    ns: dict | None, kind: Kind, namespace: str, name: str = ""
) -> None:
    """NamespaceLifecycle on create: the namespace must exist and not be terminating."""
    if not kind.namespaced or kind.kind == "Namespace":
        return
    if ns is None:
        raise errors.not_found("namespaces", namespace)
    terminating = (ns.get("metadata") or {}).get("deletionTimestamp") or (
        ns.get("status") or {}
    ).get("phase") == "Terminating"
    if terminating:
        exc = errors.forbidden(
            kind.qualified,
            name,
            NAMESPACE_TERMINATING.format(ns=namespace),
            kind.group,
            kind.plural,
        )
        exc.causes = [
            errors.Cause(
                "metadata.namespace",
                NAMESPACE_TERMINATING_CAUSE.format(ns=namespace),
                "NamespaceTerminating",
            )
        ]
        raise exc


def check_delete(kind: Kind, name: str) -> None:
    """NamespaceLifecycle on delete: `default`, `kube-system` and `kube-public` stay."""
    if kind.kind == "Namespace" and not kind.group and name in IMMORTAL_NAMESPACES:
        raise errors.forbidden(
            "namespaces", name, NAMESPACE_UNDELETABLE, "", "namespaces"
        )


def mutate(obj: dict, ctx: AdmissionContext) -> None:
    """Run every mutating plugin that applies to `obj`, in place."""
    kind = (obj.get("apiVersion", ""), obj.get("kind", ""))
    if ctx.operation != "CREATE":
        return
    if kind == ("v1", "Pod"):
        limit_ranger(obj, ctx)
        service_account(obj, ctx)
        priority(obj, ctx)
        default_toleration_seconds(obj, ctx)
        status = obj.get("status")
        if isinstance(status, dict) and "phase" in status:
            status["qosClass"] = qos_class(obj.get("spec") or {})
    elif kind == ("v1", "Node"):
        taint_nodes_by_condition(obj)
    elif kind == ("v1", "PersistentVolumeClaim"):
        default_storage_class(obj, ctx)
        storage_object_in_use_protection(obj)
    elif kind == ("v1", "PersistentVolume"):
        storage_object_in_use_protection(obj)


def _pod_forbidden(pod: dict, why: str) -> errors.ApiError:
    return errors.forbidden(
        "pods", (pod.get("metadata") or {}).get("name", ""), why, "", "pods"
    )


def _containers(spec: dict) -> list[tuple[str, dict]]:
    return [("init container", c) for c in spec.get("initContainers") or []] + [
        ("container", c) for c in spec.get("containers") or []
    ]


def limit_ranger(pod: dict, ctx: AdmissionContext) -> None:
    """LimitRanger: fill missing container requests/limits from the namespace's LimitRanges."""
    namespace = (pod.get("metadata") or {}).get("namespace")
    limits: dict = {}
    requests: dict = {}
    for lr in ctx.lister("LimitRange", namespace):
        for item in (lr.get("spec") or {}).get("limits") or []:
            if item.get("type") == "Container":
                limits.update(item.get("default") or {})
                requests.update(item.get("defaultRequest") or {})
    if not limits and not requests:
        return
    notes: list[str] = []
    spec = pod.get("spec") or {}
    for label, c in [("container", c) for c in spec.get("containers") or []] + [
        ("init container", c) for c in spec.get("initContainers") or []
    ]:
        res = c.setdefault("resources", {})
        set_requests = [k for k in requests if k not in (res.get("requests") or {})]
        set_limits = [k for k in limits if k not in (res.get("limits") or {})]
        for k in set_limits:
            res.setdefault("limits", {})[k] = limits[k]
        for k in set_requests:
            res.setdefault("requests", {})[k] = requests[k]
        if set_requests:
            notes.append(
                f"{', '.join(sorted(set_requests))} request for {label} {c.get('name', '')}"
            )
        if set_limits:
            notes.append(
                f"{', '.join(sorted(set_limits))} limit for {label} {c.get('name', '')}"
            )
    if notes:
        annotations = pod.setdefault("metadata", {}).setdefault("annotations", {})
        annotations[LIMIT_RANGER_ANNOTATION] = "LimitRanger plugin set: " + "; ".join(
            notes
        )


def _automount(pod: dict, account: dict | None) -> bool:
    spec = pod.get("spec") or {}
    if spec.get("automountServiceAccountToken") is not None:
        return bool(spec["automountServiceAccountToken"])
    if account is not None and account.get("automountServiceAccountToken") is not None:
        return bool(account["automountServiceAccountToken"])
    return True


def token_volume(name: str) -> dict:
    """The projected service account token volume the ServiceAccount plugin adds."""
    return {
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {
                    "serviceAccountToken": {
                        "expirationSeconds": TOKEN_EXPIRATION_SECONDS,
                        "path": "token",
                    }
                },
                {
                    "configMap": {
                        "items": [{"key": "ca.crt", "path": "ca.crt"}],
                        "name": ROOT_CA_CONFIGMAP,
                    }
                },
                {
                    "downwardAPI": {
                        "items": [
                            {
                                "fieldRef": {
                                    "apiVersion": "v1",
                                    "fieldPath": "metadata.namespace",
                                },
                                "path": "namespace",
                            }
                        ]
                    }
                },
            ],
        },
    }


def service_account(pod: dict, ctx: AdmissionContext) -> None:
    """ServiceAccount: default the account and mount its token in every container."""
    meta = pod.get("metadata") or {}
    if MIRROR_POD_ANNOTATION in (meta.get("annotations") or {}):
        return
    spec = pod.setdefault("spec", {})
    name = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    spec["serviceAccountName"] = name
    namespace = meta.get("namespace", "")
    account = next(
        (
            a
            for a in ctx.lister("ServiceAccount", namespace)
            if (a.get("metadata") or {}).get("name") == name
        ),
        None,
    )
    if account is None:
        raise _pod_forbidden(
            pod, SERVICE_ACCOUNT_MISSING.format(ns=namespace, name=name)
        )
    spec["serviceAccount"] = name
    if not _automount(pod, account):
        return
    volumes = spec.setdefault("volumes", [])
    existing = next(
        (
            v["name"]
            for v in volumes
            if v.get("name", "").startswith(TOKEN_VOLUME_PREFIX) and "projected" in v
        ),
        None,
    )
    volume_name = existing or TOKEN_VOLUME_PREFIX + names.random_suffix(ctx.rng)
    if existing is None:
        volumes.append(token_volume(volume_name))
    for _label, c in _containers(spec):
        mounts = c.setdefault("volumeMounts", [])
        if any(m.get("mountPath") == TOKEN_MOUNT_PATH for m in mounts):
            continue
        mounts.append(
            {"name": volume_name, "readOnly": True, "mountPath": TOKEN_MOUNT_PATH}
        )


def priority(pod: dict, ctx: AdmissionContext) -> None:
    """Priority: resolve priorityClassName (or the global default) into spec.priority."""
    spec = pod.setdefault("spec", {})
    classes = {
        (pc.get("metadata") or {}).get("name"): pc for pc in ctx.lister("PriorityClass")
    }
    name = spec.get("priorityClassName") or ""
    value, policy = 0, "PreemptLowerPriority"
    if not name:
        defaults = [pc for pc in classes.values() if pc.get("globalDefault")]
        if defaults:
            chosen = min(defaults, key=lambda pc: pc.get("value", 0))
            name = chosen["metadata"]["name"]
            value = chosen.get("value", 0)
            policy = chosen.get("preemptionPolicy") or policy
            spec["priorityClassName"] = name
    elif name in classes:
        value = classes[name].get("value", 0)
        policy = classes[name].get("preemptionPolicy") or policy
    elif name in SYSTEM_PRIORITY_CLASSES:
        value = SYSTEM_PRIORITY_CLASSES[name]
    else:
        raise _pod_forbidden(pod, PRIORITY_CLASS_MISSING.format(name=name))
    given = spec.get("priority")
    if given is not None and given != value:
        raise _pod_forbidden(pod, PRIORITY_MISMATCH.format(given=given, computed=value))
    spec["priority"] = value
    spec["preemptionPolicy"] = policy


def default_toleration_seconds(pod: dict, ctx: AdmissionContext) -> None:
    """DefaultTolerationSeconds: tolerate not-ready and unreachable NoExecute for 300 s."""
    spec = pod.setdefault("spec", {})
    tolerations = spec.get("tolerations") or []

    def tolerated(key: str) -> bool:
        return any(
            (t.get("key") in (key, "", None))
            and (t.get("effect") in ("NoExecute", "", None))
            for t in tolerations
        )

    added = []
    for key, seconds in (
        (NOT_READY_TAINT, ctx.not_ready_toleration_seconds),
        (UNREACHABLE_TAINT, ctx.unreachable_toleration_seconds),
    ):
        if not tolerated(key):
            added.append(
                {
                    "key": key,
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": seconds,
                }
            )
    if added:
        spec["tolerations"] = list(tolerations) + added


def taint_nodes_by_condition(node: dict) -> None:
    """TaintNodesByCondition: a new Node starts tainted not-ready:NoSchedule."""
    spec = node.setdefault("spec", {})
    taints = spec.get("taints") or []
    if not any(
        t.get("key") == NOT_READY_TAINT and t.get("effect") == "NoSchedule"
        for t in taints
    ):
        spec["taints"] = list(taints) + [
            {"key": NOT_READY_TAINT, "effect": "NoSchedule"}
        ]


def default_storage_class(pvc: dict, ctx: AdmissionContext) -> None:
    """DefaultStorageClass: a claim without storageClassName gets the default class."""
    spec = pvc.setdefault("spec", {})
    if "storageClassName" in spec and spec["storageClassName"] is not None:
        return
    defaults = [
        sc
        for sc in ctx.lister("StorageClass")
        if ((sc.get("metadata") or {}).get("annotations") or {}).get(
            DEFAULT_CLASS_ANNOTATION
        )
        == "true"
    ]
    if not defaults:
        return
    # With several defaults the newest wins (ties by name), as since Kubernetes 1.26.
    newest = max(
        defaults,
        key=lambda sc: (
            (sc["metadata"].get("creationTimestamp") or ""),
            sc["metadata"].get("name", ""),
        ),
    )
    spec["storageClassName"] = newest["metadata"]["name"]


def storage_object_in_use_protection(obj: dict) -> None:
    """StorageObjectInUseProtection: claims and volumes get their protection finalizer."""
    finalizer = (
        PVC_PROTECTION if obj.get("kind") == "PersistentVolumeClaim" else PV_PROTECTION
    )
    finalizers = obj.setdefault("metadata", {}).setdefault("finalizers", [])
    if finalizer not in finalizers:
        finalizers.append(finalizer)


QUOTA_EXCEEDED = (
    "exceeded quota: {name}, requested: {requested}, used: {used}, limited: {hard}"
)
QUOTA_MUST_SPECIFY = "failed quota: {name}: must specify {missing}"
QUOTA_STATUS_UNKNOWN = "status unknown for quota: {name}, resources: {resources}"


def charge_resource_quotas(kind: Kind, obj: dict, quotas: list[dict]) -> list[dict]:
    """ResourceQuota on create: each quota of the namespace whose status.hard names a
    resource the object uses must have room for it; returns those quotas with the
    object added to status.used, to be written before the object is."""
    delta = resourcequota.usage(obj, kind.kind, now=0.0)
    charged = []
    for rq in sorted(quotas, key=lambda q: q["metadata"]["name"]):
        status = rq.get("status") or {}
        hard, used = status.get("hard") or {}, status.get("used") or {}
        scopes = (rq.get("spec") or {}).get("scopes") or []
        if kind.kind == "Pod" and not resourcequota.pod_matches_scopes(obj, scopes):
            continue
        name = rq["metadata"]["name"]
        if kind.kind == "Pod" and (missing := _unspecified_compute(obj, hard)):
            raise _quota_forbidden(
                kind, obj, QUOTA_MUST_SPECIFY.format(name=name, missing=missing)
            )
        requested = {
            r: a
            for r, a in delta.items()
            if r in hard
            and quantity.is_valid(hard[r])
            and quantity.is_valid(used.get(r, 0))
        }
        if not requested:
            continue
        unknown = sorted(r for r in requested if r not in used)
        if unknown:
            raise _quota_forbidden(
                kind,
                obj,
                QUOTA_STATUS_UNKNOWN.format(name=name, resources=",".join(unknown)),
            )
        new_used = {
            r: resourcequota.Amount.of(used[r]) + a for r, a in requested.items()
        }
        over = sorted(
            r for r, a in new_used.items() if a.value > quantity.parse(hard[r])
        )
        if over:
            raise _quota_forbidden(
                kind,
                obj,
                QUOTA_EXCEEDED.format(
                    name=name,
                    requested=_pretty({r: str(requested[r]) for r in over}),
                    used=_pretty({r: used[r] for r in over}),
                    hard=_pretty({r: hard[r] for r in over}),
                ),
            )
        charged.append(
            {
                **rq,
                "status": {
                    **status,
                    "used": {**used, **{r: str(a) for r, a in new_used.items()}},
                },
            }
        )
    return charged


def _unspecified_compute(pod: dict, hard: dict) -> str:
    """The cpu/memory quota resources some container leaves unset: a quota on them
    makes every container state them (`limits.cpu for: app; ...`), or ""."""
    limited = set(hard) & set(resourcequota.POD_COMPUTE)
    missing: dict[str, set[str]] = {}
    spec = pod.get("spec") or {}
    for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        resources = c.get("resources") or {}
        for name in limited:
            field, resource = resourcequota.POD_COMPUTE[name]
            if (resources.get(field) or {}).get(resource) is None:
                missing.setdefault(name, set()).add(c.get("name", ""))
    return "; ".join(
        f"{name} for: {','.join(sorted(missing[name]))}" for name in sorted(missing)
    )


def _pretty(values: dict[str, str]) -> str:
    return ",".join(f"{k}={values[k]}" for k in sorted(values))


def _quota_forbidden(kind: Kind, obj: dict, why: str) -> errors.ApiError:
    name = (obj.get("metadata") or {}).get("name", "")
    return errors.forbidden(kind.qualified, name, why, kind.group, kind.plural)
