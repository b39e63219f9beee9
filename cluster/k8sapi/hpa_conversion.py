"""HorizontalPodAutoscaler between autoscaling/v2 (stored) and autoscaling/v1.

autoscaling/v1 knows one target, `targetCPUUtilizationPercentage`; what only v2 can
say travels in the `autoscaling.alpha.kubernetes.io/*` annotations, as kube-apiserver
converts it: other metrics, current metrics and conditions, each as JSON in v1's
field names. `kubectl autoscale` writes v1; everything else reads the stored v2.
"""

from __future__ import annotations

import copy
import json

from cluster.apiserver.tables.workloads import METRIC_SOURCE_FIELD

METRICS = "autoscaling.alpha.kubernetes.io/metrics"
CURRENT_METRICS = "autoscaling.alpha.kubernetes.io/current-metrics"
CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions"
BEHAVIOR = "autoscaling.alpha.kubernetes.io/behavior"
_ALPHA = (METRICS, CURRENT_METRICS, CONDITIONS, BEHAVIOR)
V1, V2 = "autoscaling/v1", "autoscaling/v2"


def _is_cpu_utilization(metric: dict) -> bool:
    resource = metric.get("resource") or {}
    return (
        metric.get("type") == "Resource"
        and resource.get("name") == "cpu"
        and (resource.get("target") or {}).get("averageUtilization") is not None
    )


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def _prune(d: dict) -> dict:
    return {k: v for k, v in d.items() if v not in (None, "", {}, [])}


# --- metric specs: v2 `target` blocks against v1's flat target fields ---------------
def _spec_to_v1(metric: dict) -> dict:
    kind = metric.get("type", "")
    out: dict = {"type": kind}
    if kind in ("Resource", "ContainerResource"):
        src = metric.get("resource" if kind == "Resource" else "containerResource")
        src = src or {}
        target = src.get("target") or {}
        out["resource" if kind == "Resource" else "containerResource"] = _prune(
            {
                "name": src.get("name"),
                "container": src.get("container"),
                "targetAverageUtilization": target.get("averageUtilization"),
                "targetAverageValue": target.get("averageValue"),
            }
        )
    elif kind == "Pods":
        src = metric.get("pods") or {}
        out["pods"] = _prune(
            {
                "metricName": (src.get("metric") or {}).get("name"),
                "selector": (src.get("metric") or {}).get("selector"),
                "targetAverageValue": (src.get("target") or {}).get("averageValue"),
            }
        )
    elif kind == "Object":
        src = metric.get("object") or {}
        target = src.get("target") or {}
        out["object"] = _prune(
            {
                "target": src.get("describedObject"),
                "metricName": (src.get("metric") or {}).get("name"),
                "selector": (src.get("metric") or {}).get("selector"),
                "targetValue": target.get("value"),
                "averageValue": target.get("averageValue"),
            }
        )
    elif kind == "External":
        src = metric.get("external") or {}
        target = src.get("target") or {}
        out["external"] = _prune(
            {
                "metricName": (src.get("metric") or {}).get("name"),
                "metricSelector": (src.get("metric") or {}).get("selector"),
                "targetValue": target.get("value"),
                "targetAverageValue": target.get("averageValue"),
            }
        )
    return out


def _target(utilization=None, average=None, value=None) -> dict:
    if utilization is not None:
        return {"type": "Utilization", "averageUtilization": utilization}
    if average is not None:
        return {"type": "AverageValue", "averageValue": average}
    return {"type": "Value", "value": value}


def _metric_id(name, selector) -> dict:
    return _prune({"name": name, "selector": selector})


def _spec_to_v2(metric: dict) -> dict:
    kind = metric.get("type", "")
    out: dict = {"type": kind}
    if kind in ("Resource", "ContainerResource"):
        key = "resource" if kind == "Resource" else "containerResource"
        src = metric.get(key) or {}
        out[key] = _prune(
            {
                "name": src.get("name"),
                "container": src.get("container"),
                "target": _target(
                    src.get("targetAverageUtilization"), src.get("targetAverageValue")
                ),
            }
        )
    elif kind == "Pods":
        src = metric.get("pods") or {}
        out["pods"] = {
            "metric": _metric_id(src.get("metricName"), src.get("selector")),
            "target": _target(average=src.get("targetAverageValue")),
        }
    elif kind == "Object":
        src = metric.get("object") or {}
        out["object"] = _prune(
            {
                "describedObject": src.get("target"),
                "metric": _metric_id(src.get("metricName"), src.get("selector")),
                "target": _target(
                    average=src.get("averageValue"), value=src.get("targetValue")
                ),
            }
        )
    elif kind == "External":
        src = metric.get("external") or {}
        out["external"] = {
            "metric": _metric_id(src.get("metricName"), src.get("metricSelector")),
            "target": _target(
                average=src.get("targetAverageValue"), value=src.get("targetValue")
            ),
        }
    return out


def _status_to_v1(metric: dict) -> dict:
    kind = metric.get("type", "")
    key = METRIC_SOURCE_FIELD.get(kind)
    src = (metric.get(key) or {}) if key else {}
    current = src.get("current") or {}
    if kind in ("Resource", "ContainerResource"):
        body = {
            "name": src.get("name"),
            "container": src.get("container"),
            "currentAverageUtilization": current.get("averageUtilization"),
            "currentAverageValue": current.get("averageValue"),
        }
    elif kind == "Pods":
        body = {
            "metricName": (src.get("metric") or {}).get("name"),
            "currentAverageValue": current.get("averageValue"),
        }
    else:
        body = {
            "metricName": (src.get("metric") or {}).get("name"),
            "currentValue": current.get("value"),
            "currentAverageValue": current.get("averageValue"),
        }
    out = {"type": kind}
    if key:
        out[key] = _prune(body)
    return out


# --- whole objects ---------------------------------------------------------------------
def to_v1(hpa: dict) -> dict:
    """The autoscaling/v1 view of a stored autoscaling/v2 HorizontalPodAutoscaler."""
    meta = copy.deepcopy(hpa.get("metadata") or {})
    spec2, status2 = hpa.get("spec") or {}, hpa.get("status") or {}
    annotations = dict(meta.get("annotations") or {})
    metrics = spec2.get("metrics") or []
    spec: dict = {
        "scaleTargetRef": copy.deepcopy(spec2.get("scaleTargetRef") or {}),
        "minReplicas": spec2.get("minReplicas"),
        "maxReplicas": spec2.get("maxReplicas"),
    }
    for metric in metrics:
        if _is_cpu_utilization(metric):
            target = metric["resource"]["target"]
            spec["targetCPUUtilizationPercentage"] = target["averageUtilization"]
    others = [_spec_to_v1(m) for m in metrics if not _is_cpu_utilization(m)]
    if others:
        annotations[METRICS] = _dumps(others)
    status: dict = {
        "observedGeneration": status2.get("observedGeneration"),
        "lastScaleTime": status2.get("lastScaleTime"),
        "currentReplicas": status2.get("currentReplicas", 0),
        "desiredReplicas": status2.get("desiredReplicas", 0),
    }
    current = status2.get("currentMetrics") or []
    for metric in current:
        resource = metric.get("resource") or {}
        value = (resource.get("current") or {}).get("averageUtilization")
        if metric.get("type") == "Resource" and resource.get("name") == "cpu":
            status["currentCPUUtilizationPercentage"] = value
    if current:
        annotations[CURRENT_METRICS] = _dumps([_status_to_v1(m) for m in current])
    if status2.get("conditions"):
        annotations[CONDITIONS] = _dumps(status2["conditions"])
    if annotations:
        meta["annotations"] = annotations
    return {
        "apiVersion": V1,
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta,
        "spec": {k: v for k, v in spec.items() if v is not None},
        "status": {k: v for k, v in status.items() if v is not None},
    }


def to_v2(hpa: dict, live: dict | None = None) -> dict:
    """The autoscaling/v2 object a v1 write stands for; `live` lends what v1 cannot
    carry (the scaling behavior) and the status, which a main-resource write keeps."""
    meta = copy.deepcopy(hpa.get("metadata") or {})
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items() if k not in _ALPHA
    }
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    spec1 = hpa.get("spec") or {}
    metrics: list[dict] = []
    raw = (hpa.get("metadata") or {}).get("annotations", {}).get(METRICS)
    if raw:
        try:
            metrics = [_spec_to_v2(m) for m in json.loads(raw) if isinstance(m, dict)]
        except ValueError:
            metrics = []
    cpu = spec1.get("targetCPUUtilizationPercentage")
    if cpu is not None:
        metrics.append(
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": _target(utilization=cpu)},
            }
        )
    spec: dict = {
        k: copy.deepcopy(spec1[k])
        for k in ("scaleTargetRef", "minReplicas", "maxReplicas")
        if k in spec1
    }
    if metrics:
        spec["metrics"] = metrics
    if live and (live.get("spec") or {}).get("behavior") is not None:
        spec["behavior"] = copy.deepcopy(live["spec"]["behavior"])
    out = {"apiVersion": V2, "kind": "HorizontalPodAutoscaler", "metadata": meta}
    out["spec"] = spec
    if live and "status" in live:
        out["status"] = copy.deepcopy(live["status"])
    return out
