"""The HPA's replica calculator for resource utilization (k/k replica_calculator.go).

Pods are grouped first: terminating and failed ones are ignored, Pending ones and
(for CPU) ones not ready long enough to have a clean sample count as unready, and
running ones without a sample are missing. The ratio comes from the ready pods; when
some are unready or missing, they are filled in on the cautious side (0 % on a
scale-up, 100 % of their request on a scale-down) and the ratio is taken again, so a
half-started scale-up or a pod without metrics never pushes the count further.
"""

from __future__ import annotations

import math
import re

from cluster.objects import pods as P
from cluster.objects import quantity
from cluster.simtime import parse_rfc3339

TOLERANCE = 0.1
# --horizontal-pod-autoscaler-cpu-initialization-period and -initial-readiness-delay.
CPU_INITIALIZATION_PERIOD = 300
INITIAL_READINESS_DELAY = 30


def _amount(value: str, resource: str) -> int:
    return (
        quantity.millicores(value) if resource == "cpu" else int(quantity.parse(value))
    )


def usage(metric: dict, resource: str) -> int:
    """A PodMetrics' total use of `resource` (millicores for cpu, bytes otherwise)."""
    total = 0
    for c in metric.get("containers") or []:
        value = (c.get("usage") or {}).get(resource)
        if value is not None:
            total += _amount(value, resource)
    return total


class MetricsUnavailable(Exception):
    """No replica count can come from this metric; the message says why, in the
    replica calculator's words."""


NO_METRICS = "unable to get metrics for resource {resource}: no metrics returned from resource metrics API"  # fmt: skip
NO_PODS = "no pods returned by selector while calculating replica count"
NO_READY_METRICS = "did not receive metrics for targeted pods (pods might be unready)"
MISSING_REQUEST = "missing request for {resource} in container {container} of Pod {pod}"


def _request(pod: dict, resource: str) -> int:
    """calculatePodRequests for one pod (regular and sidecar containers)."""
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or []) + [
        c
        for c in spec.get("initContainers") or []
        if c.get("restartPolicy") == "Always"
    ]
    total = 0
    for c in containers:
        value = ((c.get("resources") or {}).get("requests") or {}).get(resource)
        if value is None:
            raise MetricsUnavailable(
                MISSING_REQUEST.format(
                    resource=resource, container=c.get("name"), pod=P.name(pod)
                )
            )
        total += _amount(value, resource)
    return total


def _seconds(window: str | None) -> float:
    found = re.fullmatch(r"(\d+(?:\.\d+)?)s", window or "")
    return float(found.group(1)) if found else 0.0


def _cpu_sample_unready(pod: dict, metric: dict, now: float) -> bool:
    ready = P.condition(pod, "Ready")
    started = parse_rfc3339((pod.get("status") or {}).get("startTime"))
    if ready is None or started is None:
        return True
    changed = parse_rfc3339(ready.get("lastTransitionTime")) or 0.0
    if started + CPU_INITIALIZATION_PERIOD > now:
        # Still starting up: a sample must cover a whole window since readiness changed.
        sampled = parse_rfc3339(metric.get("timestamp")) or now
        window = _seconds(metric.get("window"))
        return ready.get("status") == "False" or sampled < changed + window
    return (
        ready.get("status") == "False" and started + INITIAL_READINESS_DELAY > changed
    )


def group_pods(
    pods: list[dict], samples: dict[str, dict], resource: str, now: float
) -> tuple[list[str], set[str], set[str]]:
    """groupPods: (ready pod names, unready names, missing names); the rest is ignored."""
    ready: list[str] = []
    unready: set[str] = set()
    missing: set[str] = set()
    for pod in pods:
        name = P.name(pod)
        if P.is_terminating(pod) or P.phase(pod) == P.FAILED:
            continue
        if P.phase(pod) == P.PENDING:
            unready.add(name)
        elif name not in samples:
            missing.add(name)
        elif resource == "cpu" and _cpu_sample_unready(pod, samples[name], now):
            unready.add(name)
        else:
            ready.append(name)
    return ready, unready, missing


def _ratio(used: dict[str, int], requests: dict[str, int], target: int):
    """GetResourceUtilizationRatio: (ratio, utilization %, average use)."""
    total = sum(used.values())
    asked = sum(requests[name] for name in used)
    if not asked:
        return None
    utilization = total * 100 // asked
    return utilization / target, utilization, total // len(used)


def recommend(
    pods: list[dict],
    metrics: list[dict],
    resource: str,
    target: int,
    current: int,
    now: float,
) -> tuple[int, int, int]:
    """GetResourceReplicas: (replicas, utilization %, average use); raises
    MetricsUnavailable when there are no samples, no pods, no ready pod's sample or a
    container without a request."""
    if not metrics:
        raise MetricsUnavailable(NO_METRICS.format(resource=resource))
    if not pods:
        raise MetricsUnavailable(NO_PODS)
    samples = {P.name(m): m for m in metrics}
    ready, unready, missing = group_pods(pods, samples, resource, now)
    if not ready:
        raise MetricsUnavailable(NO_READY_METRICS)
    requests = {P.name(pod): _request(pod, resource) for pod in pods}
    used = {name: usage(samples[name], resource) for name in ready}
    first = _ratio(used, requests, target)
    if first is None:
        raise MetricsUnavailable("no metrics returned matched known pods")
    ratio, utilization, average = first
    scale_up_with_unready = bool(unready) and ratio > 1
    if not scale_up_with_unready and not missing:
        if abs(ratio - 1) <= TOLERANCE:
            return current, utilization, average
        return math.ceil(ratio * len(ready)), utilization, average
    for name in missing:
        if ratio < 1:
            used[name] = requests[name] * max(100, target) // 100
        elif ratio > 1:
            used[name] = 0
    if scale_up_with_unready:
        used.update(dict.fromkeys(unready, 0))
    new_ratio = _ratio(used, requests, target)[0]
    if abs(new_ratio - 1) <= TOLERANCE or (ratio - 1) * (new_ratio - 1) < 0:
        # Too small a change, or the filled-in pods turn the direction round.
        return current, utilization, average
    replicas = math.ceil(new_ratio * len(used))
    if (new_ratio < 1 and replicas > current) or (new_ratio > 1 and replicas < current):
        return current, utilization, average
    return replicas, utilization, average
