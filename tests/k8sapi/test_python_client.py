"""The official Python client (`kubernetes` on PyPI) against a live lab (see live.py).

It connects as a student would: TLS with the CA and the bearer token of the kubeconfig
the lab generates, nothing configured by hand.
"""

from __future__ import annotations

import threading

import pytest

kubernetes = pytest.importorskip("kubernetes", reason="needs requirements-dev.txt")
from kubernetes import client, config, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

pytestmark = pytest.mark.e2e

NS = "default"
STRATEGIC = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"


@pytest.fixture(scope="module")
def api(live_lab):
    api_client = config.new_client_from_config(
        config_file=str(live_lab.kubeconfig("alice-lab"))
    )
    yield api_client
    api_client.close()


@pytest.fixture(scope="module")
def core(api):
    return client.CoreV1Api(api)


@pytest.fixture(scope="module")
def apps(api):
    return client.AppsV1Api(api)


def deployment(name: str, replicas: int = 1) -> client.V1Deployment:
    labels = {"app": name}
    container = client.V1Container(
        name="web",
        image="nginx:1.27",
        env=[client.V1EnvVar(name="MODE", value="blue")],
    )
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[container]),
            ),
        ),
    )


def test_the_kubeconfig_points_at_the_cluster_over_tls(api, live_lab):
    configuration = api.configuration
    assert configuration.host == (
        f"https://127.0.0.1:{live_lab.port}/k8s/clusters/alice-lab"
    )
    assert configuration.verify_ssl and configuration.ssl_ca_cert
    assert configuration.api_key["BearerToken"].startswith("Bearer kl1.")


def test_list_nodes_and_namespaces(core):
    nodes = core.list_node()
    assert nodes.kind == "NodeList"
    assert nodes.items and all(n.status.node_info.kubelet_version for n in nodes.items)
    names = {ns.metadata.name for ns in core.list_namespace().items}
    assert {"default", "kube-system"} <= names


def test_create_then_read_back(apps):
    created = apps.create_namespaced_deployment(NS, deployment("py-create", 2))
    assert created.metadata.uid and created.metadata.resource_version
    assert created.metadata.generation == 1
    read = apps.read_namespaced_deployment("py-create", NS)
    assert read.spec.replicas == 2
    assert read.spec.template.spec.containers[0].image == "nginx:1.27"
    listed = apps.list_namespaced_deployment(NS, label_selector="app=py-create")
    assert [d.metadata.name for d in listed.items] == ["py-create"]


def test_creating_twice_is_a_conflict_with_a_status(apps):
    apps.create_namespaced_deployment(NS, deployment("py-twice"))
    with pytest.raises(ApiException) as caught:
        apps.create_namespaced_deployment(NS, deployment("py-twice"))
    assert caught.value.status == 409
    assert '"reason":"AlreadyExists"' in caught.value.body


def test_watch_receives_added_then_modified(core):
    start = core.list_namespaced_config_map(NS).metadata.resource_version
    seen: list[tuple[str, str, dict | None]] = []
    stream = watch.Watch()

    def write():
        body = client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="py-watched"), data={"n": "1"}
        )
        core.create_namespaced_config_map(NS, body)
        core.patch_namespaced_config_map(
            "py-watched", NS, {"data": {"n": "2"}}, _content_type=MERGE
        )

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for event in stream.stream(
            core.list_namespaced_config_map,
            NS,
            resource_version=start,
            timeout_seconds=20,
        ):
            obj = event["object"]
            if obj.metadata.name != "py-watched":
                continue
            seen.append((event["type"], obj.metadata.name, obj.data))
            if event["type"] == "MODIFIED":
                stream.stop()
    finally:
        writer.join()
    assert seen == [
        ("ADDED", "py-watched", {"n": "1"}),
        ("MODIFIED", "py-watched", {"n": "2"}),
    ]


def test_strategic_merge_patch_merges_containers_by_name(apps):
    apps.create_namespaced_deployment(NS, deployment("py-strategic"))
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:1.28",
                            "env": [{"name": "COLOUR", "value": "green"}],
                        }
                    ]
                }
            }
        }
    }
    patched = apps.patch_namespaced_deployment(
        "py-strategic", NS, patch, _content_type=STRATEGIC
    )
    [container] = patched.spec.template.spec.containers
    assert container.image == "nginx:1.28"
    # env merges by name too: the variable the patch did not mention stays.
    assert [(e.name, e.value) for e in container.env] == [
        ("COLOUR", "green"),
        ("MODE", "blue"),
    ]
    assert patched.metadata.generation == 2


def test_a_plain_dict_patch_is_sent_as_strategic_merge(apps):
    """The client's default for a dict body; a JSON patch would be refused."""
    apps.create_namespaced_deployment(NS, deployment("py-default"))
    patched = apps.patch_namespaced_deployment(
        "py-default", NS, {"metadata": {"labels": {"tier": "front"}}}
    )
    assert patched.metadata.labels == {"app": "py-default", "tier": "front"}


def test_json_merge_patch_replaces_lists_and_deletes_with_null(apps):
    apps.create_namespaced_deployment(NS, deployment("py-merge"))
    patch = {
        "metadata": {"labels": {"app": None, "owner": "alice"}},
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "other", "image": "busybox"}]}
            }
        },
    }
    patched = apps.patch_namespaced_deployment(
        "py-merge", NS, patch, _content_type=MERGE
    )
    assert patched.metadata.labels == {"owner": "alice"}
    # A merge patch replaces a list whole: only the new container is left.
    assert [(c.name, c.image) for c in patched.spec.template.spec.containers] == [
        ("other", "busybox")
    ]


def test_json_patch_of_a_list_body(apps):
    apps.create_namespaced_deployment(NS, deployment("py-jsonpatch"))
    patched = apps.patch_namespaced_deployment(
        "py-jsonpatch", NS, [{"op": "replace", "path": "/spec/replicas", "value": 3}]
    )
    assert patched.spec.replicas == 3


def test_an_invalid_patch_is_a_422_status_the_client_reports(apps):
    apps.create_namespaced_deployment(NS, deployment("py-invalid"))
    with pytest.raises(ApiException) as caught:
        apps.patch_namespaced_deployment(
            "py-invalid", NS, {"spec": {"replicas": -1}}, _content_type=MERGE
        )
    assert caught.value.status == 422
    assert "must be greater than or equal to 0" in caught.value.body
