"""Defaulting and allocation through ApiServer.create, over the real store."""

from __future__ import annotations

import ipaddress
import random

import pytest

from cluster.apiserver import allocators, errors
from cluster.objects.names import generate_name
from tests.apiserver.core_kit import (
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

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"


@pytest.fixture
def api():
    return system_api(new_cluster())


def test_a_bare_pod_is_defaulted_and_admitted(api):
    created = api.create(bare_pod("web"))
    stored = api.get(POD, "default", "web")
    assert stored == created
    meta, spec = stored["metadata"], stored["spec"]
    assert meta["namespace"] == "default"
    assert meta["creationTimestamp"] == "2023-11-14T22:13:20Z"
    assert len(meta["uid"]) == 36
    assert meta["resourceVersion"] == str(revision(api))
    assert {k: spec[k] for k in DEFAULTED_POD_FIELDS} == {
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
        "terminationGracePeriodSeconds": 30,
        "schedulerName": "default-scheduler",
        "serviceAccountName": "default",
        "serviceAccount": "default",
        "enableServiceLinks": True,
        "priority": 0,
        "securityContext": {},
    }
    assert spec["tolerations"] == [
        {
            "key": key,
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        }
        for key in (NOT_READY, UNREACHABLE)
    ]
    container = spec["containers"][0]
    assert container["imagePullPolicy"] == "Always"
    assert container["terminationMessagePath"] == "/dev/termination-log"
    assert container["volumeMounts"][0]["mountPath"] == (
        "/var/run/secrets/kubernetes.io/serviceaccount"
    )
    assert stored["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


DEFAULTED_POD_FIELDS = (
    "restartPolicy",
    "dnsPolicy",
    "terminationGracePeriodSeconds",
    "schedulerName",
    "serviceAccountName",
    "serviceAccount",
    "enableServiceLinks",
    "priority",
    "securityContext",
)


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("registry.local:5000/team/app", "Always"),
        ("registry.local:5000/team/app:v2", "IfNotPresent"),
        ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
    ],
)
def test_image_pull_policy_follows_the_tag(api, image, policy):
    created = api.create(bare_pod("web", image=image))
    assert created["spec"]["containers"][0]["imagePullPolicy"] == policy


def test_a_pod_keeps_what_the_user_set(api):
    pod = bare_pod("web")
    pod["spec"].update(
        restartPolicy="Never",
        terminationGracePeriodSeconds=5,
        tolerations=[{"operator": "Exists"}],
    )
    spec = api.create(pod)["spec"]
    assert (spec["restartPolicy"], spec["terminationGracePeriodSeconds"]) == (
        "Never",
        5,
    )
    # A toleration of every taint already covers not-ready and unreachable.
    assert spec["tolerations"] == [{"operator": "Exists"}]


def test_a_pod_naming_a_missing_service_account_is_refused(api):
    pod = bare_pod("web")
    pod["spec"]["serviceAccountName"] = "robot"
    before = revision(api)
    with pytest.raises(errors.ApiError) as caught:
        api.create(pod)
    assert (caught.value.code, caught.value.message) == (
        403,
        'pods "web" is forbidden: error looking up service account default/robot: '
        'serviceaccount "robot" not found',
    )
    assert revision(api) == before


def test_a_bare_deployment_is_defaulted_with_status_reset(api):
    deployment = bare_deployment("web")
    deployment["status"] = {"replicas": 7}
    created = api.create(deployment)
    spec = api.get(DEPLOYMENT, "default", "web")["spec"]
    assert created["metadata"]["generation"] == 1
    assert created["status"] == {}
    assert {k: spec[k] for k in ("replicas", "revisionHistoryLimit")} == {
        "replicas": 1,
        "revisionHistoryLimit": 10,
    }
    assert spec["progressDeadlineSeconds"] == 600
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    template = spec["template"]["spec"]
    assert (template["restartPolicy"], template["dnsPolicy"]) == (
        "Always",
        "ClusterFirst",
    )
    assert template["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_a_bare_service_gets_a_cluster_ip_from_the_service_range(api):
    created = api.create(bare_service("web"))
    spec = api.get(SERVICE, "default", "web")["spec"]
    assert spec == created["spec"]
    assert ipaddress.ip_address(spec["clusterIP"]) in allocators.SERVICE_CIDR
    assert spec["clusterIPs"] == [spec["clusterIP"]]
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert {k: spec[k] for k in ("sessionAffinity", "ipFamilyPolicy")} == {
        "sessionAffinity": "None",
        "ipFamilyPolicy": "SingleStack",
    }
    assert spec["internalTrafficPolicy"] == "Cluster"


def test_a_headless_service_gets_no_cluster_ip(api):
    spec = api.create(bare_service("db", clusterIP="None"))["spec"]
    assert (spec["clusterIP"], spec["clusterIPs"]) == ("None", ["None"])


def test_services_never_share_an_ip_or_a_node_port(api):
    created = [api.create(bare_service(f"svc-{i}", "NodePort")) for i in range(30)]
    ips = [s["spec"]["clusterIP"] for s in created]
    ports = [s["spec"]["ports"][0]["nodePort"] for s in created]
    assert len(set(ips)) == len(ips)
    assert len(set(ports)) == len(ports)
    low, high = allocators.NODE_PORT_RANGE
    assert all(low <= p <= high for p in ports)
    assert created[0]["spec"]["externalTrafficPolicy"] == "Cluster"


def test_a_requested_cluster_ip_is_honoured_once(api):
    assert api.create(bare_service("dns", clusterIP="10.96.0.10"))["spec"][
        "clusterIP"
    ] == ("10.96.0.10")
    before = revision(api)
    with pytest.raises(errors.ApiError) as caught:
        api.create(bare_service("dns2", clusterIP="10.96.0.10"))
    assert (caught.value.code, caught.value.message) == (
        422,
        'Service "dns2" is invalid: spec.clusterIPs: Invalid value: '
        '[]string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP '
        "is already allocated",
    )
    assert revision(api) == before


def test_a_requested_node_port_is_honoured_once_with_its_own_field_path(api):
    first = bare_service("a", "NodePort")
    first["spec"]["ports"] = [{"name": "http", "port": 80, "nodePort": 30080}]
    api.create(first)
    second = bare_service("b", "NodePort")
    second["spec"]["ports"] = [
        {"name": "http", "port": 80, "nodePort": 30081},
        {"name": "https", "port": 443, "nodePort": 30080},
    ]
    with pytest.raises(errors.ApiError) as caught:
        api.create(second)
    assert caught.value.message == (
        'Service "b" is invalid: spec.ports[1].nodePort: Invalid value: 30080: '
        "provided port is already allocated"
    )


def test_generate_name_makes_a_fresh_name_each_time(api):
    names = {
        api.create(bare_pod("", generateName="web-"))["metadata"]["name"]
        for _ in range(5)
    }
    assert len(names) == 5
    assert all(n.startswith("web-") and len(n) == len("web-") + 5 for n in names)


def test_generate_name_draws_again_when_the_name_is_taken(api):
    first = api.create(bare_pod("", generateName="web-"))
    # A second server with the same seed draws the same name first: a collision.
    assert first["metadata"]["name"] == generate_name("web-", random.Random(1))
    again = system_api(api.cluster_id, seed=1).create(bare_pod("", generateName="web-"))
    assert again["metadata"]["name"] != first["metadata"]["name"]


def test_an_object_without_name_or_generate_name_is_invalid(api):
    before = revision(api)
    with pytest.raises(errors.ApiError) as caught:
        api.create(bare_pod(""))
    assert caught.value.code == 422
    assert [c.as_dict() for c in caught.value.causes] == [
        {
            "reason": "FieldValueRequired",
            "message": "name or generateName is required",
            "field": "metadata.name",
        }
    ]
    assert revision(api) == before


def test_a_gated_pod_is_created_unschedulable_for_now(api):
    pod = bare_pod("gated")
    pod["spec"]["schedulingGates"] = [{"name": "example.com/wait"}]
    (condition,) = api.create(pod)["status"]["conditions"]
    assert condition["type"] == "PodScheduled"
    assert (condition["status"], condition["reason"]) == ("False", "SchedulingGated")
    assert condition["message"] == (
        "Scheduling is blocked due to non-empty scheduling gates"
    )
    assert "conditions" not in api.create(bare_pod("free"))["status"]
