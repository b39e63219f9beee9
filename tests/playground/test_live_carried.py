"""Forwarding what notifications carried: only when it continues from the browser's
revision without a hole, and as a frame the browser applies like a read one."""

from __future__ import annotations

import json

import pytest

from playground import live


@pytest.mark.parametrize(
    ("rev", "segments", "reached"),
    [
        pytest.param(4, [[4, 5, "a"]], (5, ["a"]), id="next"),
        pytest.param(4, [[4, 6, "a,b"], [6, 7, ""]], (7, ["a,b"]), id="chain"),
        pytest.param(4, [[6, 7, "c"], [4, 6, "a"]], (7, ["a", "c"]), id="any-order"),
        pytest.param(5, [[4, 5, "a"], [5, 6, "b"]], (6, ["b"]), id="already-sent"),
        pytest.param(5, [[3, 5, "a"]], (5, []), id="nothing-new"),
        pytest.param(4, [[5, 6, "b"]], None, id="hole"),
        pytest.param(5, [[4, 6, "a,b"]], None, id="overlap"),
        pytest.param(4, [[4, 5, "a"], [6, 7, "c"]], None, id="hole-after"),
    ],
)
def test_carried_segments_continue_from_the_browsers_revision(rev, segments, reached):
    assert live.continue_from(rev, segments) == reached


def test_carried_changes_too_big_for_a_frame_are_left_to_a_read(monkeypatch):
    monkeypatch.setattr(live, "FRAME_BYTES", 10)
    assert live.continue_from(4, [[4, 5, "x" * 6], [5, 6, "y" * 6]]) is None


def test_a_carried_frame_applies_like_a_read_one():
    change = {"type": "ADDED", "key": "pods/default/a", "obj": {"kind": "Pod"}}
    text = live.carried_frame(4, 6, [json.dumps(change)], (100.0, 1000.0, 2.0))
    frame = json.loads(text)
    assert {k: frame[k] for k in ("t", "from", "rev")} == {
        "t": "changes",
        "from": 4,
        "rev": 6,
    }
    assert frame["clock"]["speed"] == 2.0
    # sim time runs at twice the wall's since the anchors
    assert frame["clock"]["now"] == pytest.approx(
        100.0 + 2 * (frame["clock"]["wall"] - 1000.0)
    )
    assert live.apply_frame({"pods/default/b": {}}, frame) == {
        "pods/default/b": {},
        "pods/default/a": {"kind": "Pod"},
    }
