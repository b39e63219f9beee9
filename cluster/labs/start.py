"""Putting a fresh cluster into a lab's starting state.

Broken components and powered-off machines are set first through `cluster.operations`
(so no tick schedules a pod before a stopped scheduler is down), then the objects are
created through the API server, like `kubectl apply`.
"""

from __future__ import annotations

import random

from cluster import operations
from cluster.access import sim_now
from cluster.apiserver.core import ApiServer
from cluster.apiserver.plane import ALWAYS_UP
from cluster.labs.format import Lab
from cluster.models import Cluster, Component, Machine


class StartError(ValueError):
    """The lab's start names a machine or component the cluster does not have."""


def prepare(cluster: Cluster, lab: Lab) -> Cluster:
    """Apply the lab's `start` to a cluster made from its template."""
    start = lab.start
    for machine_name, kind, state in start.broken:
        component = Component.objects.filter(
            machine__cluster=cluster, machine__name=machine_name, kind=kind
        ).first()
        if component is None:
            raise StartError(f"lab {lab.slug}: no {kind} on machine {machine_name}")
        operations.set_component_state(component, state)
    for machine_name in start.powered_off:
        machine = Machine.objects.filter(cluster=cluster, name=machine_name).first()
        if machine is None:
            raise StartError(f"lab {lab.slug}: no machine {machine_name}")
        operations.set_power(machine, False)
    cluster.refresh_from_db()
    # Written as the cluster's installer: a lab may start with its API server down.
    api = ApiServer(
        cluster.pk, now=sim_now(cluster), rng=random.Random(), plane=ALWAYS_UP
    )
    for obj in start.objects:
        api.create(obj)
    if cluster.speed != start.speed:
        operations.set_speed(cluster, start.speed)
    cluster.refresh_from_db()
    return cluster
