"""Tables as kube-apiserver prints them for `kubectl get`."""

import pytest

from cluster import kinds
from cluster.apiserver import tables
from cluster.simtime import parse_rfc3339

NOW = parse_rfc3339("2025-01-01T12:00:00Z")
CREATED = "2025-01-01T11:00:00Z"  # one hour before NOW


def meta(name, **extra):
    return {
        "name": name,
        "namespace": "default",
        "uid": f"uid-{name}",
        "resourceVersion": "42",
        "creationTimestamp": CREATED,
        **extra,
    }


def pod(
    containers=None,
    init=None,
    phase="Running",
    deleting=False,
    reason=None,
    conditions=None,
    init_specs=None,
    spec_extra=None,
):
    status = {
        "phase": phase,
        "podIPs": [{"ip": "10.244.1.5"}],
        "containerStatuses": containers or [],
        "conditions": conditions or [],
    }
    if init is not None:
        status["initContainerStatuses"] = init
    if reason:
        status["reason"] = reason
    m = meta("web-1", labels={"app": "web"})
    if deleting:
        m["deletionTimestamp"] = "2025-01-01T11:59:00Z"
    spec = {
        "nodeName": "node-1",
        "containers": [{"name": c["name"]} for c in containers or [{"name": "app"}]],
        **(spec_extra or {}),
    }
    if init_specs:
        spec["initContainers"] = init_specs
    return {"metadata": m, "spec": spec, "status": status}


def cs(name="app", ready=False, restarts=0, **state):
    status = {
        "name": name,
        "ready": ready,
        "restartCount": restarts,
        "state": state or {"running": {"startedAt": CREATED}},
    }
    if "last" in state:
        status["lastState"] = {
            "terminated": {"exitCode": 1, "finishedAt": state.pop("last")}
        }
        status["state"] = state or {"running": {}}
    return status


POD = kinds.by_kind("Pod")


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        pytest.param(pod([cs(ready=True)]), ["1/1", "Running", "0"], id="running"),
        pytest.param(
            pod([cs(waiting={"reason": "ContainerCreating"})], phase="Pending"),
            ["0/1", "ContainerCreating", "0"],
            id="creating",
        ),
        pytest.param(
            pod(
                [
                    cs(
                        restarts=2,
                        last="2025-01-01T11:55:00Z",
                        waiting={"reason": "CrashLoopBackOff"},
                    )
                ]
            ),
            ["0/1", "CrashLoopBackOff", "2 (5m ago)"],
            id="crashloop",
        ),
        pytest.param(
            pod([cs(waiting={"reason": "ErrImagePull"})], phase="Pending"),
            ["0/1", "ErrImagePull", "0"],
            id="err-image-pull",
        ),
        pytest.param(
            pod(
                [cs(terminated={"exitCode": 0, "reason": "Completed"})],
                phase="Succeeded",
            ),
            ["0/1", "Completed", "0"],
            id="completed",
        ),
        pytest.param(
            pod([cs(terminated={"exitCode": 1, "reason": "Error"})], phase="Failed"),
            ["0/1", "Error", "0"],
            id="error",
        ),
        pytest.param(
            pod([cs(terminated={"exitCode": 137})], phase="Failed"),
            ["0/1", "ExitCode:137", "0"],
            id="exit-code-without-reason",
        ),
        pytest.param(
            pod([cs(ready=True)], deleting=True),
            ["1/1", "Terminating", "0"],
            id="terminating",
        ),
        pytest.param(
            pod([cs(ready=True)], deleting=True, reason="NodeLost"),
            ["1/1", "Unknown", "0"],
            id="node-lost",
        ),
        pytest.param(
            pod(
                [cs(waiting={"reason": "PodInitializing"})],
                phase="Pending",
                init=[cs("init", waiting={"reason": "PodInitializing"})],
                init_specs=[{"name": "init"}],
            ),
            ["0/1", "Init:0/1", "0"],
            id="init-running",
        ),
        pytest.param(
            pod(
                [cs(waiting={"reason": "PodInitializing"})],
                phase="Pending",
                init=[cs("init", terminated={"exitCode": 1, "reason": "Error"})],
                init_specs=[{"name": "init"}],
            ),
            ["0/1", "Init:Error", "0"],
            id="init-failed",
        ),
        pytest.param(pod([], phase="Pending"), ["0/1", "Pending", "0"], id="pending"),
    ],
)
def test_pod_ready_status_and_restarts_follow_the_apiserver_printer(obj, expected):
    """READY, STATUS and RESTARTS match what `kubectl get pods` shows."""
    row = tables.to_table(POD, [obj], NOW)["rows"][0]
    assert row["cells"][1:4] == expected


def test_pod_table_has_the_real_columns_and_metadata_rows():
    """Five default columns, four wide ones, PartialObjectMetadata per row."""
    table = tables.to_table(
        POD, [pod([cs(ready=True)])], NOW, list_meta={"resourceVersion": "1029"}
    )
    columns = [
        (c["name"], c["type"], c["format"], c["priority"])
        for c in table["columnDefinitions"]
    ]
    assert columns == [
        ("Name", "string", "name", 0),
        ("Ready", "string", "", 0),
        ("Status", "string", "", 0),
        ("Restarts", "string", "", 0),
        ("Age", "string", "", 0),
        ("IP", "string", "", 1),
        ("Node", "string", "", 1),
        ("Nominated Node", "string", "", 1),
        ("Readiness Gates", "string", "", 1),
    ]
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"] == {"resourceVersion": "1029"}
    assert table["rows"][0] == {
        "cells": [
            "web-1",
            "1/1",
            "Running",
            "0",
            "60m",
            "10.244.1.5",
            "node-1",
            "<none>",
            "<none>",
        ],
        "object": {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": meta("web-1", labels={"app": "web"}),
        },
    }


def test_finished_pods_carry_a_completed_row_condition():
    """Succeeded pods are marked so kubectl can hide them."""
    row = tables.to_table(POD, [pod([], phase="Succeeded")], NOW)["rows"][0]
    assert row["conditions"] == [tables.pods.SUCCEEDED_CONDITION]


@pytest.mark.parametrize(
    ("include", "expected_object"),
    [
        pytest.param("None", None, id="none"),
        pytest.param(
            "Object", {"metadata": meta("x"), "data": {"a": "1"}}, id="object"
        ),
    ],
)
def test_include_object_controls_what_rows_carry(include, expected_object):
    """includeObject=None drops the object; Object embeds it whole."""
    cm = {"metadata": meta("x"), "data": {"a": "1"}}
    row = tables.to_table(kinds.by_kind("ConfigMap"), [cm], NOW, include)["rows"][0]
    assert row.get("object") == expected_object
    assert row["cells"] == ["x", 1, "60m"]


def node(ready="True", unschedulable=False, labels=None):
    return {
        "metadata": {
            "name": "node-1",
            "creationTimestamp": "2024-12-29T12:00:00Z",
            "labels": labels or {},
        },
        "spec": {"unschedulable": True} if unschedulable else {},
        "status": {
            "conditions": [] if ready is None else [{"type": "Ready", "status": ready}],
            "addresses": [
                {"type": "InternalIP", "address": "192.168.0.11"},
                {"type": "Hostname", "address": "node-1"},
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.32.4",
                "osImage": "Ubuntu 24.04 LTS",
                "kernelVersion": "6.8.0",
                "containerRuntimeVersion": "containerd://1.7.24",
            },
        },
    }


@pytest.mark.parametrize(
    ("obj", "status", "roles"),
    [
        pytest.param(node(), "Ready", "<none>", id="ready"),
        pytest.param(node("False"), "NotReady", "<none>", id="not-ready"),
        pytest.param(node("Unknown"), "NotReady", "<none>", id="unknown-condition"),
        pytest.param(node(None), "Unknown", "<none>", id="no-condition"),
        pytest.param(
            node(unschedulable=True),
            "Ready,SchedulingDisabled",
            "<none>",
            id="cordoned",
        ),
        pytest.param(
            node(
                labels={
                    "node-role.kubernetes.io/control-plane": "",
                    "kubernetes.io/role": "etcd",
                }
            ),
            "Ready",
            "control-plane,etcd",
            id="roles",
        ),
    ],
)
def test_node_status_and_roles(obj, status, roles):
    """STATUS joins Ready/NotReady/Unknown with SchedulingDisabled; ROLES from labels."""
    cells = tables.to_table(kinds.by_kind("Node"), [obj], NOW)["rows"][0]["cells"]
    assert cells[1:3] == [status, roles]


def test_node_wide_cells():
    """The wide columns come from addresses and nodeInfo."""
    cells = tables.to_table(kinds.by_kind("Node"), [node()], NOW)["rows"][0]["cells"]
    assert cells == [
        "node-1",
        "Ready",
        "<none>",
        "3d",
        "v1.32.4",
        "192.168.0.11",
        "<none>",
        "Ubuntu 24.04 LTS",
        "6.8.0",
        "containerd://1.7.24",
    ]


def test_deployment_row():
    """READY is ready/desired; wide cells list containers, images and the selector."""
    deploy = {
        "metadata": meta("web"),
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "spec": {
                    "containers": [
                        {"name": "nginx", "image": "nginx:1.27"},
                        {"name": "side", "image": "busybox"},
                    ]
                }
            },
        },
        "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
    }
    table = tables.to_table(kinds.by_kind("Deployment"), [deploy], NOW)
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name",
        "Ready",
        "Up-to-date",
        "Available",
        "Age",
        "Containers",
        "Images",
        "Selector",
    ]
    assert table["rows"][0]["cells"] == [
        "web",
        "2/3",
        3,
        2,
        "60m",
        "nginx,side",
        "nginx:1.27,busybox",
        "app=web",
    ]


def svc(type_, ports, **spec):
    return {
        "metadata": meta("web"),
        "spec": {
            "type": type_,
            "clusterIPs": ["10.96.0.10"],
            "ports": ports,
            "selector": {"app": "web"},
            **spec,
        },
        "status": {"loadBalancer": spec.pop("lb", {})},
    }


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        pytest.param(
            svc("ClusterIP", [{"port": 80, "protocol": "TCP"}]),
            ["ClusterIP", "10.96.0.10", "<none>", "80/TCP"],
            id="cluster-ip",
        ),
        pytest.param(
            svc("NodePort", [{"port": 8080, "nodePort": 31234, "protocol": "TCP"}]),
            ["NodePort", "10.96.0.10", "<none>", "8080:31234/TCP"],
            id="node-port",
        ),
        pytest.param(
            svc("LoadBalancer", [{"port": 80, "nodePort": 30001, "protocol": "TCP"}]),
            ["LoadBalancer", "10.96.0.10", "<pending>", "80:30001/TCP"],
            id="pending-lb",
        ),
        pytest.param(
            svc("ClusterIP", [], clusterIPs=["None"]),
            ["ClusterIP", "None", "<none>", "<none>"],
            id="headless",
        ),
    ],
)
def test_service_cells(obj, expected):
    """TYPE, CLUSTER-IP, EXTERNAL-IP and PORT(S) as kubectl prints them."""
    cells = tables.to_table(kinds.by_kind("Service"), [obj], NOW)["rows"][0]["cells"]
    assert cells[1:5] == expected
    assert cells[6] == "app=web"


def test_endpoints_list_three_then_counts_the_rest():
    """ENDPOINTS shows three ip:port pairs and `+ N more...`."""
    ep = {
        "metadata": meta("web"),
        "subsets": [
            {
                "addresses": [{"ip": "10.244.1.5"}, {"ip": "10.244.2.3"}],
                "ports": [{"port": 8080}],
            },
            {
                "addresses": [{"ip": "10.244.3.4"}, {"ip": "10.244.3.9"}],
                "ports": [{"port": 8080}],
            },
        ],
    }
    cells = tables.to_table(kinds.by_kind("Endpoints"), [ep], NOW)["rows"][0]["cells"]
    assert cells == [
        "web",
        "10.244.1.5:8080,10.244.2.3:8080,10.244.3.4:8080 + 1 more...",
        "60m",
    ]


def test_event_row_has_wide_cells_in_the_apiserver_order():
    """LAST SEEN TYPE REASON OBJECT SUBOBJECT SOURCE MESSAGE FIRST SEEN COUNT NAME."""
    ev = {
        "metadata": meta("web-1.17f"),
        "involvedObject": {
            "kind": "Pod",
            "name": "web-1",
            "fieldPath": "spec.containers{app}",
        },
        "reason": "Pulled",
        "message": 'Successfully pulled image "nginx"\n',
        "type": "Normal",
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": "2025-01-01T11:50:00Z",
        "lastTimestamp": "2025-01-01T11:58:00Z",
        "count": 3,
    }
    cells = tables.to_table(kinds.by_kind("Event"), [ev], NOW)["rows"][0]["cells"]
    assert cells == [
        "2m",
        "Normal",
        "Pulled",
        "pod/web-1",
        "spec.containers{app}",
        "kubelet, node-1",
        'Successfully pulled image "nginx"',
        "10m",
        3,
        "web-1.17f",
    ]


@pytest.mark.parametrize(
    ("kind", "obj", "expected"),
    [
        pytest.param(
            "StorageClass",
            {
                "metadata": meta(
                    "standard",
                    annotations={"storageclass.kubernetes.io/is-default-class": "true"},
                ),
                "provisioner": "rancher.io/local-path",
            },
            [
                "standard (default)",
                "rancher.io/local-path",
                "Delete",
                "Immediate",
                False,
                "60m",
            ],
            id="default-storageclass",
        ),
        pytest.param(
            "CronJob",
            {
                "metadata": meta("tick"),
                "spec": {
                    "schedule": "*/1 * * * *",
                    "suspend": False,
                    "jobTemplate": {
                        "spec": {
                            "template": {
                                "spec": {
                                    "containers": [{"name": "tick", "image": "busybox"}]
                                }
                            }
                        }
                    },
                },
            },
            [
                "tick",
                "*/1 * * * *",
                "<none>",
                "False",
                0,
                "<none>",
                "60m",
                "tick",
                "busybox",
                "<none>",
            ],
            id="cronjob-suspend-prints-like-printBoolPtr",
        ),
        pytest.param(
            "HorizontalPodAutoscaler",
            {
                "metadata": meta("web"),
                "spec": {
                    "scaleTargetRef": {"kind": "Deployment", "name": "web"},
                    "minReplicas": 1,
                    "maxReplicas": 10,
                    "metrics": [
                        {
                            "type": "Resource",
                            "resource": {
                                "name": "cpu",
                                "target": {
                                    "type": "Utilization",
                                    "averageUtilization": 50,
                                },
                            },
                        }
                    ],
                },
                "status": {
                    "currentReplicas": 2,
                    "currentMetrics": [
                        {
                            "type": "Resource",
                            "resource": {
                                "name": "cpu",
                                "current": {"averageUtilization": 40},
                            },
                        }
                    ],
                },
            },
            ["web", "Deployment/web", "cpu: 40%/50%", "1", 10, 2, "60m"],
            id="hpa",
        ),
        pytest.param(
            "Job",
            {
                "metadata": meta("pi"),
                "spec": {"completions": 3, "template": {}},
                "status": {
                    "succeeded": 3,
                    "startTime": "2025-01-01T11:00:00Z",
                    "completionTime": "2025-01-01T11:00:42Z",
                    "conditions": [{"type": "Complete", "status": "True"}],
                },
            },
            ["pi", "Complete", "3/3", "42s", "60m", "", "", "<none>"],
            id="job",
        ),
        pytest.param(
            "Secret",
            {
                "metadata": meta("s"),
                "type": "Opaque",
                "data": {"a": "MQ==", "b": "Mg=="},
            },
            ["s", "Opaque", 2, "60m"],
            id="secret",
        ),
        pytest.param(
            "PodDisruptionBudget",
            {
                "metadata": meta("web"),
                "spec": {"minAvailable": 2},
                "status": {"disruptionsAllowed": 1},
            },
            ["web", "2", "N/A", 1, "60m"],
            id="pdb",
        ),
        pytest.param(
            "Role",
            {"metadata": meta("reader")},
            ["reader", CREATED],
            id="default-printer",
        ),
        pytest.param(
            "Namespace",
            {"metadata": meta("dev"), "status": {"phase": "Active"}},
            ["dev", "Active", "60m"],
            id="namespace",
        ),
        pytest.param(
            "Ingress",
            {
                "metadata": meta("web"),
                "spec": {
                    "ingressClassName": "nginx",
                    "rules": [{"host": "a.example"}, {"host": "b.example"}],
                    "tls": [{}],
                },
                "status": {"loadBalancer": {"ingress": [{"ip": "172.18.0.5"}]}},
            },
            ["web", "nginx", "a.example,b.example", "172.18.0.5", "80, 443", "60m"],
            id="ingress",
        ),
    ],
)
def test_cells_of_other_kinds(kind, obj, expected):
    """Representative rows of the remaining printers."""
    table = tables.to_table(kinds.by_kind(kind), [obj], NOW)
    assert table["rows"][0]["cells"] == expected
    assert len(table["columnDefinitions"]) == len(expected)


@pytest.mark.parametrize(
    "kind", [k for k in kinds.KINDS if k.stored], ids=lambda k: k.kind
)
def test_every_served_kind_prints_a_cell_per_column(kind):
    """An empty object of any kind gives one cell per column."""
    table = tables.to_table(kind, [{"metadata": {"name": "x"}}], NOW)
    assert len(table["rows"][0]["cells"]) == len(table["columnDefinitions"])


def test_only_the_first_table_watch_event_carries_columns():
    """Later events of a Table watch leave the column definitions out."""
    obj = pod([cs(ready=True)])
    first = tables.table_watch_event(POD, "ADDED", obj, NOW, first=True)
    later = tables.table_watch_event(POD, "MODIFIED", obj, NOW, first=False)
    assert first["type"] == "ADDED"
    assert len(first["object"]["columnDefinitions"]) == 9
    assert later["object"]["columnDefinitions"] is None
    assert later["object"]["rows"] == first["object"]["rows"]
    assert later["object"]["metadata"] == {"resourceVersion": "42"}
