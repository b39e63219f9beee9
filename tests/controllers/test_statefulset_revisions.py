"""StatefulSet ControllerRevisions and rolling updates by ordinal."""

from __future__ import annotations

import random

from cluster.actions import Create, Delete, Update
from cluster.controllers import history, statefulset
from tests.controllers import fakeapi
from tests.controllers.test_statefulset_daemonset import make_sts
from tests.controllers.workload_builders import T0, make_ready


def converged(replicas=3, partition=None, limit=None) -> dict:
    sts = make_sts(replicas)
    del sts["spec"]["volumeClaimTemplates"]
    if partition is not None:
        sts["spec"]["updateStrategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {"partition": partition},
        }
    if limit is not None:
        sts["spec"]["revisionHistoryLimit"] = limit
    view = {"StatefulSet": [sts], "Pod": [], "PersistentVolumeClaim": []}
    for step in range(replicas + 2):
        run(view, T0 + step)
    return view


def run(view: dict, now: float) -> list[tuple[str, str, str]]:
    """One sync applied, pods made Ready; its (verb, kind, name) writes."""
    actions = statefulset.sync(view, now, random.Random(0))
    done = []
    for a in actions:
        if isinstance(a, Create):
            done.append(("create", a.obj["kind"], a.obj["metadata"]["name"]))
        elif isinstance(a, Delete):
            done.append(("delete", a.ref.kind, a.ref.name))
        elif isinstance(a, Update):
            done.append(("renumber", a.obj["metadata"]["name"], str(a.obj["revision"])))
    fakeapi.apply(view, actions, now)
    make_ready(view, now)
    return done


def set_image(view: dict, image: str) -> None:
    view["StatefulSet"][0]["spec"]["template"]["spec"]["containers"][0]["image"] = image


def revisions(view) -> list[tuple[str, int]]:
    sts = view["StatefulSet"][0]
    return [
        (r["metadata"]["name"], r["revision"])
        for r in history.owned(sts, view["ControllerRevision"])
    ]


def by_pod(view, field) -> dict[str, str]:
    get = {
        "revision": lambda p: p["metadata"]["labels"]["controller-revision-hash"],
        "image": lambda p: p["spec"]["containers"][0]["image"],
    }[field]
    return {p["metadata"]["name"]: get(p) for p in view["Pod"]}


def test_the_template_is_kept_as_a_revision_named_after_its_hash():
    view = converged()
    (revision,) = view["ControllerRevision"]
    name = revision["metadata"]["name"]
    hash_ = revision["metadata"]["labels"]["controller-revision-hash"]
    assert name == f"web-{hash_}" and 1 <= len(hash_) <= 10
    assert revision["revision"] == 1
    assert revision["data"]["spec"]["template"]["$patch"] == "replace"
    assert revision["metadata"]["ownerReferences"][0]["uid"] == "sts-uid"
    assert set(by_pod(view, "revision").values()) == {name}
    status = view["StatefulSet"][0]["status"]
    assert (status["currentRevision"], status["updateRevision"]) == (name, name)


def test_the_hash_is_fnv32a_of_the_patch_and_collision_count_safe_encoded():
    data = {"spec": {"template": {"$patch": "replace", "metadata": {}}}}
    assert history.encode(data) == (
        b'{"spec":{"template":{"$patch":"replace","metadata":{}}}}'
    )
    assert history.hash_revision(data, 0) != history.hash_revision(data, 1)
    assert history.revision_name("x" * 300, "abc") == "x" * 223 + "-abc"


def test_rolling_update_replaces_from_the_highest_ordinal_down_to_the_partition():
    view = converged(partition=1)
    old = view["StatefulSet"][0]["status"]["currentRevision"]
    set_image(view, "nginx:1.27")
    steps = [run(view, T0 + 10 + i) for i in range(5)]
    new = statefulset.update_revision(view["StatefulSet"][0])
    assert steps == [
        [("create", "ControllerRevision", new), ("delete", "Pod", "web-2")],
        [("create", "Pod", "web-2")],
        [("delete", "Pod", "web-1")],
        [("create", "Pod", "web-1")],
        [],
    ]
    assert by_pod(view, "revision") == {"web-0": old, "web-1": new, "web-2": new}
    status = view["StatefulSet"][0]["status"]
    assert (status["currentRevision"], status["updateRevision"]) == (old, new)
    assert (status["currentReplicas"], status["updatedReplicas"]) == (1, 2)


def test_a_pod_below_the_partition_comes_back_at_the_current_revision():
    view = converged(partition=2)
    set_image(view, "nginx:1.27")
    for i in range(3):
        run(view, T0 + 10 + i)
    view["Pod"] = [p for p in view["Pod"] if p["metadata"]["name"] != "web-0"]
    assert run(view, T0 + 20) == [("create", "Pod", "web-0")]
    assert by_pod(view, "image") == {
        "web-0": "nginx:1.26",
        "web-1": "nginx:1.26",
        "web-2": "nginx:1.27",
    }


def test_a_finished_rollout_makes_the_update_revision_current():
    view = converged()
    set_image(view, "nginx:1.27")
    for i in range(8):
        run(view, T0 + 10 + i)
    status = view["StatefulSet"][0]["status"]
    new = statefulset.update_revision(view["StatefulSet"][0])
    assert (status["currentRevision"], status["updateRevision"]) == (new, new)
    assert status["currentReplicas"] == status["updatedReplicas"] == 3


def test_going_back_to_an_old_template_renumbers_its_revision():
    view = converged()
    first = view["ControllerRevision"][0]["metadata"]["name"]
    set_image(view, "nginx:1.27")
    for i in range(8):
        run(view, T0 + 10 + i)
    set_image(view, "nginx:1.26")
    assert run(view, T0 + 30)[0] == ("renumber", first, "3")
    assert [n for n, _ in revisions(view)][-1] == first
    assert [r for _, r in revisions(view)] == [2, 3]


def test_revisions_no_pod_uses_are_pruned_past_the_history_limit():
    view = converged(limit=1)
    for version, image in enumerate(("nginx:1.27", "nginx:1.28", "nginx:1.29")):
        set_image(view, image)
        for i in range(8):
            run(view, T0 + 100 * (version + 1) + i)
    # The current revision plus one old one.
    assert [r for _, r in revisions(view)] == [3, 4]
