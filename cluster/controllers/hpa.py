"""HorizontalPodAutoscaler controller (autoscaling/v2): resource metrics from PodMetrics.

desired = ceil(current × usage / target), skipped within the 10 % tolerance (the
replica calculator in `hpa_replicas` says how unready and unmeasured pods count),
scale-up limited to max(2×, +4) per step, scale-down to the highest recommendation
of the last 300 s. The recommendations are persisted in an annotation of the HPA
(`RECOMMENDATIONS`, JSON `[[time, replicas], …]`) because nothing lives in memory.
"""

from __future__ import annotations

import json
import random

from cluster.actions import Action, Patch, RecordEvent, UpdateStatus
from cluster.controllers.hpa_replicas import recommend
from cluster.objects import pods as P
from cluster.objects import selectors
from cluster.simtime import parse_rfc3339, rfc3339

COMPONENT = "horizontal-pod-autoscaler"
SYNC_PERIOD = 15
DOWNSCALE_WINDOW = 300
RECOMMENDATIONS = "autoscaling.kubelab.dev/recommendations"
SUCCESSFUL_RESCALE = "SuccessfulRescale"
RESCALE_MESSAGE = "New size: {size}; reason: {reason}"
ABOVE = "{name} resource utilization (percentage of request) above target"
BELOW = "All metrics below target"


def reconcile(
    hpa: dict, target: dict | None, pods: list[dict], metrics: list[dict], now: float
) -> list[Action]:
    """Sync one HPA: compute the recommendation, stabilise it, scale the target; status last."""
    spec, old = hpa["spec"], hpa.get("status") or {}
    last = parse_rfc3339(old.get("lastScaleTime"))
    if target is None:
        return []
    current = int(target["spec"].get("replicas", 1))
    selector = selectors.from_label_selector(target["spec"].get("selector"))
    mine = [p for p in pods if selectors.matches(selector, P.labels(p))]
    desired, reason, current_metrics = current, "", []
    for m in spec.get("metrics") or []:
        if m.get("type") != "Resource":
            continue
        res = m["resource"]
        want = (res.get("target") or {}).get("averageUtilization")
        got = want and recommend(mine, metrics, res["name"], want, current, now)
        if not got:
            continue
        proposal, util, avg = got
        current_metrics.append(
            {
                "type": "Resource",
                "resource": {
                    "name": res["name"],
                    "current": {
                        "averageUtilization": util,
                        "averageValue": f"{avg}m" if res["name"] == "cpu" else str(avg),
                    },
                },
            }
        )
        if proposal > desired or not reason:
            desired, reason = (
                proposal,
                ABOVE.format(name=res["name"]) if proposal > current else BELOW,
            )
    window = [
        r
        for r in json.loads(P.annotations(hpa).get(RECOMMENDATIONS, "[]"))
        if r[0] > now - DOWNSCALE_WINDOW
    ]
    window.append([now, desired])
    stabilised = max(r[1] for r in window) if desired < current else desired
    stabilised = min(stabilised, max(2 * current, current + 4))
    lo, hi = spec.get("minReplicas", 1), spec["maxReplicas"]
    final = max(lo, min(hi, stabilised))
    actions: list[Action] = []
    if final != current:
        ref = P.ref(target)
        actions.append(Patch(ref, {"spec": {"replicas": final}}, subresource="scale"))
        why = reason if final > current or reason == BELOW else BELOW
        actions.append(
            RecordEvent(
                P.ref(hpa),
                "Normal",
                SUCCESSFUL_RESCALE,
                RESCALE_MESSAGE.format(size=final, reason=why),
                COMPONENT,
            )
        )
        last = now
    status = {
        "currentReplicas": current,
        "desiredReplicas": final,
        "currentMetrics": current_metrics or None,
        "lastScaleTime": rfc3339(last) if last else None,
        "observedGeneration": P.meta(hpa).get("generation"),
    }
    status = {k: v for k, v in status.items() if v is not None}
    if old.get("conditions"):
        status["conditions"] = old["conditions"]
    if status != old:
        actions.append(UpdateStatus({**hpa, "status": status}))
    actions.append(
        Patch(
            P.ref(hpa),
            {"metadata": {"annotations": {RECOMMENDATIONS: json.dumps(window)}}},
        )
    )
    return actions


def _target(hpa: dict, view: dict) -> dict | None:
    ref = hpa["spec"]["scaleTargetRef"]
    for obj in view.get(ref["kind"], []):
        if P.name(obj) == ref["name"] and P.namespace(obj) == P.namespace(hpa):
            return obj
    return None


def due(hpa: dict, now: float) -> bool:
    """Whether the 15 s sync period has passed since this HPA was last evaluated."""
    window = json.loads(P.annotations(hpa).get(RECOMMENDATIONS, "[]"))
    return not window or window[-1][0] + SYNC_PERIOD <= now


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
        window = json.loads(P.annotations(hpa).get(RECOMMENDATIONS, "[]"))
        wakes.append(window[-1][0] + SYNC_PERIOD if window else now)
    return min(wakes, default=None)
