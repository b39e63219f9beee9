"""The tick's view of the cluster: one list, then the watch log's changes; runs that
would only repeat themselves are skipped; leaders renew on ticks that come anyway."""

from __future__ import annotations

import json

import pytest

from cluster import kinds, operations, store
from cluster.controllers.leaderelection import RENEW_DEADLINE
from cluster.engine import tick as engine_tick
from cluster.engine.world import QuietRuns, RecordingView, View, load_view
from cluster.simtime import parse_rfc3339
from tests.engine.kit import POD, api, deployment, new_cluster, pods

pytestmark = pytest.mark.django_db
CONFIGMAP_KIND = "ConfigMap"


def _kind(name: str):
    return kinds.by_kind(name)


def _configmap(name: str, value: str = "1") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": {"v": value},
    }


def test_a_view_caught_up_from_the_log_equals_a_fresh_list():
    cluster = new_cluster()
    reader = api(cluster)
    view = View(reader)
    reader.create(_configmap("b"))
    reader.create(_configmap("a"))
    live = reader.get(
        reader_kind := POD.__class__ and _kind("ConfigMap"), "default", "b"
    )
    reader.update({**live, "data": {"v": "2"}}, reader_kind)
    pod = pods(cluster, "kube-system")[0]
    reader.delete(POD, "kube-system", pod["metadata"]["name"], grace_period=0)

    changed = view.catch_up()

    assert changed == {"ConfigMap", "Pod"}
    assert view.objects == load_view(reader)
    assert view.catch_up() == set()


def test_a_view_compacted_past_lists_again():
    cluster = new_cluster()
    reader = api(cluster)
    view = View(reader)
    reader.create(_configmap("a"))
    store.compact(cluster.pk, keep=0)

    assert CONFIGMAP_KIND in view.catch_up()
    assert view.objects == load_view(reader)


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        pytest.param(lambda v: v.get("Pod"), {"Pod"}, id="get"),
        pytest.param(lambda v: v["Node"], {"Node"}, id="item"),
        pytest.param(lambda v: "Lease" in v, {"Lease"}, id="contains"),
        pytest.param(lambda v: list(v.items()), {"Pod", "Node", "Lease"}, id="items"),
        pytest.param(lambda v: {**v}, {"Pod", "Node", "Lease"}, id="unpacked"),
        pytest.param(lambda v: len(v), set(), id="len"),
    ],
)
def test_a_recording_view_notes_the_kinds_read(read, expected):
    seen = RecordingView({"Pod": [], "Node": [], "Lease": []})
    read(seen)
    assert seen.read == expected


def test_a_read_by_key_notes_that_object_only():
    lease = {"metadata": {"name": "worker1", "namespace": "kube-node-lease"}}
    seen = RecordingView({"Lease": [lease]})
    assert seen.one("Lease", "kube-node-lease", "worker1") is lease
    assert seen.one("Lease", "kube-node-lease", "worker2") is None
    assert seen.read == set()
    assert seen.keys_read == {
        ("Lease", "kube-node-lease", "worker1"),
        ("Lease", "kube-node-lease", "worker2"),
    }


class _FakeView:
    listed_at = 1

    def __init__(self) -> None:
        self.version = 1
        self.changed_at = {"Pod": 1, "Node": 1, "Lease": 1}
        self.key_changed_at = {}

    def change(self, kind: str, namespace: str = "", name: str = "") -> None:
        self.version += 1
        self.changed_at[kind] = self.version
        self.key_changed_at[(kind, namespace, name)] = self.version

    def key_version(self, key) -> int:
        return self.key_changed_at.get(key, 1)


def test_a_quiet_run_is_skipped_until_a_kind_it_read_changes():
    view = _FakeView()
    quiet = QuietRuns(view)
    memory = {"rules": []}
    quiet.note("proxy", True, {"Pod"}, memory)
    assert quiet.can_skip("proxy", memory)
    view.change("Node")
    assert quiet.can_skip("proxy", memory)
    assert not quiet.can_skip("proxy", {"rules": []})  # other memory: run again
    view.change("Pod")
    assert not quiet.can_skip("proxy", memory)


def test_a_run_that_asked_for_something_is_never_skipped():
    quiet = QuietRuns(_FakeView())
    quiet.note("kubelet", True, {"Pod"})
    quiet.note("kubelet", False, {"Pod"})
    assert not quiet.can_skip("kubelet")
    assert not quiet.can_skip("never-ran")


@pytest.mark.parametrize(
    ("wakes", "deadlines", "expected"),
    [
        pytest.param([18.5], [18.0], 18.5, id="deadline-rides-a-wake-within-slack"),
        pytest.param([20.0], [18.0], 18.0, id="deadline-too-far-before-a-wake"),
        pytest.param([20.0], [25.0], 20.0, id="deadline-after-the-wake-waits"),
        pytest.param([30.0], [18.0], 18.0, id="deadline-alone-sets-the-tick"),
        pytest.param([], [18.0], 18.0, id="deadline-only"),
        pytest.param([20.0, 20.5], [], 20.5, id="wakes-coalesce"),
        pytest.param([], [], None, id="nothing-due"),
    ],
)
def test_the_next_tick_serves_deadlines_with_the_wakes_around_them(
    wakes, deadlines, expected
):
    assert engine_tick.next_tick(wakes, deadlines) == expected


def test_components_never_change_the_objects_they_observe(monkeypatch):
    """The view is shared by every run in a tick, so a run that changed it would leak
    into the next ones."""
    run = engine_tick._run
    changed = []

    def checked_run(component, view, *args):
        before = json.dumps(view, sort_keys=True)
        step = run(component, view, *args)
        if json.dumps(view, sort_keys=True) != before:
            changed.append(component.kind)
        return step

    monkeypatch.setattr(engine_tick, "_run", checked_run)
    cluster = new_cluster()
    api(cluster).create(deployment("web", 3))
    operations.fast_forward(cluster, 60)
    api(cluster).patch(
        _kind("Deployment"),
        "default",
        "web",
        lambda d: {**d, "spec": {**d["spec"], "replicas": 1}},
    )
    operations.fast_forward(cluster, 60)

    assert changed == []
    assert len(pods(cluster, label="app=web")) == 1


def test_leaders_riding_on_other_ticks_renew_before_their_deadline():
    """Leases are renewed on ticks that come anyway, yet never later than the renew
    deadline (plus the slack any timer has), so no leader ever loses its Lease."""
    cluster = new_cluster()
    operations.fast_forward(cluster, 30)
    reader = api(cluster)
    lease_kind = _kind("Lease")

    def holders_and_renewals() -> dict[str, tuple[str, float]]:
        return {
            name: (
                lease["spec"]["holderIdentity"],
                parse_rfc3339(lease["spec"]["renewTime"]),
            )
            for name in engine_tick.LEADER_ELECTED
            for lease in [reader.get(lease_kind, "kube-system", name)]
        }

    first = holders_and_renewals()
    cluster.refresh_from_db()
    now = cluster.next_timer
    end = now + 90
    while now < end:
        engine_tick.tick(cluster.pk, now + 0.05)  # a worker picks it up a little late
        cluster.refresh_from_db()
        now = cluster.next_timer
        for name, (holder, renewed) in holders_and_renewals().items():
            assert holder == first[name][0]
            assert now - renewed <= RENEW_DEADLINE + engine_tick.TIMER_SLACK + 0.1


def test_a_run_that_read_one_object_is_skipped_until_that_object_changes():
    view = _FakeView()
    quiet = QuietRuns(view)
    own = ("Lease", "kube-node-lease", "worker1")
    quiet.note("kubelet", True, {"Pod"}, None, {own})
    view.change("Lease", "kube-node-lease", "worker2")  # another kubelet's heartbeat
    assert quiet.can_skip("kubelet")
    view.change(*own)
    assert not quiet.can_skip("kubelet")


def test_a_carried_run_sleeps_until_its_wake_up_or_a_kind_it_read_changes():
    from cluster.engine.carry import Run

    carried = {"endpoints": Run(frozenset({"Service", "Pod"}), None)}
    carried["deployment"] = Run(frozenset({"Deployment"}), 130.0)
    view = _FakeView()
    quiet = QuietRuns(view, carried, now=120.0)
    assert quiet.can_skip("endpoints") and quiet.wake_of("endpoints") is None
    assert quiet.can_skip("deployment") and quiet.wake_of("deployment") == 130.0
    assert not QuietRuns(view, carried, now=130.0).can_skip("deployment")
    view.change("Pod")
    assert not quiet.can_skip("endpoints")
    assert quiet.can_skip("deployment")


def test_only_quiet_timed_runs_over_watched_kinds_are_carried_to_the_next_tick():
    view = _FakeView()
    quiet = QuietRuns(view, now=120.0)
    quiet.note("endpoints", True, {"Service", "Pod"}, wake=None, carryable=True)
    quiet.note("daemonset", True, {"DaemonSet"}, carryable=False)  # no timers known
    quiet.note("cloud", True, {"Node", "Machine"}, carryable=True)  # not watched
    quiet.note("replicaset", False, {"ReplicaSet"}, carryable=True)  # asked for work
    quiet.note("deployment", True, {"Deployment"}, wake=125.0, carryable=True)
    view.change("Deployment")  # after the run: it must run again
    assert set(quiet.carry_out()) == {"endpoints"}
