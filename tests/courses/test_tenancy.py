"""Every entry point of classes and labs × every persona: who sees, who changes."""

from __future__ import annotations

import pytest

from cluster.access import can_read, can_write
from tests.courses.kit import PERSONAS, client_for

pytestmark = pytest.mark.django_db

# (method, url template, expected status by persona, in PERSONAS order).
MATRIX = [
    ("get", "/api/labs/runs/{run}/", (200, 404, 200, 404, 403)),
    ("post", "/api/labs/runs/{run}/check/", (200, 404, 403, 404, 403)),
    ("get", "/api/courses/{course}/wall/", (404, 404, 200, 404, 403)),
    ("get", "/api/courses/{course}/progress.csv", (404, 404, 200, 404, 403)),
    ("get", "/api/clusters/{cluster}/", (200, 404, 200, 404, 403)),
    ("post", "/api/clusters/{cluster}/reset/", (None, 404, 403, 404, 403)),
    ("get", "/courses/{course}/wall/", (404, 404, 200, 404, 302)),
]


def _url(template: str, school) -> str:
    return template.format(
        run=school["run"].pk,
        course=school["course"].pk,
        cluster=school["cluster"].slug,
    )


@pytest.mark.parametrize(
    ("method", "template", "persona", "expected"),
    [
        pytest.param(m, t, p, e, id=f"{m} {t} as {p}")
        for m, t, codes in MATRIX
        for p, e in zip(PERSONAS, codes)
        if e is not None
    ],
)
def test_each_entry_point_answers_each_persona(
    school, method, template, persona, expected
):
    response = getattr(client_for(school, persona), method)(_url(template, school))
    assert response.status_code == expected, response.content[:300]


@pytest.mark.parametrize(
    ("persona", "read", "write"),
    [
        ("owner", True, True),
        ("classmate", False, False),
        ("instructor", True, False),
        ("other_instructor", False, False),
    ],
)
def test_the_cluster_access_rules_follow_the_class(school, persona, read, write):
    who = school["users"][persona]
    assert can_read(who, school["cluster"]) is read
    assert can_write(who, school["cluster"]) is write


def test_an_instructor_resets_a_student_lab_of_their_class_only(school):
    url = f"/api/courses/{school['other'].pk}/runs/{school['run'].pk}/reset/"
    assert client_for(school, "other_instructor").post(url).status_code == 404
    url = f"/api/courses/{school['course'].pk}/runs/{school['run'].pk}/reset/"
    response = client_for(school, "instructor").post(url)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"] == "alice"
    assert body["steps_done"] == 0
    school["run"].refresh_from_db()
    assert school["run"].cluster.pk != school["cluster"].pk  # a fresh cluster
    assert school["run"].cluster.machines.count() == 3
