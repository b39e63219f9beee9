"""One tick of one cluster: leader election, then passes of every running component until
a pass writes nothing, then the next timer."""

from __future__ import annotations

import contextvars
import random
import time
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q

from cluster import access, store, watch
from cluster.actions import Update
from cluster.apiserver.core import ApiServer, Caller
from cluster.apiserver.plane import plane_state
from cluster.controllers import leaderelection
from cluster.controllers.rootcacertpublisher import CA_PSEUDO_KIND as ROOT_CA
from cluster.engine import carry, runners
from cluster.engine.apply import apply_all
from cluster.engine.world import QuietRuns, RecordingView, View, machine_dict
from cluster.models import Cluster, Component
from cluster.simtime import parse_rfc3339
from cluster.templates import CONTROL_PLANE

# Components run in this order within a pass (control plane first, then the nodes).
ORDER = (
    "kube-apiserver",
    "kube-controller-manager",
    "cloud-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-proxy",
)
LEADER_ELECTED = (
    "kube-controller-manager",
    "cloud-controller-manager",
    "kube-scheduler",
)
MAX_PASSES = 25
# These run controllers, each skipped on its own when its inputs stand still.
_SKIPPED_BY_CONTROLLER = ("kube-controller-manager", "cloud-controller-manager")
TIMER_SLACK = 1.0  # sim seconds a timer may wait to share a tick
MAX_CALLS_PUBLISHED = 200  # per tick, for the diagram's pulses
LEASE_SECONDS = 10.0  # wall seconds a tick holds its cluster; each pass extends it

# Set while a tick writes, so its own writes do not enqueue more ticks.
in_tick: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "in_tick", default=None
)


@dataclass
class TickReport:
    now: float
    passes: int = 0
    writes: int = 0
    refused: int = 0
    next_timer: float | None = None
    calls: list = field(default_factory=list)
    finished: bool = False  # saved, and the tick lease released


def _take_lease(cluster_id: int) -> bool:
    wall = time.time()
    return bool(
        Cluster.objects.filter(pk=cluster_id)
        .filter(Q(tick_lease_until__lt=wall))
        .update(tick_lease_until=wall + LEASE_SECONDS)
    )


def _extend_lease(cluster_id: int) -> None:
    Cluster.objects.filter(pk=cluster_id).update(
        tick_lease_until=time.time() + LEASE_SECONDS
    )


def _release_lease(cluster_id: int) -> None:
    Cluster.objects.filter(pk=cluster_id).update(tick_lease_until=0.0)


def tick(cluster_id: int, now: float | None = None) -> TickReport | None:
    """Run the cluster to rest at `now` (its clock by default); None if another worker is."""
    if not _take_lease(cluster_id):
        return None
    token = in_tick.set(cluster_id)
    report = None
    try:
        with watch.batched():
            report = _tick(Cluster.objects.get(pk=cluster_id), now)
            return report
    finally:
        in_tick.reset(token)
        if report is None or not report.finished:  # `_finish` releases it otherwise
            _release_lease(cluster_id)


def _running(components, kind):
    return [
        c
        for c in components
        if c.kind == kind and c.state == Component.RUNNING and c.machine.powered
    ]


def _tick(cluster: Cluster, now: float | None) -> TickReport:
    now = access.sim_now(cluster) if now is None else now
    report = TickReport(now=now)
    rng = random.Random(f"{cluster.seed}:{now}")
    components = list(
        Component.objects.filter(machine__cluster=cluster)
        .select_related("machine")
        .order_by("machine__index", "kind")
    )
    remembered = {c.pk: (c.memory, c.leader) for c in components}
    plane = plane_state(
        [
            (c.kind, c.state, c.machine.powered)
            for c in components
            if c.machine.role == CONTROL_PLANE
        ]
    )
    if plane.apiservers_up == 0 or not plane.has_quorum:
        # Nothing can read or write: components keep failing until the plane is back.
        _finish(cluster, components, remembered, report, None)
        return report

    view: View | None = None

    def api_as(name: str) -> ApiServer:
        api = ApiServer(
            cluster.pk, Caller(name, groups=("system:masters",)), now, rng, plane
        )
        if view is not None:
            api.cached = view.cached  # what the component read comes from the view
        report.calls.append(api.calls)
        return api

    api_as("etcd").expire_leases()
    view = View(api_as("kube-apiserver"))
    wakes: list[float | None] = []
    # Leaders' renew deadlines (any tick before them will do), and the renewals the
    # retry period held back at this tick.
    renew_by: dict[str, float] = {}
    held_back: dict[str, tuple[ApiServer, dict]] = {}
    leaders = _elect_leaders(view, components, api_as, now, wakes, renew_by, held_back)
    view.catch_up()
    quiet = QuietRuns(view, carry.recall(cluster, view.kinds_changed_since), now)
    for _ in range(MAX_PASSES):
        report.passes += 1
        if report.passes > 1:
            _extend_lease(cluster.pk)
            view.catch_up()  # writes from outside the tick, or refused ones' rivals
        written = 0
        for kind in ORDER:
            for component in _running(components, kind):
                if kind in LEADER_ELECTED and leaders.get(kind) != component.pk:
                    continue
                if (
                    kind == "kube-apiserver"
                    and component is not _running(components, kind)[0]
                ):
                    continue  # one reconciler pass serves every API server
                run_key = _run_key(component)
                if quiet.can_skip(run_key, component.memory):
                    wakes.append(quiet.wake_of(run_key))
                    continue  # same inputs as a run that asked for nothing
                before = component.memory
                seen = RecordingView(view.objects, view.index)
                step = _run(component, seen, now, rng, components, quiet)
                if step.memory is not None:
                    component.memory = step.memory
                landed, refused = apply_all(
                    api_as(_caller_name(component)), step.actions
                )
                written += landed
                report.refused += refused
                wakes.append(step.next_wake)
                if landed:
                    view.catch_up()
                quiet.note(
                    run_key,
                    kind not in _SKIPPED_BY_CONTROLLER
                    and _asked_nothing_more(step, before, kind),
                    seen.read,
                    component.memory,
                    seen.keys_read,
                    step.next_wake,
                    carryable=kind in runners.MEMORY_IS_OUTPUT,
                )
        report.writes += written
        if not written:
            break
    carry.remember(cluster, view.revision, quiet.carry_out())
    future = [w for w in wakes if w is not None and w > now]
    _renew_held_back(held_back, renew_by, coalesce(future), now)
    next_timer = next_tick(future, [d for d in renew_by.values() if d > now])
    if report.passes >= MAX_PASSES:
        next_timer = now + 0.1  # still busy: come back almost at once
    _finish(cluster, components, remembered, report, next_timer)
    return report


def _asked_nothing_more(step: runners.Step, before, kind: str) -> bool:
    """Whether running the component again within this tick would only repeat itself.

    True for a run that asked for nothing with its memory unchanged (or only its output
    rewritten), and for one whose only writes renewed Leases: a heartbeat is periodic
    work done for this instant, and the memory it moved records just that, so its own
    renewal must not make it run again (a resting kubelet would run twice a tick)."""
    if step.actions:
        return all(_is_heartbeat(action) for action in step.actions)
    return (
        step.memory is None or step.memory == before or kind in runners.MEMORY_IS_OUTPUT
    )


def _is_heartbeat(action) -> bool:
    return isinstance(action, Update) and action.obj.get("kind") == "Lease"


def next_tick(wakes: list[float], deadlines: list[float]) -> float | None:
    """The next tick for `wakes` (see `coalesce`), brought forward to the earliest
    deadline only when no tick would otherwise come before it.

    A deadline is work that any tick may do, such as a leader renewing its Lease (it
    renews on every tick at least RETRY_PERIOD after the last renewal), so it rides on
    the kubelets' heartbeats instead of costing a tick of its own.
    """
    chosen = coalesce(wakes)
    due = [d for d in deadlines if chosen is None or d < chosen]
    if due:
        chosen = coalesce([*wakes, min(due)])
    return chosen


def coalesce(wakes: list[float]) -> float | None:
    """The next tick: the earliest wake, held back to gather the wakes just after it.

    Real components run on jittered periods (the kubelet's lease loop jitters 4%, the
    node monitor polls every 5 s), so a timer firing up to TIMER_SLACK late is within what
    a real cluster shows, and it lets one tick serve heartbeats that fall close together.
    """
    if not wakes:
        return None
    earliest = min(wakes)
    return max(w for w in wakes if w <= earliest + TIMER_SLACK)


def _run_key(component: Component) -> tuple:
    """What a quiet run is remembered by: a restarted component starts afresh."""
    return (component.pk, str(component.started_at))


def _caller_name(component: Component) -> str:
    if component.kind in ("kubelet", "kube-proxy"):
        return f"{component.kind}/{component.machine.name}"
    return component.kind


def _run(component, view, now, rng, components, quiet) -> runners.Step:
    memory = dict(component.memory or {})
    match component.kind:
        case "kube-controller-manager":
            metrics = runners.pod_metrics(view, components, now)
            extra = {"PodMetrics": metrics} if metrics else {}
            return runners.run_controllers(
                runners.CONTROLLER_MANAGER,
                {**view, ROOT_CA: runners.root_ca(), **extra},
                now,
                rng,
                quiet,
                _run_key(component),
                memory,
            )
        case "cloud-controller-manager":
            cloud_view = {
                **view,
                "Machine": [
                    machine_dict(c.machine) for c in components if c.kind == "kubelet"
                ],
            }
            return runners.run_controllers(
                runners.CLOUD_CONTROLLER_MANAGER,
                cloud_view,
                now,
                rng,
                quiet,
                _run_key(component),
            )
        case "kube-scheduler":
            revision = memory.get("revision", 0)
            try:
                events = [
                    {"type": e.type, "object": e.object()}
                    for e in store.events_since(component.machine.cluster_id, revision)
                ]
            except (
                Exception
            ):  # compacted past it: the queue re-syncs from the full list
                events = []
            step = runners.run_scheduler(view, memory, events, now, rng)
            step.memory["revision"] = store.current_revision(
                component.machine.cluster_id
            )
            return step
        case "kubelet":
            runtime_up = any(
                c.kind == "container-runtime"
                and c.machine_id == component.machine_id
                and c.state == Component.RUNNING
                for c in components
            )
            static = [  # what kubeadm's manifests run on this machine
                {"kind": c.kind, "state": c.state, "started_at": c.started_at}
                for c in components
                if c.machine_id == component.machine_id
            ]
            return runners.run_kubelet(
                component.machine, view, memory, runtime_up, now, rng, static
            )
        case "kube-apiserver":
            return runners.run_apiserver_endpoints(view, components)
        case "kube-proxy":
            return runners.run_kube_proxy(component.machine.name, view, memory, now)
    return runners.Step()


def _elect_leaders(
    view, components, api_as, now, wakes, renew_by, held_back
) -> dict[str, int]:
    """Each leader-elected kind's running instances contend for its Lease in kube-system."""
    from cluster import kinds
    from cluster.apiserver import errors
    from cluster.engine.apply import apply_one

    lease_kind = kinds.by_kind("Lease")
    leaders: dict[str, int] = {}
    for kind in LEADER_ELECTED:
        api = api_as(kind)
        lease = view.cached("Lease", leaderelection.LEASE_NAMESPACE, kind)
        for component in _running(components, kind):
            memory = component.memory or {}
            identity = memory.get("identity") or leaderelection.new_identity(
                component.machine.name, random.Random()
            )
            component.memory = {**memory, "identity": identity}
            new, leads = leaderelection.try_acquire_or_renew(
                lease, identity, now, kind, "kube-system"
            )
            if new is not None:
                try:
                    lease = api.update(new, lease_kind) if lease else api.create(new)
                except errors.ApiError:
                    continue
                if leaderelection.holder(lease, now) == identity and (
                    not memory.get("leading")
                ):
                    apply_one(api, leaderelection.became_leader_event(lease, kind))
            if leads:
                leaders[kind] = component.pk
                component.memory["leading"] = True
            if leads and lease:
                renew_by[kind] = _renew_deadline(lease, now)
                if new is None:
                    held_back[kind] = (api, lease)
            else:
                wakes.append(leaderelection.next_wake(lease, identity, now))
        for component in components:
            if component.kind == kind and leaders.get(kind) != component.pk:
                component.memory = {**(component.memory or {}), "leading": False}
    return leaders


def _renew_held_back(held_back, renew_by, next_regular, now) -> None:
    """Renew now the leases whose deadline comes before the next tick that comes anyway.

    A leader renews at most once a retry period, so one renewed 1-2 s before a
    heartbeat tick is held back there and forces a tick of its own at its deadline,
    which again falls 1-2 s before the next heartbeat: two ticks every period, for good.
    Renewing at this tick instead puts the deadline on the next heartbeat."""
    from cluster import kinds
    from cluster.apiserver import errors

    for kind, (api, lease) in held_back.items():
        if next_regular is not None and renew_by[kind] >= next_regular:
            continue
        try:
            api.update(leaderelection.renewed_lease(lease, now), kinds.by_kind("Lease"))
        except errors.ApiError:
            continue
        renew_by[kind] = now + leaderelection.RENEW_DEADLINE


def _renew_deadline(lease: dict, now: float) -> float:
    """A leader renews on the ticks that happen anyway, and at the latest just before its
    renew deadline; renewing every 2 s retry period would keep every cluster busy."""
    renewed = parse_rfc3339((lease.get("spec") or {}).get("renewTime")) or now
    return renewed + leaderelection.RENEW_DEADLINE


def _save_components(changed: list[Component]) -> None:
    """One statement for every component whose memory or leadership changed (the ORM
    spends longer building such an update than the database spends running it)."""
    memory = Component._meta.get_field("memory")
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Component._meta.db_table} SET memory = %s, leader = %s "
            "WHERE id = %s",
            [
                (memory.get_db_prep_save(c.memory, connection), c.leader, c.pk)
                for c in changed
            ],
        )


def _finish(cluster, components, remembered, report, next_timer) -> None:
    """Save what changed and release the tick lease, then tell the diagram which calls
    this tick made."""
    report.next_timer = next_timer
    changed = []
    for component in components:
        component.leader = (
            bool((component.memory or {}).get("leading"))
            and component.kind in LEADER_ELECTED
        )
        if (component.memory, component.leader) != remembered[component.pk]:
            changed.append(component)
    with transaction.atomic():
        if changed:
            _save_components(changed)
        Cluster.objects.filter(pk=cluster.pk).update(
            next_timer=next_timer,
            ticked_revision=store.current_revision(cluster.pk),
            tick_lease_until=0.0,
        )
    report.finished = True
    calls = [
        vars(call) for batch in report.calls for call in batch if call.verb != "list"
    ]
    if calls:
        watch.publish_calls(cluster.pk, calls[-MAX_CALLS_PUBLISHED:])
