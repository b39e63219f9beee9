"""Admission plugins: NamespaceLifecycle and the mutating set."""

import random

import pytest

from cluster import kinds
from cluster.apiserver import admission
from cluster.apiserver.errors import ApiError

POD_KIND = kinds.by_kind("Pod")


def _ctx(objects: dict | None = None, seed: int = 1) -> admission.AdmissionContext:
    objects = objects or {}

    def lister(kind, namespace=None):
        return [
            o
            for o in objects.get(kind, [])
            if namespace is None or o["metadata"].get("namespace") == namespace
        ]

    return admission.AdmissionContext(
        now=1000.0, rng=random.Random(seed), lister=lister
    )


SA_DEFAULT = {"ServiceAccount": [{"metadata": {"name": "default", "namespace": "dev"}}]}


def _pod(**spec) -> dict:
    base = {"containers": [{"name": "c", "image": "nginx"}]}
    base.update(spec)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "dev"},
        "spec": base,
        "status": {"phase": "Pending"},
    }


def test_missing_namespace_is_404():
    """Creating in a namespace that does not exist → NotFound on namespaces."""
    with pytest.raises(ApiError) as info:
        admission.check_namespace(None, POD_KIND, "nope", "p")
    assert (info.value.code, info.value.message) == (404, 'namespaces "nope" not found')


def test_terminating_namespace_is_403_with_cause():
    """A terminating namespace refuses new content."""
    ns = {
        "metadata": {"name": "dev", "deletionTimestamp": "2024-01-01T00:00:00Z"},
        "status": {"phase": "Terminating"},
    }
    with pytest.raises(ApiError) as info:
        admission.check_namespace(ns, POD_KIND, "dev", "p")
    assert info.value.status()["message"] == (
        'pods "p" is forbidden: unable to create new content in namespace dev because it is being terminated'
    )
    assert info.value.status()["details"]["causes"] == [
        {
            "reason": "NamespaceTerminating",
            "message": "namespace dev is being terminated",
            "field": "metadata.namespace",
        }
    ]


def test_active_namespace_admits():
    """An Active namespace lets the create through."""
    assert (
        admission.check_namespace(
            {"metadata": {"name": "dev"}, "status": {"phase": "Active"}},
            POD_KIND,
            "dev",
        )
        is None
    )


@pytest.mark.parametrize("name", ["default", "kube-system", "kube-public"])
def test_immortal_namespaces_cannot_be_deleted(name):
    """NamespaceLifecycle refuses deleting the three system namespaces."""
    with pytest.raises(ApiError) as info:
        admission.check_delete(kinds.by_kind("Namespace"), name)
    assert (info.value.code, info.value.message) == (
        403,
        f'namespaces "{name}" is forbidden: this namespace may not be deleted',
    )


def test_pod_create_runs_service_account_priority_and_tolerations():
    """A bare pod gets its SA token volume, priority 0 and the 300 s tolerations."""
    pod = _pod(initContainers=[{"name": "i", "image": "busybox"}])
    admission.mutate(pod, _ctx(SA_DEFAULT))
    suffix = pod["spec"]["volumes"][0]["name"].removeprefix("kube-api-access-")
    assert len(suffix) == 5 and set(suffix) <= set("bcdfghjklmnpqrstvwxz2456789")
    mount = {
        "name": f"kube-api-access-{suffix}",
        "readOnly": True,
        "mountPath": admission.TOKEN_MOUNT_PATH,
    }
    assert pod["spec"] == {
        "containers": [{"name": "c", "image": "nginx", "volumeMounts": [mount]}],
        "initContainers": [{"name": "i", "image": "busybox", "volumeMounts": [mount]}],
        "serviceAccountName": "default",
        "serviceAccount": "default",
        "volumes": [admission.token_volume(f"kube-api-access-{suffix}")],
        "priority": 0,
        "preemptionPolicy": "PreemptLowerPriority",
        "tolerations": [
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
            {
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
        ],
    }
    assert pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


def test_token_volume_matches_the_kubernetes_projection():
    """Token 3607 s, kube-root-ca.crt → ca.crt, downward namespace, mode 420."""
    assert admission.token_volume("kube-api-access-abcde")["projected"] == {
        "defaultMode": 420,
        "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {
                "configMap": {
                    "items": [{"key": "ca.crt", "path": "ca.crt"}],
                    "name": "kube-root-ca.crt",
                }
            },
            {
                "downwardAPI": {
                    "items": [
                        {
                            "fieldRef": {
                                "apiVersion": "v1",
                                "fieldPath": "metadata.namespace",
                            },
                            "path": "namespace",
                        }
                    ]
                }
            },
        ],
    }


@pytest.mark.parametrize(
    ("pod_automount", "sa_automount"),
    [
        pytest.param(False, None, id="pod-false"),
        pytest.param(None, False, id="sa-false"),
    ],
)
def test_automount_false_skips_the_token(pod_automount, sa_automount):
    """automountServiceAccountToken false on the pod or the account mounts nothing."""
    sa = {"metadata": {"name": "default", "namespace": "dev"}}
    if sa_automount is not None:
        sa["automountServiceAccountToken"] = sa_automount
    pod = (
        _pod()
        if pod_automount is None
        else _pod(automountServiceAccountToken=pod_automount)
    )
    admission.service_account(pod, _ctx({"ServiceAccount": [sa]}))
    assert "volumes" not in pod["spec"]
    assert "volumeMounts" not in pod["spec"]["containers"][0]


def test_missing_service_account_is_forbidden():
    """A pod naming an absent account is refused."""
    with pytest.raises(ApiError) as info:
        admission.mutate(_pod(serviceAccountName="robot"), _ctx(SA_DEFAULT))
    assert info.value.message == (
        'pods "p" is forbidden: error looking up service account dev/robot: serviceaccount "robot" not found'
    )


@pytest.mark.parametrize(
    ("spec", "classes", "expected"),
    [
        pytest.param(
            {"priorityClassName": "high"},
            [{"metadata": {"name": "high"}, "value": 1000}],
            (1000, "high"),
            id="named",
        ),
        pytest.param(
            {},
            [{"metadata": {"name": "d"}, "value": 7, "globalDefault": True}],
            (7, "d"),
            id="global-default",
        ),
        pytest.param(
            {"priorityClassName": "system-node-critical"},
            [],
            (2000001000, "system-node-critical"),
            id="system",
        ),
    ],
)
def test_priority_resolves_the_class(spec, classes, expected):
    """spec.priority comes from the named class, else the global default."""
    pod = _pod(**spec)
    admission.priority(pod, _ctx({"PriorityClass": classes}))
    assert (pod["spec"]["priority"], pod["spec"].get("priorityClassName")) == expected


def test_unknown_priority_class_is_forbidden():
    """A missing PriorityClass refuses the pod."""
    with pytest.raises(ApiError) as info:
        admission.priority(_pod(priorityClassName="gold"), _ctx())
    assert (
        info.value.message
        == 'pods "p" is forbidden: no PriorityClass with name gold was found'
    )


def test_existing_matching_toleration_is_not_duplicated():
    """A toleration for every key with no effect already covers both taints."""
    pod = _pod(tolerations=[{"operator": "Exists"}])
    admission.default_toleration_seconds(pod, _ctx())
    assert pod["spec"]["tolerations"] == [{"operator": "Exists"}]


def test_limit_ranger_fills_defaults_and_annotates():
    """Missing requests/limits come from the LimitRange, noted in an annotation."""
    lr = {
        "metadata": {"name": "lr", "namespace": "dev"},
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {"cpu": "500m", "memory": "256Mi"},
                    "defaultRequest": {"cpu": "100m"},
                }
            ]
        },
    }
    pod = _pod()
    pod["spec"]["containers"][0]["resources"] = {"limits": {"memory": "1Gi"}}
    admission.limit_ranger(pod, _ctx({"LimitRange": [lr]}))
    assert pod["spec"]["containers"][0]["resources"] == {
        "limits": {"memory": "1Gi", "cpu": "500m"},
        "requests": {"cpu": "100m"},
    }
    assert pod["metadata"]["annotations"] == {
        "kubernetes.io/limit-ranger": "LimitRanger plugin set: cpu request for container c; cpu limit for container c"
    }


def test_new_node_is_tainted_not_ready():
    """TaintNodesByCondition adds not-ready:NoSchedule."""
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}}
    admission.mutate(node, _ctx())
    assert node["spec"] == {
        "taints": [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]
    }


def test_claim_gets_default_class_and_protection_finalizer():
    """DefaultStorageClass picks the newest default; the pvc-protection finalizer is added."""
    classes = [
        {
            "metadata": {
                "name": "old",
                "creationTimestamp": "2024-01-01T00:00:00Z",
                "annotations": {admission.DEFAULT_CLASS_ANNOTATION: "true"},
            }
        },
        {
            "metadata": {
                "name": "new",
                "creationTimestamp": "2024-02-01T00:00:00Z",
                "annotations": {admission.DEFAULT_CLASS_ANNOTATION: "true"},
            }
        },
        {"metadata": {"name": "plain", "creationTimestamp": "2024-03-01T00:00:00Z"}},
    ]
    pvc = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "c", "namespace": "dev"},
        "spec": {},
    }
    admission.mutate(pvc, _ctx({"StorageClass": classes}))
    assert pvc["spec"] == {"storageClassName": "new"}
    assert pvc["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]


def test_claim_with_empty_class_keeps_it():
    """storageClassName "" means no class: the default is not applied."""
    pvc = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {},
        "spec": {"storageClassName": ""},
    }
    admission.default_storage_class(
        pvc,
        _ctx(
            {
                "StorageClass": [
                    {
                        "metadata": {
                            "name": "x",
                            "annotations": {admission.DEFAULT_CLASS_ANNOTATION: "true"},
                        }
                    }
                ]
            }
        ),
    )
    assert pvc["spec"] == {"storageClassName": ""}


def test_volume_gets_pv_protection():
    """PersistentVolumes get kubernetes.io/pv-protection."""
    pv = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "v"}}
    admission.mutate(pv, _ctx())
    assert pv["metadata"]["finalizers"] == ["kubernetes.io/pv-protection"]


def test_updates_are_not_mutated():
    """The mutating plugins here act on create only."""
    ctx = _ctx()
    ctx.operation = "UPDATE"
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}}
    admission.mutate(node, ctx)
    assert node == {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}}
