"""HorizontalPodAutoscaler controller (autoscaling/v2): resource metrics from PodMetrics.

An HPA without `spec.behavior` takes the controller's classic path:
desired = ceil(current × usage / target), skipped within the 10 % tolerance (the
replica calculator in `hpa_replicas` says how unready and unmeasured pods count);
the highest recommendation of the last 300 s is applied (so scale-down waits out
the window); one step grows to at most max(2 × current, 4). As in Kubernetes, the
controller's work queue holds each HPA a sync period (15 s) before its first sync
and between syncs, and the recommendations live in the controller's memory, so a
restarted controller manager starts without them. Status conditions AbleToScale,
ScalingActive and ScalingLimited say what happened, as `kubectl describe hpa`
shows them.
"""

from __future__ import annotations

from cluster.actions import Action, Patch, RecordEvent, UpdateStatus
from cluster.controllers.hpa_replicas import MetricsUnavailable, recommend
from cluster.controllers.node_lifecycle import observing_since
from cluster.objects import pods as P
from cluster.objects import selectors
from cluster.simtime import parse_rfc3339, rfc3339

COMPONENT = "horizontal-pod-autoscaler"
SYNC_PERIOD = 15
DOWNSCALE_WINDOW = 300
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
    hpa: dict,
    target: dict | None,
    pods: list[dict],
    metrics: list[dict],
    now: float,
    recommendations: list[list[float]] = (),
) -> tuple[list[Action], list[list[float]]]:
    """Sync one HPA: compute the recommendation, stabilise it over the remembered
    `recommendations` ([time, replicas] pairs), scale the target; status last.
    Returns the actions and the recommendations to remember."""
    spec, old = hpa["spec"], hpa.get("status") or {}
    last = parse_rfc3339(old.get("lastScaleTime"))
    window = [r for r in recommendations if r[0] > now - DOWNSCALE_WINDOW]
    if target is None:
        return [], window
    current = int(target["spec"].get("replicas", 1))
    lo, hi = spec.get("minReplicas", 1), spec["maxReplicas"]
    conditions = [dict(c) for c in old.get("conditions") or []]
    _set(conditions, "AbleToScale", "True", GOT_SCALE, now)
    selector = selectors.from_label_selector(target["spec"].get("selector"))
    mine = [p for p in pods if selectors.matches(selector, P.labels(p))]
    names = {P.name(p) for p in mine}
    samples = [m for m in metrics if P.name(m) in names]
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
            status = _status(hpa, conditions, current, desired, [], last)
            return _with_status(actions, hpa, old, status), window
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
    status = _status(hpa, conditions, current, desired, current_metrics, last)
    return _with_status(actions, hpa, old, status), window


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


def _status(hpa, conditions, current, desired, metrics, last) -> dict:
    status = {
        "currentReplicas": current,
        "desiredReplicas": desired,
        "currentMetrics": metrics or None,
        "lastScaleTime": rfc3339(last) if last else None,
        "observedGeneration": P.meta(hpa).get("generation"),
        "conditions": conditions,
    }
    return {k: v for k, v in status.items() if v is not None}


def _with_status(actions: list, hpa: dict, old: dict, status: dict) -> list[Action]:
    """The actions, then the status update last (written only when it changed)."""
    if status != old:
        actions.append(UpdateStatus({**hpa, "status": status}))
    return actions


def _target(hpa: dict, view: dict) -> dict | None:
    ref = hpa["spec"]["scaleTargetRef"]
    for obj in view.get(ref["kind"], []):
        if P.name(obj) == ref["name"] and P.namespace(obj) == P.namespace(hpa):
            return obj
    return None


def remembered(
    view: dict, memory: dict | None, now: float
) -> tuple[list[Action], dict]:
    """The controller's work queue: every HPA due now is synced. An HPA is first due
    a sync period after this controller saw it (as the informer's add is queued
    rate-limited), then a sync period after each sync. Remembers, per HPA uid, when
    it is due and its recommendations; a new process (a restart, another leader)
    starts afresh."""
    since = observing_since(view)
    memory = memory or {}
    known = (memory.get("hpas") or {}) if memory.get("since") == since else {}
    actions: list[Action] = []
    hpas = {}
    for hpa in sorted(
        view.get("HorizontalPodAutoscaler", []),
        key=lambda o: (P.namespace(o), P.name(o)),
    ):
        uid = P.uid(hpa)
        state = known.get(uid) or {"due": now + SYNC_PERIOD, "window": []}
        if state["due"] <= now:
            ns = P.namespace(hpa)
            synced, window = reconcile(
                hpa,
                _target(hpa, view),
                P.in_namespace(view.get("Pod", []), ns),
                P.in_namespace(view.get("PodMetrics", []), ns),
                now,
                state["window"],
            )
            actions += synced
            state = {"due": now + SYNC_PERIOD, "window": window}
        hpas[uid] = state
    return actions, {"since": since, "hpas": hpas}


def next_wake(view: dict, now: float, memory: dict | None = None) -> float | None:
    """The next HPA sync the work queue holds."""
    hpas = (memory or {}).get("hpas") or {}
    return min((state["due"] for state in hpas.values()), default=None)
