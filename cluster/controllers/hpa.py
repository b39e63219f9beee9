"""HorizontalPodAutoscaler controller (autoscaling/v2): resource metrics from PodMetrics.

An HPA without `spec.behavior` takes the controller's classic path:
desired = ceil(current × usage / target), skipped within the 10 % tolerance (the
replica calculator in `hpa_replicas` says how unready and unmeasured pods count);
the highest recommendation of the last 300 s is applied (so scale-down waits out
the window); one step grows to at most max(2 × current, 4). The recommendations are
persisted in an annotation of the HPA (`RECOMMENDATIONS`, JSON `[[time, replicas],
…]`) because nothing lives in memory. Status conditions AbleToScale, ScalingActive
and ScalingLimited say what happened, as `kubectl describe hpa` shows them.
"""

from __future__ import annotations

import json
import random

from cluster.actions import Action, Patch, RecordEvent, UpdateStatus
from cluster.controllers.hpa_replicas import MetricsUnavailable, recommend
from cluster.objects import pods as P
from cluster.objects import selectors
from cluster.simtime import parse_rfc3339, rfc3339

COMPONENT = "horizontal-pod-autoscaler"
SYNC_PERIOD = 15
DOWNSCALE_WINDOW = 300
RECOMMENDATIONS = "autoscaling.kubelab.dev/recommendations"
LAST_SYNC = "autoscaling.kubelab.dev/last-sync"
SUCCESSFUL_RESCALE = "SuccessfulRescale"
RESCALE_MESSAGE = "New size: {size}; reason: {reason}"
ABOVE = "{name} resource utilization (percentage of request) above target"
BELOW = "All metrics below target"
ABOVE_MAX = "Current number of replicas above Spec.MaxReplicas"
BELOW_MIN = "Current number of replicas below Spec.MinReplicas"
METRIC_NAME = "{name} resource utilization (percentage of request)"
# calculateScaleUpLimit: max(scaleUpLimitFactor × current, scaleUpLimitMinimum).
SCALE_UP_FACTOR, SCALE_UP_MINIMUM = 2, 4

GOT_SCALE = (
    "SucceededGetScale",
    "the HPA controller was able to get the target's current scale",
)
RESCALED = (
    "SucceededRescale",
    "the HPA controller was able to update the target scale to {size}",
)
READY_FOR_NEW_SCALE = ("ReadyForNewScale", "recommended size matches current size")
STABILIZED = (
    "ScaleDownStabilized",
    "recent recommendations were higher than current one, applying the highest recent recommendation",
)
VALID_METRIC = (
    "ValidMetricFound",
    "the HPA was able to successfully calculate a replica count from {metric}",
)
SCALING_DISABLED = (
    "ScalingDisabled",
    "scaling is disabled since the replica count of the target is zero",
)
UNABLE_TO_COMPUTE = "the HPA was unable to compute the replica count: {error}"
FAILED_GET_RESOURCE_METRIC = "FailedGetResourceMetric"
FAILED_COMPUTE_REPLICAS = "FailedComputeMetricsReplicas"
INVALID_METRICS = (
    "invalid metrics ({bad} invalid out of {total}), first error is: {error}"
)
WITHIN_RANGE = (
    "DesiredWithinRange",
    "the desired count is within the acceptable range",
)
TOO_FEW = (
    "TooFewReplicas",
    "the desired replica count is less than the minimum replica count",
)
TOO_MANY = (
    "TooManyReplicas",
    "the desired replica count is more than the maximum replica count",
)
UP_LIMIT = (
    "ScaleUpLimit",
    "the desired replica count is increasing faster than the maximum scale rate",
)


def limit(current: int, desired: int, lo: int, hi: int) -> tuple[int, tuple[str, str]]:
    """convertDesiredReplicasWithRules: the count within [min, max] and the step
    limit, and the ScalingLimited reason and message saying which bound held."""
    up_limit = max(SCALE_UP_FACTOR * current, SCALE_UP_MINIMUM)
    most, why = (up_limit, UP_LIMIT) if hi > up_limit else (hi, TOO_MANY)
    if desired < lo:
        return lo, TOO_FEW
    if desired > most:
        return most, why
    return desired, WITHIN_RANGE


def _set(conditions: list[dict], type_: str, status: str, pair, now: float, **fmt):
    """setConditionInList: update in place (the transition time moves only when the
    status does) or append."""
    found = next((c for c in conditions if c["type"] == type_), None)
    if found is None:
        found = {"type": type_}
        conditions.append(found)
    if found.get("status") != status:
        found["lastTransitionTime"] = rfc3339(now)
    found.update(status=status, reason=pair[0], message=pair[1].format(**fmt))


def reconcile(
    hpa: dict, target: dict | None, pods: list[dict], metrics: list[dict], now: float
) -> list[Action]:
    """Sync one HPA: compute the recommendation, stabilise it, scale the target; status last."""
    spec, old = hpa["spec"], hpa.get("status") or {}
    last = parse_rfc3339(old.get("lastScaleTime"))
    if target is None:
        return []
    current = int(target["spec"].get("replicas", 1))
    lo, hi = spec.get("minReplicas", 1), spec["maxReplicas"]
    conditions = [dict(c) for c in old.get("conditions") or []]
    _set(conditions, "AbleToScale", "True", GOT_SCALE, now)
    selector = selectors.from_label_selector(target["spec"].get("selector"))
    mine = [p for p in pods if selectors.matches(selector, P.labels(p))]
    names = {P.name(p) for p in mine}
    samples = [m for m in metrics if P.name(m) in names]
    window = [
        r
        for r in json.loads(P.annotations(hpa).get(RECOMMENDATIONS, "[]"))
        if r[0] > now - DOWNSCALE_WINDOW
    ]
    actions: list[Action] = []
    current_metrics: list[dict] = []
    final, reason, desired = current, "", old.get("desiredReplicas", current)
    if current == 0 and lo != 0:
        _set(conditions, "ScalingActive", "False", SCALING_DISABLED, now)
        desired = 0
    elif current > hi:
        final = desired = hi
        reason = ABOVE_MAX
    elif current < lo:
        final = desired = lo
        reason = BELOW_MIN
    else:
        proposals, errors = _proposals(spec, mine, samples, current, now)
        current_metrics = [m for _, _, m in proposals]
        if not proposals or (errors and max(p[0] for p in proposals) < current):
            # All invalid, or some invalid on the way down: no scaling on a guess.
            total = len(proposals) + len(errors)
            actions += _invalid_metrics(hpa, conditions, errors, total, now)
            return _finish(
                hpa, old, conditions, current, desired, [], last, window, now, actions
            )
        actions += [
            _warning(hpa, FAILED_GET_RESOURCE_METRIC, error) for _, error, _ in errors
        ]
        proposal, metric, _ = max(proposals, key=lambda p: p[0])
        _set(conditions, "ScalingActive", "True", VALID_METRIC, now, metric=metric)
        if proposal > current:
            reason = ABOVE.format(name=metric.split(" ")[0])
        elif proposal < current:
            reason = BELOW
        window.append([now, proposal])
        stabilised = max(r[1] for r in window)
        pair = STABILIZED if stabilised != proposal else READY_FOR_NEW_SCALE
        _set(conditions, "AbleToScale", "True", pair, now)
        final, why = limit(current, stabilised, lo, hi)
        limited = "False" if final == stabilised else "True"
        _set(conditions, "ScalingLimited", limited, why, now)
        desired = final
    if final != current:
        ref = P.ref(target)
        actions.append(Patch(ref, {"spec": {"replicas": final}}, subresource="scale"))
        actions.append(
            RecordEvent(
                P.ref(hpa),
                "Normal",
                SUCCESSFUL_RESCALE,
                RESCALE_MESSAGE.format(size=final, reason=reason),
                COMPONENT,
            )
        )
        _set(conditions, "AbleToScale", "True", RESCALED, now, size=final)
        last = now
    return _finish(
        hpa,
        old,
        conditions,
        current,
        desired,
        current_metrics,
        last,
        window,
        now,
        actions,
    )


def _proposals(spec: dict, pods: list[dict], samples: list[dict], current: int, now):
    """computeReplicasForMetrics over the Resource metrics: (replicas, metric name,
    status) for each that could be computed, (reason, error, resource) for the rest."""
    proposals, errors = [], []
    for m in spec.get("metrics") or []:
        if m.get("type") != "Resource":
            continue
        res = m["resource"]
        want = (res.get("target") or {}).get("averageUtilization")
        if not want:
            continue
        try:
            replicas, util, avg = recommend(
                pods, samples, res["name"], want, current, now
            )
        except MetricsUnavailable as exc:
            error = f"failed to get {res['name']} utilization: {exc}"
            errors.append((FAILED_GET_RESOURCE_METRIC, error, res["name"]))
            continue
        value = f"{avg}m" if res["name"] == "cpu" else str(avg)
        status = {
            "type": "Resource",
            "resource": {
                "name": res["name"],
                "current": {"averageUtilization": util, "averageValue": value},
            },
        }
        proposals.append((replicas, METRIC_NAME.format(name=res["name"]), status))
    return proposals, errors


def _invalid_metrics(
    hpa: dict, conditions: list, errors: list, total: int, now: float
) -> list:
    """The events of metrics that could not be read, and ScalingActive False with the
    first one's reason (an HPA with no Resource metric at all has nothing to report)."""
    if not errors:
        return []
    events = [_warning(hpa, reason, error) for reason, error, _ in errors]
    reason, first, resource = errors[0]
    pair = (reason, UNABLE_TO_COMPUTE)
    _set(conditions, "ScalingActive", "False", pair, now, error=first)
    wrapped = f"failed to get {resource} resource metric value: {first}"
    message = INVALID_METRICS.format(bad=len(errors), total=total, error=wrapped)
    return [*events, _warning(hpa, FAILED_COMPUTE_REPLICAS, message)]


def _warning(hpa: dict, reason: str, message: str) -> RecordEvent:
    return RecordEvent(P.ref(hpa), "Warning", reason, message, COMPONENT)


def _finish(
    hpa, old, conditions, current, desired, metrics, last, window, now, actions
):
    """Status last, then the annotations that carry the window and the sync time."""
    status = {
        "currentReplicas": current,
        "desiredReplicas": desired,
        "currentMetrics": metrics or None,
        "lastScaleTime": rfc3339(last) if last else None,
        "observedGeneration": P.meta(hpa).get("generation"),
        "conditions": conditions,
    }
    status = {k: v for k, v in status.items() if v is not None}
    if status != old:
        actions.append(UpdateStatus({**hpa, "status": status}))
    actions.append(
        Patch(
            P.ref(hpa),
            {
                "metadata": {
                    "annotations": {
                        RECOMMENDATIONS: json.dumps(window),
                        LAST_SYNC: repr(now),
                    }
                }
            },
        )
    )
    return actions


def _last_sync(hpa: dict) -> float | None:
    annotations = P.annotations(hpa)
    if LAST_SYNC in annotations:
        return float(annotations[LAST_SYNC])
    window = json.loads(annotations.get(RECOMMENDATIONS, "[]"))
    return window[-1][0] if window else None


def _target(hpa: dict, view: dict) -> dict | None:
    ref = hpa["spec"]["scaleTargetRef"]
    for obj in view.get(ref["kind"], []):
        if P.name(obj) == ref["name"] and P.namespace(obj) == P.namespace(hpa):
            return obj
    return None


def due(hpa: dict, now: float) -> bool:
    """Whether the 15 s sync period has passed since this HPA was last evaluated."""
    last = _last_sync(hpa)
    return last is None or last + SYNC_PERIOD <= now


def sync(view: dict[str, list[dict]], now: float, rng: random.Random) -> list[Action]:
    """Reconcile every HPA whose sync period has come."""
    actions: list[Action] = []
    for hpa in sorted(
        view.get("HorizontalPodAutoscaler", []),
        key=lambda o: (P.namespace(o), P.name(o)),
    ):
        if not due(hpa, now):
            continue
        ns = P.namespace(hpa)
        actions += reconcile(
            hpa,
            _target(hpa, view),
            P.in_namespace(view.get("Pod", []), ns),
            P.in_namespace(view.get("PodMetrics", []), ns),
            now,
        )
    return actions


def next_wake(view: dict[str, list[dict]], now: float) -> float | None:
    """The next HPA evaluation, every 15 s."""
    wakes = []
    for hpa in view.get("HorizontalPodAutoscaler", []):
        last = _last_sync(hpa)
        wakes.append(last + SYNC_PERIOD if last is not None else now)
    return min(wakes, default=None)
