"""Server-side apply: managedFields ownership, merging and conflicts."""

import pytest

from cluster.apiserver import apply
from cluster.apiserver.errors import ApiError
from cluster.simtime import parse_rfc3339

NOW = parse_rfc3339("2025-01-01T12:00:00Z")
MANIFEST = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]},
        },
    },
}


def test_first_apply_creates_the_object_with_an_apply_entry():
    """An apply on nothing creates; the entry lists the applied fields in FieldsV1."""
    obj = apply.server_side_apply(
        None, MANIFEST, "Deployment", "kubectl", "apps/v1", NOW
    )
    assert obj["spec"] == MANIFEST["spec"]
    assert obj["metadata"]["managedFields"] == [
        {
            "manager": "kubectl",
            "operation": "Apply",
            "apiVersion": "apps/v1",
            "time": "2025-01-01T12:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:replicas": {},
                    "f:selector": {"f:matchLabels": {"f:app": {}}},
                    "f:template": {
                        "f:metadata": {"f:labels": {"f:app": {}}},
                        "f:spec": {
                            "f:containers": {
                                'k:{"name":"nginx"}': {
                                    ".": {},
                                    "f:image": {},
                                    "f:name": {},
                                }
                            }
                        },
                    },
                },
            },
        }
    ]


def test_a_field_changed_by_another_manager_conflicts():
    """kubectl scale's update owns replicas; applying another value is a 409."""
    obj = apply.record_update(
        None, MANIFEST, "kubectl-client-side-apply", "apps/v1", NOW
    )
    applied = {**MANIFEST, "spec": {**MANIFEST["spec"], "replicas": 5}}
    with pytest.raises(ApiError) as err:
        apply.server_side_apply(obj, applied, "Deployment", "kubectl", "apps/v1", NOW)
    assert err.value.code == 409
    assert err.value.reason == "Conflict"
    assert err.value.message == (
        "Apply failed with 1 conflict: conflict with "
        '"kubectl-client-side-apply" using apps/v1: .spec.replicas'
    )
    assert err.value.status()["details"] == {
        "causes": [
            {
                "reason": "FieldManagerConflict",
                "message": 'conflict with "kubectl-client-side-apply" using apps/v1',
                "field": ".spec.replicas",
            }
        ]
    }


def test_applying_the_same_values_shares_ownership_without_conflict():
    """Equal values never conflict."""
    obj = apply.record_update(None, MANIFEST, "kubectl-create", "apps/v1", NOW)
    result = apply.server_side_apply(
        obj, MANIFEST, "Deployment", "kubectl", "apps/v1", NOW
    )
    managers = [
        (e["manager"], e["operation"]) for e in result["metadata"]["managedFields"]
    ]
    assert managers == [("kubectl-create", "Update"), ("kubectl", "Apply")]


def test_force_takes_the_field_over():
    """With force the applier wins and the other manager loses the field."""
    obj = apply.record_update(
        None, MANIFEST, "kubectl-client-side-apply", "apps/v1", NOW
    )
    applied = {**MANIFEST, "spec": {**MANIFEST["spec"], "replicas": 5}}
    result = apply.server_side_apply(
        obj, applied, "Deployment", "kubectl", "apps/v1", NOW, force=True
    )
    assert result["spec"]["replicas"] == 5
    other = result["metadata"]["managedFields"][0]
    assert "f:replicas" not in other["fieldsV1"]["f:spec"]


def test_several_conflicts_are_listed_per_manager():
    """Two contested fields give the multi-line message."""
    obj = apply.record_update(None, MANIFEST, "editor", "apps/v1", NOW)
    spec = {
        **MANIFEST["spec"],
        "replicas": 7,
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:2"}]},
        },
    }
    with pytest.raises(ApiError) as err:
        apply.server_side_apply(
            obj, {**MANIFEST, "spec": spec}, "Deployment", "kubectl", "apps/v1", NOW
        )
    assert err.value.message == (
        'Apply failed with 2 conflicts: conflicts with "editor" using apps/v1:\n'
        "- .spec.replicas\n"
        '- .spec.template.spec.containers[name="nginx"].image'
    )


def test_fields_dropped_from_the_applied_config_are_removed():
    """A label the applier owned and no longer sets disappears."""
    first = {
        **MANIFEST,
        "metadata": {**MANIFEST["metadata"], "labels": {"app": "web", "tier": "front"}},
    }
    obj = apply.server_side_apply(None, first, "Deployment", "kubectl", "apps/v1", NOW)
    obj = apply.server_side_apply(
        obj, MANIFEST, "Deployment", "kubectl", "apps/v1", NOW
    )
    assert obj["metadata"]["labels"] == {"app": "web"}
    assert len(obj["metadata"]["managedFields"]) == 1


def test_missing_field_manager_is_rejected():
    """Apply without fieldManager is invalid."""
    with pytest.raises(ApiError) as err:
        apply.server_side_apply(None, MANIFEST, "Deployment", "", "apps/v1", NOW)
    assert err.value.code == 422
    assert err.value.message == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: '
        "Required value: is required for apply patch"
    )


def test_update_records_changed_fields_and_takes_them_from_others():
    """A scale update moves `.spec.replicas` from the applier to the updater."""
    obj = apply.server_side_apply(
        None, MANIFEST, "Deployment", "kubectl", "apps/v1", NOW
    )
    scaled = {**obj, "spec": {**obj["spec"], "replicas": 4}}
    result = apply.record_update(obj, scaled, "kubectl-scale", "apps/v1", NOW)
    kubectl, scale = result["metadata"]["managedFields"]
    assert "f:replicas" not in kubectl["fieldsV1"]["f:spec"]
    assert scale == {
        "manager": "kubectl-scale",
        "operation": "Update",
        "apiVersion": "apps/v1",
        "time": "2025-01-01T12:00:00Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:spec": {"f:replicas": {}}},
    }


@pytest.mark.parametrize(
    ("path", "text"),
    [
        pytest.param((("f", "spec"), ("f", "replicas")), ".spec.replicas", id="fields"),
        pytest.param(
            (("f", "metadata"), ("f", "finalizers"), ("v", '"a"')),
            '.metadata.finalizers[="a"]',
            id="set-value",
        ),
        pytest.param(
            (("f", "spec"), ("f", "ports"), ("k", '{"port":80}')),
            ".spec.ports[port=80]",
            id="int-key",
        ),
    ],
)
def test_path_strings_match_structured_merge_diff(path, text):
    """Conflict fields print as `.a.b[key="v"]`."""
    assert apply.path_string(path) == text


def test_fields_v1_round_trips():
    """A FieldsV1 tree parses back into the same set."""
    tree = {
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {"f:containers": {'k:{"name":"a"}': {".": {}, "f:image": {}}}},
    }
    assert apply.to_fields_v1(apply.from_fields_v1(tree)) == tree
