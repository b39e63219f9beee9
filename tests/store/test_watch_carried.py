"""What a write's notification carries: its revision range and its change in the form
the diagram's frames hold it, folded with the notifications queued beside it."""

from __future__ import annotations

import json

import pytest

from cluster import watch
from cluster.diagram_changes import LAST_APPLIED, change_text, slim


def carried(*segments) -> watch.ClusterChanged:
    return {
        "revision": max(s[1] for s in segments),
        "resync": False,
        "carried": list(segments),
    }


def plain(revision: int, resync: bool = False) -> watch.ClusterChanged:
    return {"revision": revision, "resync": resync, "carried": None}


@pytest.mark.parametrize(
    ("queued", "new", "merged"),
    [
        pytest.param(
            carried([4, 5, "a"]),
            carried([5, 6, "b"]),
            carried([4, 6, "a,b"]),
            id="next-revision-joins",
        ),
        pytest.param(
            carried([4, 5, "a"]),
            carried([5, 6, ""]),
            carried([4, 6, "a"]),
            id="undrawn-revision-joins-without-text",
        ),
        pytest.param(
            carried([4, 5, ""]),
            carried([5, 6, "b"]),
            carried([4, 6, "b"]),
            id="text-after-an-undrawn-revision",
        ),
        pytest.param(
            carried([4, 5, "a"]),
            carried([6, 7, "c"]),
            carried([4, 5, "a"], [6, 7, "c"]),
            id="a-revision-from-elsewhere-in-between",
        ),
        pytest.param(
            carried([6, 7, "c"]),
            carried([4, 5, "a"], [5, 6, "b"]),
            carried([4, 7, "a,b,c"]),
            id="out-of-order-threads",
        ),
        pytest.param(carried([4, 5, "a"]), plain(9), plain(9), id="a-plain-nudge-wins"),
        pytest.param(
            plain(3, resync=True),
            carried([4, 5, "a"]),
            {**plain(5), "resync": True},
            id="resync-kept",
        ),
    ],
)
def test_queued_notifications_fold_into_one(queued, new, merged):
    assert watch.merge_changed(queued, new) == merged


def test_a_fold_past_the_carry_limit_carries_nothing(monkeypatch):
    monkeypatch.setattr(watch, "CARRY_BYTES", 10)
    assert watch.merge_changed(
        carried([4, 5, "x" * 6]), carried([5, 6, "y" * 6])
    ) == plain(6)


BODY = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {
        "name": "web",
        "namespace": "default",
        "resourceVersion": "12",
        "annotations": {LAST_APPLIED: "{}", "team": "blue"},
        "managedFields": [{"manager": "kubectl"}],
    },
    "spec": {"ports": [{"port": 80}]},
}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(BODY, id="slimmed"),
        pytest.param(
            {**BODY, "metadata": {"name": "web", "namespace": "default"}},
            id="as-stored",
        ),
        pytest.param({**BODY, "data": {"note": "ñandú ✓"}}, id="not-ascii"),
    ],
)
def test_a_change_text_is_the_frame_entry_a_read_of_the_log_makes(body):
    stored = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    text = change_text("MODIFIED", "services/specs", "default", "web", stored)
    assert json.loads(text) == {
        "type": "MODIFIED",
        "key": "services/specs/default/web",
        "obj": slim(json.loads(stored)),
    }


def test_a_cluster_scoped_object_has_an_empty_namespace_in_its_key():
    text = change_text("DELETED", "minions", "", "worker-1", '{"kind":"Node"}')
    assert json.loads(text)["key"] == "minions//worker-1"
