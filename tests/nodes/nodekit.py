"""Builders and a clock-driving loop for the node agent tests."""

from __future__ import annotations

import random

from cluster.actions import Create, RecordEvent, Update, UpdateStatus
from cluster.nodes import kubelet
from cluster.simtime import rfc3339

T0 = 1_700_000_000.0
WORKER = {
    "name": "worker-1",
    "role": "worker",
    "cpu": "2",
    "memory": "4Gi",
    "arch": "amd64",
    "internal_ip": "192.168.49.3",
    "pod_cidr": "10.244.1.0/24",
}


def make_pod(
    *containers,
    name="web",
    uid="uid-1",
    node="worker-1",
    policy="Always",
    annotations=None,
    init=None,
    **spec,
):
    """A bound pod with the given containers (dicts or `name=image` strings)."""
    cs = [
        c
        if isinstance(c, dict)
        else {"name": c.split("=")[0], "image": c.split("=")[1]}
        for c in containers
    ]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": uid,
            "creationTimestamp": rfc3339(T0),
            "annotations": dict(annotations or {}),
        },
        "spec": {"nodeName": node, "restartPolicy": policy, "containers": cs, **spec},
        "status": {"phase": "Pending"},
    }
    if init:
        pod["spec"]["initContainers"] = init
    return pod


class Node:
    """One simulated node: applies the kubelet's writes to its own objects, as the shell would."""

    def __init__(self, machine=WORKER, seed=7):
        self.machine = dict(machine)
        self.rng = random.Random(seed)
        self.node = None
        self.lease = None
        self.state = {}
        self.pods: dict[str, dict] = {}
        self.log: list[tuple[float, object]] = []
        self.deleted: list[str] = []
        self.runtime_up = True
        self.extra: dict = {}

    def add(self, pod):
        self.pods[pod["metadata"]["uid"]] = pod

    def step(self, now):
        r = kubelet.sync(
            self.machine["name"],
            self.machine,
            self.node,
            list(self.pods.values()),
            self.state,
            now,
            self.rng,
            self.runtime_up,
            {"lease": self.lease, **self.extra},
        )
        self.state = r.runtime_state
        for a in r.actions:
            self.log.append((now, a))
            if isinstance(a, Create) and a.obj["kind"] == "Node":
                self.node = {
                    **a.obj,
                    "metadata": {**a.obj["metadata"], "uid": "node-uid"},
                }
            elif isinstance(a, (Create, Update)) and a.obj["kind"] == "Lease":
                self.lease = a.obj
            elif isinstance(a, UpdateStatus) and a.obj["kind"] == "Node":
                self.node = a.obj
            elif isinstance(a, UpdateStatus) and a.obj["kind"] == "Pod":
                self.pods[a.obj["metadata"]["uid"]] = a.obj
            elif type(a).__name__ == "Delete":
                self.pods.pop(a.ref.uid, None)
                self.deleted.append(a.ref.name)
        return r

    def run_until(self, end, start=None, max_steps=5000):
        """Wake the kubelet at each time it asks for, up to `end`."""
        t = start if start is not None else (self.log[-1][0] if self.log else T0)
        for _ in range(max_steps):
            r = self.step(t)
            if r.next_wake is None or r.next_wake > end:
                return
            t = r.next_wake
        raise AssertionError("kubelet did not settle")

    def events(self, since=None, kinds=("Pod",)):
        """(time offset from T0, reason, message) of the recorded events."""
        return [
            (round(t - T0, 3), a.reason, a.message)
            for t, a in self.log
            if isinstance(a, RecordEvent)
            and a.involved.kind in kinds
            and (since is None or t >= since)
        ]

    def pod(self, uid="uid-1"):
        return self.pods[uid]

    def cstatus(self, uid="uid-1", i=0):
        return self.pods[uid]["status"]["containerStatuses"][i]
