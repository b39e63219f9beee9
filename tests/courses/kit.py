"""Personas of a hosted class: alice owns, bob is her classmate, carol teaches them,
dave teaches another class (with erin), and an anonymous visitor."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cluster.models import Cluster
from playground.courses import services
from playground.courses.models import LabProgress

PERSONAS = ("owner", "classmate", "instructor", "other_instructor", "anonymous")


def user(name: str, **extra):
    return get_user_model().objects.create_user(name, password="pw-" + name, **extra)


def bare_cluster(owner, name: str = "c") -> Cluster:
    """A cluster row without machines: enough for access rules, free to make."""
    return Cluster.objects.create(
        owner=owner, name=name, slug=f"{owner.username}-{name}"
    )


@pytest.fixture
def school(db):
    alice, bob, carol, dave, erin = (
        user(n) for n in ("alice", "bob", "carol", "dave", "erin")
    )
    carol.is_staff = True
    carol.save()
    course = services.create_course(carol, "Kubernetes 101")
    other = services.create_course(dave, "Other class")
    for student in (alice, bob):
        services.join_course(student, course.join_code)
    services.join_course(erin, other.join_code)
    cluster = bare_cluster(alice, "lab-03-self-healing")
    run = LabProgress.objects.create(
        user=alice, lab_slug="03-self-healing", cluster=cluster
    )
    return {
        "course": course,
        "other": other,
        "cluster": cluster,
        "run": run,
        "users": {
            "owner": alice,
            "classmate": bob,
            "instructor": carol,
            "other_instructor": dave,
        },
    }


def client_for(school, persona: str) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(school["users"][persona])
    return client
