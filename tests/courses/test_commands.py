"""`manage.py createinstructor` and `manage.py createclass`, as an operator runs them."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from playground.courses import access
from playground.courses.models import Course, Membership
from tests.courses.kit import user

pytestmark = pytest.mark.django_db
PASSWORD = "kettle-orbit-42-lantern"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createinstructor_makes_a_staff_account_that_signs_in(monkeypatch, client):
    monkeypatch.setenv("INSTRUCTOR_PASSWORD", PASSWORD)
    out = run("createinstructor", "carol", "--email", "carol@example.org", "--no-input")
    assert "Created instructor carol." in out
    carol = get_user_model().objects.get(username="carol")
    assert (carol.is_staff, carol.is_superuser, carol.email) == (
        True,
        False,
        "carol@example.org",
    )
    assert client.login(username="carol", password=PASSWORD)


def test_createinstructor_promotes_an_existing_user_and_keeps_their_password(
    monkeypatch,
):
    monkeypatch.delenv("INSTRUCTOR_PASSWORD", raising=False)
    user("dave")
    assert "Made instructor dave." in run("createinstructor", "dave", "--no-input")
    dave = get_user_model().objects.get(username="dave")
    assert dave.is_staff and dave.check_password("pw-dave")


@pytest.mark.parametrize(
    ("password", "error"),
    [
        pytest.param(None, "a new instructor needs a password: set ", id="none"),
        pytest.param("12345678", "This password is too common.", id="weak"),
    ],
)
def test_createinstructor_refuses_a_missing_or_weak_password(
    monkeypatch, password, error
):
    monkeypatch.delenv("INSTRUCTOR_PASSWORD", raising=False)
    if password:
        monkeypatch.setenv("INSTRUCTOR_PASSWORD", password)
    with pytest.raises(CommandError, match=re.escape(error)):
        run("createinstructor", "carol", "--no-input")
    assert not get_user_model().objects.filter(username="carol").exists()


def test_createclass_opens_a_class_its_instructor_teaches_and_prints_the_code():
    carol = user("carol")
    out = run("createclass", "  Kubernetes 101 ", "--instructor", "carol")
    course = Course.objects.get()
    assert course.name == "Kubernetes 101"
    assert course.ends_at is None
    assert out.splitlines() == [
        f'Opened class "Kubernetes 101" (id {course.pk}).',
        "  instructor: carol",
        f"  join code:  {course.join_code}",
        f"  wall:       /courses/{course.pk}/wall/",
    ]
    assert access.is_instructor_of_course(carol, course)
    assert course.memberships.get().role == Membership.INSTRUCTOR


@pytest.mark.parametrize(
    ("value", "ends_at"),
    [
        pytest.param("2999-07-01", dt.datetime(2999, 7, 2, tzinfo=dt.UTC), id="date"),
        pytest.param(
            "2999-07-01T18:00", dt.datetime(2999, 7, 1, 18, tzinfo=dt.UTC), id="utc"
        ),
        pytest.param(
            "2999-07-01T18:00+02:00",
            dt.datetime(2999, 7, 1, 16, tzinfo=dt.UTC),
            id="offset",
        ),
    ],
)
def test_createclass_takes_an_end_date(value, ends_at):
    user("carol")
    out = run("createclass", "K8s", "--instructor", "carol", "--ends-at", value)
    assert Course.objects.get().ends_at == ends_at
    assert out.splitlines()[-1] == f"  ends at:    {ends_at:%Y-%m-%d %H:%M} UTC"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        pytest.param(
            ["K8s", "--instructor", "nobody"],
            'no user "nobody"; create one with manage.py createinstructor',
            id="unknown-instructor",
        ),
        pytest.param(
            [" ", "--instructor", "carol"],
            "a class name has 1 to 120 characters",
            id="blank-name",
        ),
        pytest.param(
            ["K8s", "--instructor", "carol", "--ends-at", "next week"],
            '--ends-at "next week" is not a date (2025-07-01) or a date-time '
            "(2025-07-01T18:00)",
            id="not-a-date",
        ),
        pytest.param(
            ["K8s", "--instructor", "carol", "--ends-at", "2025-02-30"],
            '--ends-at "2025-02-30" is not a date',
            id="impossible-date",
        ),
        pytest.param(
            ["K8s", "--instructor", "carol", "--ends-at", "2001-01-01"],
            '--ends-at "2001-01-01" is in the past',
            id="past",
        ),
    ],
)
def test_createclass_refuses_bad_input_and_opens_nothing(args, error):
    user("carol")
    with pytest.raises(CommandError, match=re.escape(error)):
        run("createclass", *args)
    assert not Course.objects.exists()


def test_a_class_from_the_command_line_ends_when_it_says(monkeypatch):
    user("carol")
    soon = timezone.now() + dt.timedelta(hours=1)
    run("createclass", "K8s", "--instructor", "carol", "--ends-at", soon.isoformat())
    assert Course.objects.get().ends_at == soon
    assert not Course.objects.get().is_over


def test_createinstructor_asks_twice_at_a_terminal_and_refuses_a_mismatch(
    monkeypatch,
):
    monkeypatch.delenv("INSTRUCTOR_PASSWORD", raising=False)
    typed = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    with pytest.raises(CommandError, match="the two passwords differ"):
        run("createinstructor", "carol")
    typed = iter([PASSWORD, PASSWORD])
    run("createinstructor", "carol")
    assert get_user_model().objects.get(username="carol").check_password(PASSWORD)
