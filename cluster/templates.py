"""Cluster templates: which machines a new cluster starts with."""

from __future__ import annotations

from dataclasses import dataclass

CONTROL_PLANE, WORKER = "control-plane", "worker"

# The processes on each kind of machine (kubeadm's layout: masters run a kubelet too).
MASTER_COMPONENTS = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "cloud-controller-manager",
    "kubelet",
    "kube-proxy",
    "container-runtime",
)
WORKER_COMPONENTS = ("kubelet", "kube-proxy", "container-runtime")


@dataclass(frozen=True)
class MachineSpec:
    role: str
    cpu: str
    memory: str


@dataclass(frozen=True)
class Template:
    name: str
    masters: int
    workers: int
    master: MachineSpec = MachineSpec(CONTROL_PLANE, "2", "4Gi")
    worker: MachineSpec = MachineSpec(WORKER, "4", "8Gi")


TEMPLATES = {
    "single": Template("single", masters=1, workers=2),
    "ha": Template("ha", masters=3, workers=3),
    "empty": Template("empty", masters=1, workers=0),
}


def components_for(role: str) -> tuple[str, ...]:
    return MASTER_COMPONENTS if role == CONTROL_PLANE else WORKER_COMPONENTS


def machine_name(role: str, index_in_role: int) -> str:
    """`control-plane`, `control-plane2`, ... and `worker1`, `worker2`, ... as kind names them."""
    if role == CONTROL_PLANE:
        return (
            "control-plane" if index_in_role == 1 else f"control-plane{index_in_role}"
        )
    return f"worker{index_in_role}"
