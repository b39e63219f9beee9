"""Updates, patches and validation through the ApiServer: what is written and what is not."""

from __future__ import annotations

import copy

import pytest

from cluster import store
from cluster.apiserver import errors
from tests.apiserver.core_kit import (
    CONFIGMAP,
    DEPLOYMENT,
    POD,
    SERVICE,
    bare_deployment,
    bare_pod,
    bare_service,
    new_cluster,
    revision,
    system_api,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return system_api(new_cluster())


def _error(fn, *args, **kwargs) -> errors.ApiError:
    with pytest.raises(errors.ApiError) as caught:
        fn(*args, **kwargs)
    return caught.value


@pytest.mark.parametrize(
    ("change", "generation"),
    [
        pytest.param(lambda d: d["spec"].update(replicas=3), 2, id="replicas"),
        pytest.param(
            lambda d: d["spec"]["template"]["spec"]["containers"][0].update(
                image="nginx:1.28"
            ),
            2,
            id="image",
        ),
        pytest.param(
            lambda d: d["metadata"].update(labels={"team": "a"}), 1, id="labels"
        ),
        pytest.param(
            lambda d: d["metadata"].update(annotations={"note": "x"}),
            1,
            id="annotations",
        ),
        pytest.param(lambda d: None, 1, id="nothing"),
    ],
)
def test_generation_is_bumped_by_spec_changes_only(api, change, generation):
    live = api.create(bare_deployment("web"))
    change(live)
    updated = api.update(live)
    assert updated["metadata"]["generation"] == generation
    assert int(updated["metadata"]["resourceVersion"]) == revision(api)


def test_an_update_with_a_stale_resource_version_is_a_conflict(api):
    stale = api.create(bare_deployment("x"))
    fresh = copy.deepcopy(stale)
    fresh["spec"]["replicas"] = 2
    api.update(fresh)
    stale["spec"]["replicas"] = 5
    before = revision(api)
    exc = _error(api.update, stale)
    assert (exc.code, exc.reason, exc.message) == (
        409,
        "Conflict",
        'Operation cannot be fulfilled on deployments.apps "x": the object has been '
        "modified; please apply your changes to the latest version and try again",
    )
    assert revision(api) == before
    assert api.get(DEPLOYMENT, "default", "x")["spec"]["replicas"] == 2


def test_a_write_that_changes_nothing_is_not_stored(api):
    """As etcd's GuaranteedUpdate: same resourceVersion, no new revision, no event."""
    live = api.create(bare_deployment("x"))
    before = revision(api)
    same = api.merge_patch(DEPLOYMENT, "default", "x", {"spec": {"replicas": 1}})
    assert same == live
    assert api.update(copy.deepcopy(live)) == live
    assert revision(api) == before


def test_an_update_without_a_resource_version_is_unconditional(api):
    live = api.create(bare_deployment("x"))
    api.update({**copy.deepcopy(live), "spec": {**live["spec"], "replicas": 2}})
    del live["metadata"]["resourceVersion"]
    live["spec"]["replicas"] = 4
    assert api.update(live)["spec"]["replicas"] == 4


@pytest.mark.parametrize(
    ("call", "code", "message"),
    [
        pytest.param(
            lambda api: api.get(POD, "default", "x"),
            404,
            'pods "x" not found',
            id="get",
        ),
        pytest.param(
            lambda api: api.update(bare_pod("x")), 404, 'pods "x" not found', id="put"
        ),
        pytest.param(
            lambda api: api.delete(DEPLOYMENT, "default", "x"),
            404,
            'deployments.apps "x" not found',
            id="delete",
        ),
        pytest.param(
            lambda api: api.merge_patch(SERVICE, "default", "x", {}),
            404,
            'services "x" not found',
            id="patch",
        ),
        pytest.param(
            lambda api: api.create(bare_pod("x", namespace="nope")),
            404,
            'namespaces "nope" not found',
            id="create-in-missing-namespace",
        ),
        pytest.param(
            lambda api: api.create({"apiVersion": "v1", "kind": "Gizmo"}),
            404,
            None,
            id="unknown-kind",
        ),
        pytest.param(
            lambda api: api.create({"metadata": {"name": "x"}}),
            400,
            "Object 'Kind' is missing in the request body",
            id="no-kind",
        ),
        pytest.param(
            lambda api: api.create(["not", "an", "object"]),
            400,
            "the body of the request must be a JSON object",
            id="not-an-object",
        ),
    ],
)
def test_bad_requests_are_refused_with_a_status_and_write_nothing(
    api, call, code, message
):
    before = revision(api)
    exc = _error(call, api)
    assert exc.code == code
    if message:
        assert exc.message == message
    assert exc.status()["code"] == code
    assert revision(api) == before


def _no_containers(obj):
    obj["spec"]["containers"] = []


def _bad_label(obj):
    obj["metadata"]["labels"] = {"app": "-web"}


def _mismatched_selector(obj):
    obj["spec"]["template"]["metadata"]["labels"] = {"app": "other"}


def _bad_port(obj):
    obj["spec"]["ports"] = [{"port": 70000}]


@pytest.mark.parametrize(
    ("build", "fields"),
    [
        pytest.param(lambda: bare_pod("Web"), ["metadata.name"], id="uppercase-name"),
        pytest.param(
            lambda: _apply(bare_pod("web"), _no_containers),
            ["spec.containers"],
            id="no-containers",
        ),
        pytest.param(
            lambda: _apply(bare_pod("web"), _bad_label),
            ["metadata.labels"],
            id="label-value",
        ),
        pytest.param(
            lambda: _apply(bare_deployment("web"), _mismatched_selector),
            ["spec.template.metadata.labels"],
            id="selector-mismatch",
        ),
        pytest.param(
            lambda: _apply(bare_service("web"), _bad_port),
            ["spec.ports[0].port", "spec.ports[0].targetPort"],
            id="port-range",
        ),
    ],
)
def test_an_invalid_object_is_422_with_one_cause_per_field_and_writes_nothing(
    api, build, fields
):
    before = revision(api)
    exc = _error(api.create, build())
    assert (exc.code, exc.reason) == (422, "Invalid")
    assert [c.field for c in exc.causes] == fields
    assert exc.status()["details"]["causes"][0]["field"] == fields[0]
    assert revision(api) == before
    assert store.events_since(api.cluster_id, before) == []


def _apply(obj, fn):
    fn(obj)
    return obj


def test_the_invalid_message_names_the_kind_object_and_field(api):
    exc = _error(api.create, _apply(bare_pod("web"), _no_containers))
    assert exc.message == 'Pod "web" is invalid: spec.containers: Required value'


def test_an_invalid_update_leaves_the_stored_object_untouched(api):
    live = api.create(bare_deployment("web"))
    broken = copy.deepcopy(live)
    broken["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    before = revision(api)
    exc = _error(api.update, broken)
    assert exc.code == 422
    assert "spec.selector" in [c.field for c in exc.causes]
    assert api.get(DEPLOYMENT, "default", "web") == live
    assert revision(api) == before


def test_a_bad_patch_leaves_the_object_untouched(api):
    live = api.create(bare_deployment("web"))
    before = revision(api)
    exc = _error(
        api.merge_patch, DEPLOYMENT, "default", "web", {"spec": {"replicas": -1}}
    )
    assert exc.code == 422
    assert [c.field for c in exc.causes] == ["spec.replicas"]
    assert api.get(DEPLOYMENT, "default", "web") == live
    assert revision(api) == before


def test_a_patch_that_is_not_an_object_is_a_bad_request(api):
    api.create(bare_deployment("web"))
    exc = _error(api.patch, DEPLOYMENT, "default", "web", lambda live: ["x"])
    assert exc.code == 400


def test_a_merge_patch_updates_only_what_it_names(api):
    api.create(bare_deployment("web"))
    patched = api.merge_patch(
        DEPLOYMENT, "default", "web", {"metadata": {"labels": {"team": "a"}}}
    )
    assert patched["metadata"]["labels"] == {"team": "a"}
    assert patched["spec"]["replicas"] == 1
    patched = api.merge_patch(
        DEPLOYMENT, "default", "web", {"metadata": {"labels": None}}
    )
    assert "labels" not in patched["metadata"]


def test_a_patch_is_retried_when_another_writer_got_there_first(api):
    """GuaranteedUpdate: a Conflict between read and write re-reads and re-applies."""
    api.create(bare_deployment("web"))
    attempts = []

    def scale_to_three(live):
        attempts.append(live["metadata"]["resourceVersion"])
        if len(attempts) == 1:  # someone else writes in between
            other = copy.deepcopy(live)
            other["metadata"]["labels"] = {"by": "other"}
            store.update(api.cluster_id, DEPLOYMENT, other, None)
        live["spec"]["replicas"] = 3
        return live

    patched = api.patch(DEPLOYMENT, "default", "web", scale_to_three)
    assert len(attempts) == 2
    assert patched["spec"]["replicas"] == 3
    assert patched["metadata"]["labels"] == {"by": "other"}


def test_a_patch_pinned_to_a_stale_resource_version_is_a_conflict(api):
    live = api.create(bare_deployment("web"))
    api.merge_patch(DEPLOYMENT, "default", "web", {"spec": {"replicas": 2}})
    pinned = {
        "metadata": {"resourceVersion": live["metadata"]["resourceVersion"]},
        "spec": {"replicas": 5},
    }
    exc = _error(api.merge_patch, DEPLOYMENT, "default", "web", pinned)
    assert exc.reason == "Conflict"
    assert api.get(DEPLOYMENT, "default", "web")["spec"]["replicas"] == 2


def test_status_sent_to_the_main_resource_is_ignored(api):
    live = api.create(bare_deployment("web"))
    live["status"] = {"replicas": 9}
    live["spec"]["replicas"] = 2
    updated = api.update(live)
    assert (updated["status"], updated["spec"]["replicas"]) == ({}, 2)


def test_the_status_subresource_writes_status_only(api):
    live = api.create(bare_deployment("web"))
    live["status"] = {"replicas": 1, "observedGeneration": 1}
    live["spec"]["replicas"] = 7
    live["metadata"]["labels"] = {"sneaky": "yes"}
    updated = api.update(live, subresource="status")
    assert updated["status"] == {"replicas": 1, "observedGeneration": 1}
    assert updated["spec"]["replicas"] == 1
    assert "labels" not in updated["metadata"]
    assert updated["metadata"]["generation"] == 1


def test_a_pod_status_write_does_not_touch_its_spec(api):
    pod = api.create(bare_pod("web"))
    pod["status"] = {"phase": "Running", "podIP": "10.244.1.5"}
    pod["spec"]["activeDeadlineSeconds"] = 5
    updated = api.update(pod, subresource="status")
    assert updated["status"] == {"phase": "Running", "podIP": "10.244.1.5"}
    assert "activeDeadlineSeconds" not in updated["spec"]


def test_server_owned_metadata_survives_an_update(api):
    live = api.create(bare_deployment("web"))
    forged = copy.deepcopy(live)
    forged["metadata"].update(uid="forged", creationTimestamp="2000-01-01T00:00:00Z")
    updated = api.update(forged)
    assert updated["metadata"]["uid"] == live["metadata"]["uid"]
    assert updated["metadata"]["creationTimestamp"] == "2023-11-14T22:13:20Z"


def test_a_service_update_keeps_its_cluster_ip_and_node_ports(api):
    live = api.create(bare_service("web", "NodePort"))
    ip, port = live["spec"]["clusterIP"], live["spec"]["ports"][0]["nodePort"]
    sent = copy.deepcopy(live)
    sent["spec"].pop("clusterIP")
    sent["spec"].pop("clusterIPs")
    sent["spec"]["ports"][0].pop("nodePort")
    updated = api.update(sent)
    assert updated["spec"]["clusterIP"] == ip
    assert updated["spec"]["ports"][0]["nodePort"] == port


def test_an_object_update_keeps_fields_the_simulation_does_not_know(api):
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg"},
        "data": {"a": "1"},
        "binaryData": {"b": "AAE="},
        "immutable": False,
    }
    created = api.create(cm)
    assert api.get(CONFIGMAP, "default", "cfg") == created
    assert created["binaryData"] == {"b": "AAE="}
