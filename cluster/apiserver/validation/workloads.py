"""Deployment, ReplicaSet, StatefulSet, DaemonSet, Job and CronJob validation.

Rules from k/k pkg/apis/apps/validation and pkg/apis/batch/validation; the selector
immutability of apps/v1 comes from the registry strategies.
"""

from __future__ import annotations

import re

from cluster.apiserver.errors import Cause
from cluster.apiserver.validation import _field as f
from cluster.apiserver.validation import meta, pods
from cluster.objects import selectors

SELECTOR_MISMATCH = "`selector` does not match template `labels`"
EMPTY_SELECTOR = "empty selector is invalid for {what}"
STS_UPDATE_FORBIDDEN = (
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
    "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
)
_PERCENT = re.compile(r"^[0-9]+%$")


def _template_for_selector(spec: dict, path: str, owner: str) -> list[Cause]:
    """ValidatePodTemplateSpecForReplicaSet: labels match, restartPolicy Always."""
    template = spec.get("template")
    if template is None:
        return [f.required(path)]
    causes: list[Cause] = []
    labels = (template.get("metadata") or {}).get("labels")
    selector = spec.get("selector")
    # A missing selector selects nothing, so the template never matches it.
    if (
        selector is None
        or selector.get("matchLabels")
        or selector.get("matchExpressions")
    ):
        matched = selector is not None and selectors.matches(
            selectors.from_label_selector(selector), labels or {}
        )
        if not matched:
            causes.append(
                f.invalid(
                    f"{path}.metadata.labels",
                    f.GoValue(f.string_map(labels)),
                    SELECTOR_MISMATCH,
                )
            )
    causes += pods.pod_template(template, path)
    tspec = template.get("spec") or {}
    restart = tspec.get("restartPolicy") or ""
    if restart != "Always":
        causes.append(
            f.not_supported(f"{path}.spec.restartPolicy", restart, ("Always",))
        )
    if tspec.get("activeDeadlineSeconds") is not None:
        causes.append(
            f.forbidden(
                f"{path}.spec.activeDeadlineSeconds",
                f"activeDeadlineSeconds in {owner} is not Supported",
            )
        )
    return causes


def _selector(spec: dict, path: str, what: str) -> list[Cause]:
    selector = spec.get("selector")
    if selector is None:
        return [f.required(path)]
    causes = meta.label_selector(selector, path)
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        causes.append(
            f.invalid(
                path, f.label_selector(selector), EMPTY_SELECTOR.format(what=what)
            )
        )
    return causes


def _int_or_percent(value, path: str) -> list[Cause]:
    if isinstance(value, str):
        if not _PERCENT.match(value):
            return [
                f.invalid(
                    path,
                    value,
                    meta.regex_error(
                        "a valid percent string must be a numeric string followed by an ending '%'",
                        "[0-9]+%",
                        "1%",
                        "93%",
                    ),
                )
            ]
        if int(value[:-1]) > 100:
            return [f.invalid(path, value, "must not be greater than 100%")]
        return []
    return f.nonnegative(path, value)


def _is_zero(value) -> bool:
    return value in (0, "0%", None)


def _deployment_strategy(strategy: dict, path: str) -> list[Cause]:
    causes: list[Cause] = []
    kind = strategy.get("type") or ""
    rolling = strategy.get("rollingUpdate")
    if kind == "Recreate":
        if rolling is not None:
            causes.append(
                f.forbidden(
                    f"{path}.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                )
            )
    elif kind == "RollingUpdate":
        if rolling is None:
            causes.append(
                f.required(
                    f"{path}.rollingUpdate", "this should be defaulted and never be nil"
                )
            )
        else:
            p = f"{path}.rollingUpdate"
            causes += _int_or_percent(
                rolling.get("maxUnavailable"), f"{p}.maxUnavailable"
            )
            causes += _int_or_percent(rolling.get("maxSurge"), f"{p}.maxSurge")
            if _is_zero(rolling.get("maxUnavailable")) and _is_zero(
                rolling.get("maxSurge")
            ):
                causes.append(
                    f.invalid(
                        f"{p}.maxUnavailable",
                        rolling.get("maxUnavailable"),
                        "may not be 0 when `maxSurge` is 0",
                    )
                )
    else:
        causes.append(
            f.not_supported(f"{path}.type", kind, ("Recreate", "RollingUpdate"))
        )
    return causes


def validate_deployment(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidateDeployment (and the apps/v1 selector immutability on update)."""
    spec = obj.get("spec") or {}
    causes = meta.for_write(obj, old, True)
    causes += f.nonnegative("spec.replicas", spec.get("replicas", 0))
    causes += _selector(spec, "spec.selector", "deployment")
    causes += _template_for_selector(spec, "spec.template", "ReplicaSet")
    causes += _deployment_strategy(spec.get("strategy") or {}, "spec.strategy")
    causes += f.nonnegative("spec.minReadySeconds", spec.get("minReadySeconds", 0))
    causes += f.nonnegative(
        "spec.revisionHistoryLimit", spec.get("revisionHistoryLimit", 0)
    )
    deadline = spec.get("progressDeadlineSeconds")
    if deadline is not None:
        causes += f.nonnegative("spec.progressDeadlineSeconds", deadline)
        if deadline <= spec.get("minReadySeconds", 0):
            causes.append(
                f.invalid(
                    "spec.progressDeadlineSeconds",
                    deadline,
                    "must be greater than minReadySeconds",
                )
            )
    if old:
        causes += _selector_immutable(obj, old)
    return causes


def _selector_immutable(obj: dict, old: dict) -> list[Cause]:
    new_sel = (obj.get("spec") or {}).get("selector")
    old_sel = (old.get("spec") or {}).get("selector")
    return meta.immutable(new_sel, old_sel, "spec.selector", f.label_selector)


def validate_replicaset(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidateReplicaSet."""
    spec = obj.get("spec") or {}
    causes = meta.for_write(obj, old, True)
    causes += f.nonnegative("spec.replicas", spec.get("replicas", 0))
    causes += f.nonnegative("spec.minReadySeconds", spec.get("minReadySeconds", 0))
    causes += _selector(spec, "spec.selector", "deployment")
    causes += _template_for_selector(spec, "spec.template", "ReplicaSet")
    if old:
        causes += _selector_immutable(obj, old)
    return causes


def _with_claim_volumes(spec: dict) -> dict:
    """The spec with each volumeClaimTemplate as a pod volume, as the controller adds
    it to every pod, so mounts of a claim template are not "Not found" volumes."""
    template = spec.get("template")
    claims = [
        (c.get("metadata") or {}).get("name")
        for c in spec.get("volumeClaimTemplates") or []
    ]
    if not isinstance(template, dict) or not any(claims):
        return spec
    tspec = dict(template.get("spec") or {})
    volumes = list(tspec.get("volumes") or [])
    declared = {v.get("name") for v in volumes if isinstance(v, dict)}
    volumes += [
        {"name": name, "persistentVolumeClaim": {"claimName": name}}
        for name in claims
        if name and name not in declared
    ]
    return {**spec, "template": {**template, "spec": {**tspec, "volumes": volumes}}}


def validate_statefulset(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidateStatefulSet; on update only the mutable spec fields may change."""
    spec = obj.get("spec") or {}
    causes = meta.for_write(obj, old, True)
    policy = spec.get("podManagementPolicy") or ""
    if not policy:
        causes.append(f.required("spec.podManagementPolicy"))
    elif policy not in ("OrderedReady", "Parallel"):
        causes.append(
            f.not_supported(
                "spec.podManagementPolicy", policy, ("OrderedReady", "Parallel")
            )
        )
    update = (spec.get("updateStrategy") or {}).get("type") or ""
    if not update:
        causes.append(f.required("spec.updateStrategy"))
    elif update not in ("OnDelete", "RollingUpdate"):
        causes.append(
            f.not_supported(
                "spec.updateStrategy.type", update, ("OnDelete", "RollingUpdate")
            )
        )
    causes += f.nonnegative("spec.replicas", spec.get("replicas", 0))
    causes += f.nonnegative("spec.minReadySeconds", spec.get("minReadySeconds", 0))
    causes += _selector(spec, "spec.selector", "statefulset")
    causes += _template_for_selector(
        _with_claim_volumes(spec), "spec.template", "StatefulSet"
    )
    if old:
        mutable = (
            "replicas",
            "ordinals",
            "template",
            "updateStrategy",
            "persistentVolumeClaimRetentionPolicy",
            "minReadySeconds",
        )
        rest = {k: v for k, v in spec.items() if k not in mutable}
        old_rest = {
            k: v for k, v in (old.get("spec") or {}).items() if k not in mutable
        }
        if rest != old_rest:
            causes.append(f.forbidden("spec", STS_UPDATE_FORBIDDEN))
    return causes


def validate_daemonset(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidateDaemonSet."""
    spec = obj.get("spec") or {}
    causes = meta.for_write(obj, old, True)
    causes += _selector(spec, "spec.selector", "daemonset")
    causes += _template_for_selector(spec, "spec.template", "DaemonSet")
    strategy = spec.get("updateStrategy") or {}
    kind = strategy.get("type") or ""
    if kind not in ("OnDelete", "RollingUpdate"):
        causes.append(
            f.not_supported(
                "spec.updateStrategy.type", kind, ("OnDelete", "RollingUpdate")
            )
        )
    elif kind == "RollingUpdate":
        rolling = strategy.get("rollingUpdate") or {}
        p = "spec.updateStrategy.rollingUpdate"
        causes += _int_or_percent(rolling.get("maxUnavailable"), f"{p}.maxUnavailable")
        causes += _int_or_percent(rolling.get("maxSurge"), f"{p}.maxSurge")
        if _is_zero(rolling.get("maxUnavailable")) and _is_zero(
            rolling.get("maxSurge")
        ):
            causes.append(
                f.invalid(
                    f"{p}.maxUnavailable",
                    rolling.get("maxUnavailable"),
                    "may not be 0 when `maxSurge` is 0",
                )
            )
    causes += f.nonnegative("spec.minReadySeconds", spec.get("minReadySeconds", 0))
    if old:
        causes += _selector_immutable(obj, old)
    return causes


def _job_spec(spec: dict, path: str, require_selector: bool) -> list[Cause]:
    causes: list[Cause] = []
    for name in (
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttlSecondsAfterFinished",
    ):
        if spec.get(name) is not None:
            causes += f.nonnegative(f"{path}.{name}", spec[name])
    mode = spec.get("completionMode")
    if mode is not None and mode not in ("NonIndexed", "Indexed"):
        causes.append(
            f.not_supported(f"{path}.completionMode", mode, ("NonIndexed", "Indexed"))
        )
    if mode == "Indexed" and spec.get("completions") is None:
        causes.append(
            f.required(f"{path}.completions", "when completion mode is Indexed")
        )
    selector = spec.get("selector")
    if selector is None and require_selector:
        causes.append(f.required(f"{path}.selector"))
    else:
        causes += meta.label_selector(selector, f"{path}.selector")
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels")
    selective = selector and (
        selector.get("matchLabels") or selector.get("matchExpressions")
    )
    if selective and not selectors.matches(
        selectors.from_label_selector(selector), labels or {}
    ):
        causes.append(
            f.invalid(
                f"{path}.template.metadata.labels",
                f.GoValue(f.string_map(labels)),
                SELECTOR_MISMATCH,
            )
        )
    causes += pods.pod_template(template, f"{path}.template")
    restart = (template.get("spec") or {}).get("restartPolicy") or ""
    if restart not in ("OnFailure", "Never"):
        causes.append(
            f.not_supported(
                f"{path}.template.spec.restartPolicy", restart, ("OnFailure", "Never")
            )
        )
    return causes


def validate_job(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidateJob; the pod template is immutable once created (unless suspended)."""
    spec = obj.get("spec") or {}
    causes = meta.for_write(obj, old, True)
    causes += _job_spec(spec, "spec", require_selector=True)
    if old:
        old_spec = old.get("spec") or {}
        causes += _selector_immutable(obj, old)
        for name in (
            "completions",
            "completionMode",
            "podFailurePolicy",
            "backoffLimitPerIndex",
        ):
            if (
                name == "completions"
                and spec.get("completionMode") != "Indexed"
                or name != "completions"
            ):
                causes += meta.immutable(
                    spec.get(name), old_spec.get(name), f"spec.{name}"
                )
        if spec.get("template") != old_spec.get("template"):
            causes.append(
                f.invalid(
                    "spec.template",
                    f.GoValue("core.PodTemplateSpec{...}"),
                    f.FIELD_IMMUTABLE,
                )
            )
    return causes


def validate_cronjob(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidateCronJob: schedule, policies and the embedded job template."""
    spec = obj.get("spec") or {}
    causes = meta.for_write(obj, old, True)
    name = (obj.get("metadata") or {}).get("name") or ""
    if len(name) > 52:
        causes.append(
            f.invalid("metadata.name", name, "must be no more than 52 characters")
        )
    schedule = spec.get("schedule") or ""
    if not schedule:
        causes.append(f.required("spec.schedule"))
    elif not _cron_ok(schedule):
        causes.append(
            f.invalid("spec.schedule", schedule, f"unparseable schedule: {schedule!s}")
        )
    policy = spec.get("concurrencyPolicy") or ""
    if policy not in ("Allow", "Forbid", "Replace"):
        if not policy:
            causes.append(f.required("spec.concurrencyPolicy"))
        else:
            causes.append(
                f.not_supported(
                    "spec.concurrencyPolicy", policy, ("Allow", "Forbid", "Replace")
                )
            )
    for limit in (
        "startingDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
    ):
        if spec.get(limit) is not None:
            causes += f.nonnegative(f"spec.{limit}", spec[limit])
    job_template = spec.get("jobTemplate") or {}
    tmeta = job_template.get("metadata") or {}
    causes += meta.labels(tmeta.get("labels"), "spec.jobTemplate.metadata.labels")
    causes += _job_spec(
        job_template.get("spec") or {}, "spec.jobTemplate.spec", require_selector=False
    )
    return causes


_CRON_MACROS = {
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
}
_CRON_FIELD = re.compile(
    r"^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?)*$"
)


def _cron_ok(schedule: str) -> bool:
    text = schedule.strip()
    if text.startswith(("TZ=", "CRON_TZ=")):
        return False  # time zones belong in spec.timeZone
    if text in _CRON_MACROS or text.startswith("@every "):
        return True
    parts = text.split()
    return len(parts) == 5 and all(_CRON_FIELD.match(p) for p in parts)
