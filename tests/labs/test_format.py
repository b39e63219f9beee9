"""The lab file format: every shipped lab loads; bad files are refused with reasons."""

from __future__ import annotations

import copy

import pytest
import yaml

from cluster.labs import catalog
from cluster.labs.format import LabError, load_lab, parse_lab

GOOD = {
    "slug": "demo",
    "title": {"en": "Demo", "es": "Demostración"},
    "summary": {"en": "A demo.", "es": "Una demostración."},
    "start": {"template": "single", "speed": 1},
    "steps": [
        {
            "id": "one",
            "title": {"en": "One", "es": "Uno"},
            "text": {"en": "Do it.", "es": "Hazlo."},
            "check": {"snapshots": {"at_least": 1}},
        }
    ],
}


def test_every_shipped_lab_loads_with_both_languages(settings):
    labs = catalog.all_labs()
    assert len(labs) >= 10
    for lab in labs.values():
        for step in lab.steps:
            assert step.title["es"] and step.text["es"], f"{lab.slug}/{step.id}"


def _with(path: str, value):
    data = copy.deepcopy(GOOD)
    target = data
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return data


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (_with("slug", "Bad Slug"), "slug: lower-case letters"),
        (_with("title", {"en": "Only English"}), "title.es: text is missing"),
        (_with("start", {"template": "huge"}), "start.template: 'huge' is not one of"),
        (_with("start", {"speed": 3}), "start.speed: 3 is not one of"),
        (_with("start", {"stopped": [{"machine": "x"}]}), "start.stopped[0]: needs"),
        (_with("start", {"objects": [{"kind": "Pod"}]}), "needs apiVersion and kind"),
        (_with("steps", []), "steps: a lab needs at least one step"),
        (_with("steps.0.check", None), "steps[0].check: every step needs a check"),
        (
            _with("steps.0.check", {"pods": {"count": "two"}}),
            "steps[0].check.pods.count: must be an integer",
        ),
        (_with("steps.0.id", "One!"), "steps[0].id: lower-case"),
        (_with("colour", "red"), "unknown key 'colour'"),
    ],
)
def test_a_bad_lab_is_refused_naming_the_place(data, problem):
    with pytest.raises(LabError) as refused:
        parse_lab(data, "demo.yaml")
    assert any(problem in p for p in refused.value.problems), refused.value.problems


def test_a_slug_must_match_its_file_name(tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(GOOD))
    with pytest.raises(LabError, match="slug 'demo' must match the file name"):
        load_lab(path)


def test_broken_yaml_is_reported(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text("slug: [unclosed")
    with pytest.raises(LabError, match="not valid YAML"):
        load_lab(path)
