"""The API server keeps a DaemonSet's template generation in the
`deprecated.daemonset.template.generation` annotation, as apps/v1 shows it."""

from __future__ import annotations

import pytest

from cluster import kinds
from tests.apiserver.core_kit import bare_deployment, new_cluster, system_api

pytestmark = pytest.mark.django_db
DAEMONSET = kinds.by_kind("DaemonSet")
ANNOTATION = "deprecated.daemonset.template.generation"


def bare_daemonset(annotations: dict | None = None) -> dict:
    ds = bare_deployment("agent")
    ds["kind"] = "DaemonSet"
    ds["spec"].pop("replicas", None)
    if annotations:
        ds["metadata"]["annotations"] = annotations
    return ds


@pytest.fixture
def api():
    return system_api(new_cluster())


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        pytest.param(None, "1", id="unset"),
        pytest.param("5", "5", id="given"),
        pytest.param("0", "1", id="zero-becomes-one"),
    ],
)
def test_a_new_daemonset_starts_at_template_generation_one_or_the_given_one(
    api, given, stored
):
    created = api.create(bare_daemonset({ANNOTATION: given} if given else None))
    assert created["metadata"]["annotations"][ANNOTATION] == stored


@pytest.mark.parametrize(
    ("change", "template_generation", "generation"),
    [
        pytest.param(
            lambda d: d["spec"]["template"]["spec"]["containers"][0].update(
                image="nginx:1.28"
            ),
            "2",
            2,
            id="template",
        ),
        pytest.param(lambda d: d["spec"].update(minReadySeconds=5), "1", 2, id="spec"),
        pytest.param(
            lambda d: d["metadata"]["annotations"].update({ANNOTATION: "9"}),
            "1",
            1,
            id="annotation-by-hand",
        ),
    ],
)
def test_only_a_template_change_bumps_the_template_generation(
    api, change, template_generation, generation
):
    live = api.create(bare_daemonset())
    change(live)
    updated = api.update(live)
    assert updated["metadata"]["annotations"][ANNOTATION] == template_generation
    assert updated["metadata"]["generation"] == generation
