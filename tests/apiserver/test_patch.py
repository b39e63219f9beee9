"""Strategic merge, JSON merge and JSON patches with the bodies real kubectl sends."""

import pytest

from cluster.apiserver import patch
from cluster.apiserver.errors import ApiError


def deployment(containers, volumes=None, strategy=None, finalizers=None):
    obj = {
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "strategy": strategy
            or {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {"spec": {"containers": containers}},
        },
    }
    if volumes is not None:
        obj["spec"]["template"]["spec"]["volumes"] = volumes
    if finalizers is not None:
        obj["metadata"]["finalizers"] = finalizers
    return obj


def test_set_image_merges_containers_by_name():
    """`kubectl set image deployment/web nginx=nginx:1.27`."""
    live = deployment(
        [
            {"name": "nginx", "image": "nginx:1.26", "ports": [{"containerPort": 80}]},
            {"name": "side", "image": "busybox"},
        ]
    )
    body = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [
                        {"name": "nginx"},
                        {"name": "side"},
                    ],
                    "containers": [{"image": "nginx:1.27", "name": "nginx"}],
                }
            }
        }
    }
    result = patch.strategic_merge(live, body, "Deployment")
    assert result["spec"]["template"]["spec"]["containers"] == [
        {"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80}]},
        {"name": "side", "image": "busybox"},
    ]
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"


def test_apply_directives_observed_from_kubectl():
    """The strat-a → strat-b apply patch: delete, retainKeys, order, primitive delete."""
    live = deployment(
        [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}],
        volumes=[{"name": "data", "emptyDir": {}}],
        finalizers=["example.com/a", "example.com/b"],
    )
    body = {
        "metadata": {
            "$deleteFromPrimitiveList/finalizers": ["example.com/b"],
            "$setElementOrder/finalizers": ["example.com/a"],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}\n"},
        },
        "spec": {
            "strategy": {
                "$retainKeys": ["type"],
                "rollingUpdate": None,
                "type": "Recreate",
            },
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "b"}],
                    "$setElementOrder/volumes": [{"name": "data"}],
                    "containers": [{"$patch": "delete", "name": "a"}],
                    "volumes": [
                        {
                            "$retainKeys": ["hostPath", "name"],
                            "emptyDir": None,
                            "hostPath": {"path": "/tmp"},
                            "name": "data",
                        }
                    ],
                }
            },
        },
    }
    result = patch.strategic_merge(live, body, "Deployment")
    assert result == {
        "metadata": {
            "name": "web",
            "labels": {"app": "web"},
            "finalizers": ["example.com/a"],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}\n"},
        },
        "spec": {
            "replicas": 2,
            "strategy": {"type": "Recreate"},
            "template": {
                "spec": {
                    "containers": [{"name": "b", "image": "y"}],
                    "volumes": [{"name": "data", "hostPath": {"path": "/tmp"}}],
                }
            },
        },
    }


@pytest.mark.parametrize(
    ("live_spec", "body", "expected_spec"),
    [
        pytest.param(
            {"podCIDR": "10.244.1.0/24"},
            {"spec": {"unschedulable": True}},
            {"podCIDR": "10.244.1.0/24", "unschedulable": True},
            id="cordon",
        ),
        pytest.param(
            {"unschedulable": True},
            {"spec": {"unschedulable": None}},
            {},
            id="uncordon-null-deletes",
        ),
        pytest.param(
            {
                "taints": [
                    {"key": "a", "effect": "NoSchedule"},
                    {"key": "b", "effect": "NoSchedule"},
                ]
            },
            {"spec": {"taints": [{"effect": "NoSchedule", "key": "b"}]}},
            {"taints": [{"effect": "NoSchedule", "key": "b"}]},
            id="taints-replace-whole",
        ),
        pytest.param(
            {"taints": [{"key": "a", "effect": "NoSchedule"}]},
            {"spec": {"taints": None}},
            {},
            id="last-taint-removed",
        ),
    ],
)
def test_node_patches_from_cordon_and_taint(live_spec, body, expected_spec):
    """Cordon/uncordon set or null `unschedulable`; taints are replaced whole."""
    live = {"metadata": {"name": "node-1"}, "spec": live_spec}
    assert patch.strategic_merge(live, body, "Node")["spec"] == expected_spec


@pytest.mark.parametrize(
    ("kind", "path", "field", "expected"),
    [
        pytest.param(
            "Deployment",
            ("spec", "template", "spec", "containers"),
            "ports",
            ("merge", "containerPort"),
            id="container-ports",
        ),
        pytest.param(
            "Service", ("spec",), "ports", ("merge", "port"), id="service-ports"
        ),
        pytest.param("Pod", ("spec", "containers"), "env", ("merge", "name"), id="env"),
        pytest.param(
            "Pod", ("spec", "containers"), "envFrom", ("replace", None), id="env-from"
        ),
        pytest.param(
            "Pod",
            ("spec", "containers"),
            "volumeMounts",
            ("merge", "mountPath"),
            id="volume-mounts",
        ),
        pytest.param(
            "Pod", ("spec",), "tolerations", ("replace", None), id="tolerations"
        ),
        pytest.param(
            "Pod",
            ("spec",),
            "imagePullSecrets",
            ("merge", "name"),
            id="image-pull-secrets",
        ),
        pytest.param(
            "Pod", ("spec",), "hostAliases", ("merge", "ip"), id="host-aliases"
        ),
        pytest.param(
            "Pod",
            ("spec",),
            "topologySpreadConstraints",
            ("merge", "topologyKey"),
            id="spread",
        ),
        pytest.param(
            "Pod",
            ("metadata",),
            "ownerReferences",
            ("merge", "uid"),
            id="owner-references",
        ),
        pytest.param(
            "Pod", ("metadata",), "finalizers", ("set", None), id="finalizers"
        ),
        pytest.param(
            "Deployment", ("status",), "conditions", ("merge", "type"), id="conditions"
        ),
        pytest.param(
            "Node", ("status",), "addresses", ("merge", "type"), id="node-addresses"
        ),
        pytest.param(
            "Endpoints",
            ("subsets",),
            "addresses",
            ("replace", None),
            id="endpoint-addresses",
        ),
        pytest.param(
            "ServiceAccount", (), "secrets", ("merge", "name"), id="sa-secrets"
        ),
        pytest.param(
            "Pod", ("spec", "containers"), "args", ("replace", None), id="args"
        ),
    ],
)
def test_list_strategies_follow_the_patch_merge_keys(kind, path, field, expected):
    """patchMergeKey/patchStrategy of the built-in types."""
    assert patch.list_strategy(kind, path, field) == expected


def test_env_var_dropped_from_a_manifest_is_deleted_by_name():
    """`"env":[{"$patch":"delete","name":"DEBUG"}]` with `$setElementOrder/env`."""
    live = {
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "env": [
                        {"name": "DEBUG", "value": "1"},
                        {"name": "MODE", "value": "a"},
                    ],
                }
            ]
        }
    }
    body = {
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "$setElementOrder/env": [{"name": "MODE"}],
                    "env": [{"$patch": "delete", "name": "DEBUG"}],
                }
            ]
        }
    }
    result = patch.strategic_merge(live, body, "Pod")
    assert result["spec"]["containers"][0]["env"] == [{"name": "MODE", "value": "a"}]


def _env(*names):
    return {"spec": {"containers": [{"name": "app", "env": list(names)}]}}


@pytest.mark.parametrize(
    ("live", "body", "expected"),
    [
        pytest.param(
            ["MODE"],
            [{"name": "COLOUR"}],
            ["COLOUR", "MODE"],
            id="a-new-item-comes-before-unmentioned-live-ones",
        ),
        pytest.param(
            ["A", "B", "C"],
            [{"name": "C"}, {"name": "A"}],
            ["B", "C", "A"],
            id="unmentioned-items-keep-their-place-before-later-named-ones",
        ),
        pytest.param(
            ["A", "B"],
            [{"name": "B", "value": "2"}],
            ["A", "B"],
            id="an-updated-item-stays-where-it-was",
        ),
    ],
)
def test_merged_lists_take_kube_apiservers_order(live, body, expected):
    """Patch items in patch order, live-only items slotted in by their live order."""
    original = _env(*({"name": n} for n in live))
    result = patch.strategic_merge(
        original, {"spec": {"containers": [{"name": "app", "env": body}]}}, "Pod"
    )
    assert [e["name"] for e in result["spec"]["containers"][0]["env"]] == expected


def test_set_element_order_slots_in_items_only_the_server_has():
    """A variable another writer added stays before the applied ones it preceded."""
    original = _env({"name": "A"}, {"name": "EXTRA"}, {"name": "B"})
    body = {
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "$setElementOrder/env": [{"name": "B"}, {"name": "A"}],
                    "env": [{"name": "B", "value": "x"}],
                }
            ]
        }
    }
    result = patch.strategic_merge(original, body, "Pod")
    env = result["spec"]["containers"][0]["env"]
    assert [e["name"] for e in env] == ["EXTRA", "B", "A"]


def test_a_new_finalizer_comes_first():
    live = {"metadata": {"finalizers": ["example.com/a"]}}
    body = {"metadata": {"finalizers": ["example.com/b"]}}
    assert patch.strategic_merge(live, body, "Pod")["metadata"]["finalizers"] == [
        "example.com/b",
        "example.com/a",
    ]


def test_patch_replace_directive_replaces_a_map():
    """`$patch: replace` swaps the whole map instead of merging."""
    live = {"metadata": {"labels": {"a": "1", "b": "2"}}}
    body = {"metadata": {"labels": {"$patch": "replace", "c": "3"}}}
    assert patch.strategic_merge(live, body, "Pod") == {
        "metadata": {"labels": {"c": "3"}}
    }


def test_unknown_patch_directive_is_a_400():
    """A `$patch` value other than replace, merge or delete is rejected."""
    with pytest.raises(ApiError) as err:
        patch.strategic_merge({}, {"spec": {"$patch": "explode"}}, "Pod")
    assert err.value.code == 400


@pytest.mark.parametrize(
    ("live", "body", "expected"),
    [
        pytest.param(
            {"metadata": {"labels": {"disk": "ssd", "a": "1"}}},
            {"metadata": {"labels": {"disk": None}}},
            {"metadata": {"labels": {"a": "1"}}},
            id="label-removal",
        ),
        pytest.param(
            {"spec": {"replicas": 2}},
            {"spec": {"replicas": 5}},
            {"spec": {"replicas": 5}},
            id="scale",
        ),
        pytest.param({"a": [1, 2]}, {"a": [3]}, {"a": [3]}, id="lists-replace"),
    ],
)
def test_json_merge_patch(live, body, expected):
    """RFC 7386 as kubectl label and scale use it."""
    assert patch.json_merge(live, body) == expected


def test_rollout_undo_json_patch_replaces_template_and_annotations():
    """The JSON patch `kubectl rollout undo` sends."""
    live = {
        "metadata": {"annotations": {"deployment.kubernetes.io/revision": "3"}},
        "spec": {"template": {"spec": {"containers": [{"image": "nginx:1.27"}]}}},
    }
    ops = [
        {
            "op": "replace",
            "path": "/spec/template",
            "value": {"spec": {"containers": [{"image": "nginx:1.26"}]}},
        },
        {
            "op": "replace",
            "path": "/metadata/annotations",
            "value": {"deployment.kubernetes.io/revision": "2"},
        },
    ]
    assert patch.json_patch(live, ops) == {
        "metadata": {"annotations": {"deployment.kubernetes.io/revision": "2"}},
        "spec": {"template": {"spec": {"containers": [{"image": "nginx:1.26"}]}}},
    }


def test_json_patch_operations_and_pointer_escapes():
    """add with `-` and escaped keys, move, copy, remove and a passing test."""
    live = {"metadata": {"annotations": {}}, "items": [1, 2]}
    ops = [
        {"op": "add", "path": "/metadata/annotations/a~1b~0c", "value": "x"},
        {"op": "add", "path": "/items/-", "value": 3},
        {"op": "add", "path": "/items/0", "value": 0},
        {"op": "copy", "from": "/items/3", "path": "/last"},
        {"op": "move", "from": "/last", "path": "/moved"},
        {"op": "remove", "path": "/items/1"},
        {"op": "test", "path": "/moved", "value": 3},
    ]
    assert patch.json_patch(live, ops) == {
        "metadata": {"annotations": {"a/b~c": "x"}},
        "items": [0, 2, 3],
        "moved": 3,
    }


@pytest.mark.parametrize(
    "ops",
    [
        pytest.param([{"op": "test", "path": "/spec/replicas", "value": 3}], id="test"),
        pytest.param([{"op": "remove", "path": "/spec/nope"}], id="remove-missing"),
        pytest.param(
            [{"op": "replace", "path": "/spec/nope", "value": 1}], id="replace-missing"
        ),
        pytest.param(
            [{"op": "add", "path": "/no/such/path", "value": 1}],
            id="add-missing-parent",
        ),
        pytest.param([{"op": "frobnicate", "path": "/spec"}], id="unknown-op"),
    ],
)
def test_failed_json_patch_operations_are_a_422(ops):
    """A failing operation is 422 Invalid with the apiserver's generic message."""
    with pytest.raises(ApiError) as err:
        patch.json_patch({"spec": {"replicas": 2}}, ops)
    assert (err.value.code, err.value.reason, err.value.message) == (
        422,
        "Invalid",
        patch.REJECTED_422,
    )


def test_apply_patch_dispatches_on_the_media_type():
    """The Content-Type picks the patch format; an unknown one is a 415."""
    live = {"spec": {"containers": [{"name": "a", "image": "x"}]}}
    body = {"spec": {"containers": [{"name": "a", "image": "y"}]}}
    smp = patch.apply_patch(patch.STRATEGIC + "; charset=utf-8", live, body, "Pod")
    assert smp == {"spec": {"containers": [{"name": "a", "image": "y"}]}}
    assert patch.apply_patch(patch.MERGE, live, {"spec": None}, "Pod") == {}
    with pytest.raises(ApiError) as err:
        patch.apply_patch("text/plain", live, body, "Pod")
    assert err.value.code == 415
