"""What a student (or a lab) does to the simulated hardware and processes: machines,
component states, the clock and etcd snapshots. Each change nudges watchers and the
engine, so the diagram and the cluster react at once."""

from __future__ import annotations

import json
import time

from django.db import transaction

from cluster import access, store, watch
from cluster.models import Cluster, Component, Machine, Snapshot
from cluster.nodes import runtime
from cluster.simtime import SPEEDS
from cluster.templates import CONTROL_PLANE, WORKER, components_for, machine_name

COMPONENT_STATES = (Component.RUNNING, Component.STOPPED, Component.CRASHED)


class OperationError(ValueError):
    """A request that cannot be done as asked (the message says why)."""


def _changed(cluster_id: int) -> None:
    transaction.on_commit(
        lambda: watch.notify(
            cluster_id, store.current_revision(cluster_id), resync=False, wake=True
        )
    )


@transaction.atomic
def add_machine(
    cluster: Cluster, role: str, cpu: str | None = None, memory: str | None = None
) -> Machine:
    if role not in (CONTROL_PLANE, WORKER):
        raise OperationError(
            f"role must be {CONTROL_PLANE!r} or {WORKER!r}, not {role!r}"
        )
    existing = list(Machine.objects.filter(cluster=cluster))
    same_role = {m.name for m in existing if m.role == role}
    n = 1
    while machine_name(role, n) in same_role:
        n += 1
    defaults = (
        {"cpu": "2", "memory": "4Gi"}
        if role == CONTROL_PLANE
        else {"cpu": "4", "memory": "8Gi"}
    )
    machine = Machine.objects.create(
        cluster=cluster,
        name=machine_name(role, n),
        role=role,
        cpu=cpu or defaults["cpu"],
        memory=memory or defaults["memory"],
        index=max((m.index for m in existing), default=-1) + 1,
    )
    started = access.sim_now(cluster)
    Component.objects.bulk_create(
        Component(machine=machine, kind=kind, started_at=started)
        for kind in components_for(role)
    )
    _changed(cluster.pk)
    return machine


@transaction.atomic
def remove_machine(machine: Machine) -> None:
    """The host disappears from the cloud; its Node object is left to the cloud controller."""
    cluster_id = machine.cluster_id
    if (
        machine.role == CONTROL_PLANE
        and not Machine.objects.filter(cluster_id=cluster_id, role=CONTROL_PLANE)
        .exclude(pk=machine.pk)
        .exists()
    ):
        raise OperationError("a cluster needs at least one control-plane machine")
    machine.delete()
    _changed(cluster_id)


@transaction.atomic
def set_power(machine: Machine, on: bool) -> Machine:
    machine.powered = on
    machine.save(update_fields=["powered"])
    if on:  # a booting host starts its processes afresh, with what its disk kept
        now = access.sim_now(machine.cluster)
        for component in Component.objects.filter(
            machine=machine, state=Component.RUNNING
        ):
            component.started_at, component.memory = now, _after_boot(component, now)
            component.save(update_fields=["started_at", "memory"])
    _changed(machine.cluster_id)
    return machine


def _after_boot(component: Component, now: float) -> dict:
    """What survives a reboot: pulled images, exited containers and their log files."""
    memory = component.memory or {}
    if component.kind == "kubelet":
        return runtime.after_reboot(memory, now)
    if component.kind == "container-runtime":
        return memory
    return {}


@transaction.atomic
def set_component_state(component: Component, state: str) -> Component:
    if state not in COMPONENT_STATES:
        raise OperationError(
            f"state must be one of {', '.join(COMPONENT_STATES)}, not {state!r}"
        )
    if state == Component.RUNNING and component.state != Component.RUNNING:
        component.started_at = access.sim_now(component.machine.cluster)
        # A restarted process keeps nothing but what a real one persists on disk.
        component.memory = _persisted(component)
    if state != Component.RUNNING:
        component.leader = False
    component.state = state
    component.save(update_fields=["state", "started_at", "memory", "leader"])
    _changed(component.machine.cluster_id)
    return component


def _persisted(component: Component) -> dict:
    memory = component.memory or {}
    if component.kind == "kubelet":
        # Containers survive a kubelet restart: the runtime still holds them.
        return memory
    if component.kind == "container-runtime":
        # So do the containers' log files a containerd restart leaves on disk.
        return memory
    return {}


@transaction.atomic
def set_speed(cluster: Cluster, speed: float) -> Cluster:
    if speed not in SPEEDS:
        raise OperationError(
            f"speed must be one of {', '.join(map(str, SPEEDS))}, not {speed!r}"
        )
    wall = time.time()
    cluster.sim_anchor = access.sim_now(cluster, wall)
    cluster.wall_anchor = wall
    cluster.speed = speed
    cluster.save(update_fields=["sim_anchor", "wall_anchor", "speed"])
    _changed(cluster.pk)
    return cluster


def step(cluster: Cluster) -> Cluster:
    """Jump the clock to the next thing due and run it (a paused cluster's single step)."""
    cluster.refresh_from_db()
    now = access.sim_now(cluster)
    target = (
        cluster.next_timer
        if cluster.next_timer and cluster.next_timer > now
        else now + 1.0
    )
    return fast_forward(cluster, target - now)


@transaction.atomic
def take_snapshot(cluster: Cluster, name: str) -> Snapshot:
    rows = store.dump(cluster.pk)
    return Snapshot.objects.create(
        cluster=cluster,
        name=name,
        revision=store.current_revision(cluster.pk),
        sim_time=access.sim_now(cluster),
        data=json.dumps(rows),
    )


def restore_snapshot(snapshot: Snapshot) -> int:
    """etcdctl snapshot restore: the keyspace goes back; the revision keeps counting up."""
    return store.restore(snapshot.cluster_id, json.loads(snapshot.data))


def fast_forward(cluster: Cluster, seconds: float, max_ticks: int = 5000) -> Cluster:
    """Advance the clock by `seconds`, running every timer that falls due on the way.

    What a student's "skip 5 minutes" does: node grace periods, tolerations and
    back-offs expire in order, exactly as if the time had passed.
    """
    from cluster.engine.tick import tick

    if seconds <= 0:
        raise OperationError("seconds must be positive")
    cluster.refresh_from_db()
    end = access.sim_now(cluster) + seconds
    for _ in range(max_ticks):
        cluster.refresh_from_db()
        now = access.sim_now(cluster)
        due = cluster.next_timer
        target = (
            min(due, end)
            if due is not None and due > now
            else (now if due is not None and due <= now else end)
        )
        _set_clock(cluster, target)
        tick(cluster.pk, target)
        if target >= end:
            break
    cluster.refresh_from_db()
    return cluster


def _set_clock(cluster: Cluster, sim: float) -> None:
    wall = time.time()
    Cluster.objects.filter(pk=cluster.pk).update(sim_anchor=sim, wall_anchor=wall)
    cluster.sim_anchor, cluster.wall_anchor = sim, wall
