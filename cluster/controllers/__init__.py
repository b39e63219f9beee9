"""kube-controller-manager: each controller module is a pure reconciler.

A controller module exposes `sync(view, now, rng) -> list[Action]`, where `view`
maps a kind ("Pod", "ReplicaSet", ...) to the live objects of that kind, and may
expose `next_wake(view, now) -> float | None`, the next time it must run even
when nothing changes.
"""

# The workload controllers, in the order the engine runs them within one tick.
WORKLOAD_CONTROLLERS = (
    "cluster.controllers.deployment",
    "cluster.controllers.replicaset",
    "cluster.controllers.statefulset",
    "cluster.controllers.daemonset",
    "cluster.controllers.cronjob",
    "cluster.controllers.job",
    "cluster.controllers.hpa",
)
