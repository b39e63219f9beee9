"""Simulated resource usage for `kubectl top` and the HPA (metrics.k8s.io/v1beta1 shapes).

A running container uses its image's base CPU and memory, plus CPU for the
requests per second it served over the last minute and the load generator pods offer
it (`cluster.nodes.load`).
"""

from __future__ import annotations

from cluster.nodes import images
from cluster.nodes import runtime as rt
from cluster.objects import quantity
from cluster.simtime import rfc3339

WINDOW = "10s"  # metrics-server's default resolution window
CPU_PER_REQUEST_PER_SECOND_M = 5
RATE_WINDOW_SECONDS = 60.0
# What the node itself (kubelet, containerd, system daemons) uses.
NODE_BASE_CPU_M = 80
NODE_BASE_MEMORY = 550 * 2**20


def container_usage(container: dict, cs: dict | None, now: float) -> tuple[int, int]:
    """(millicores, bytes) one container uses now; (0, 0) when it is not running."""
    if not cs or cs.get("state") != "running":
        return 0, 0
    image = images.lookup_name(container.get("image", ""))
    prog = rt.program(container, image)
    cpu = prog.cpu_m if prog.cpu_m is not None else image.cpu_m
    mem_mib = prog.memory_mib if prog.memory_mib is not None else image.memory_mib
    # Generators' requests are logged too but counted by their steady rate below.
    recent = [
        r
        for r in cs.get("requests", [])
        if now - RATE_WINDOW_SECONDS <= r["at"] <= now and not r.get("load")
    ]
    # Requests it served (a log of recent ones) and the steady load generators offer.
    rate = len(recent) / RATE_WINDOW_SECONDS + cs.get("offered_rps", 0.0)
    cpu += int(rate * CPU_PER_REQUEST_PER_SECOND_M)
    limit = ((container.get("resources") or {}).get("limits") or {}).get("cpu")
    if limit:
        cpu = min(cpu, quantity.millicores(limit))
    return max(cpu, 0), mem_mib * 2**20 + (len(recent) * 4096)


def _fmt_cpu(m: int) -> str:
    return f"{m * 1_000_000}n"


def _fmt_mem(b: int) -> str:
    return f"{b // 1024}Ki"


def pod_metrics(pod: dict, runtime_state: dict, now: float) -> dict | None:
    """A PodMetrics object, None when the pod has no running container yet."""
    meta = pod["metadata"]
    ps = (runtime_state.get("pods") or {}).get(meta.get("uid", ""))
    if not ps:
        return None
    containers = []
    for c in (pod.get("spec") or {}).get("containers") or []:
        cs = ps["containers"].get(c["name"])
        if not cs or cs.get("state") != "running":
            continue
        cpu, mem = container_usage(c, cs, now)
        containers.append(
            {
                "name": c["name"],
                "usage": {"cpu": _fmt_cpu(cpu), "memory": _fmt_mem(mem)},
            }
        )
    if not containers:
        return None
    return {
        "kind": "PodMetrics",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta.get("namespace", "default"),
            "creationTimestamp": rfc3339(now),
            "labels": dict(meta.get("labels") or {}),
        },
        "timestamp": rfc3339(now),
        "window": WINDOW,
        "containers": containers,
    }


def node_metrics(
    node_name: str, pods: list[dict], runtime_state: dict, now: float
) -> dict:
    """A NodeMetrics object: the node's own use plus every running container on it."""
    cpu, mem = NODE_BASE_CPU_M, NODE_BASE_MEMORY
    for pod in pods:
        ps = (runtime_state.get("pods") or {}).get(pod["metadata"].get("uid", ""))
        if not ps:
            continue
        for c in (pod.get("spec") or {}).get("containers") or []:
            dc, dm = container_usage(c, ps["containers"].get(c["name"]), now)
            cpu, mem = cpu + dc, mem + dm
    return {
        "kind": "NodeMetrics",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {"name": node_name, "creationTimestamp": rfc3339(now)},
        "timestamp": rfc3339(now),
        "window": WINDOW,
        "usage": {"cpu": _fmt_cpu(cpu), "memory": _fmt_mem(mem)},
    }
