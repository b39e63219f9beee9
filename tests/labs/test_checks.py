"""The check language over hand-made cluster snapshots (pure: no database)."""

from __future__ import annotations

import pytest

from cluster.labs import checks


def pod(name, labels=None, phase="Running", ready=True, node="worker1", **extra):
    conditions = [{"type": "Ready", "status": "True" if ready else "False"}]
    if node:
        conditions.append(
            {
                "type": "PodScheduled",
                "status": "True",
                "lastTransitionTime": extra.get("scheduled_at", "2025-01-01T00:01:40Z"),
            }
        )
    elif extra.get("unschedulable"):
        conditions.append(
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}
        )
    meta = {"name": name, "namespace": "default", "labels": labels or {}}
    if extra.get("terminating"):
        meta["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    meta["resourceVersion"] = extra.get("rv", name)
    return {
        "metadata": meta,
        "spec": {
            "nodeName": node,
            "containers": [{"name": "c", "image": extra.get("image", "nginx:1.27")}],
        },
        "status": {
            "phase": phase,
            "conditions": conditions,
            "containerStatuses": [{"state": {"waiting": {"reason": extra["waiting"]}}}]
            if extra.get("waiting")
            else [],
        },
    }


WEB = [pod(f"web-{i}", {"app": "web"}) for i in range(3)]
T0 = 1735689600.0  # 2025-01-01T00:00:00Z

STATE = {
    "objects": {
        "Pod": WEB
        + [
            pod("big", phase="Pending", ready=False, node="", unschedulable=True),
            pod("old", {"app": "web"}, terminating=True),
            pod(
                "bad",
                {"app": "bad"},
                phase="Pending",
                ready=False,
                waiting="ErrImagePull",
            ),
        ],
        "Service": [
            {
                "metadata": {
                    "name": "web",
                    "namespace": "default",
                    "resourceVersion": "9",
                },
                "spec": {
                    "type": "NodePort",
                    "selector": {"app": "web"},
                    "ports": [{"port": 80}],
                },
            }
        ],
        "Endpoints": [
            {
                "metadata": {"name": "web", "namespace": "default"},
                "subsets": [
                    {"addresses": [{"ip": "10.244.1.2"}, {"ip": "10.244.1.3"}]}
                ],
            }
        ],
        "Node": [
            {
                "metadata": {"name": "worker1"},
                "spec": {
                    "unschedulable": True,
                    "taints": [{"key": "node.kubernetes.io/unschedulable"}],
                },
                "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]},
            }
        ],
        "Deployment": [
            {
                "metadata": {
                    "name": "web",
                    "namespace": "default",
                    "annotations": {"deployment.kubernetes.io/revision": "2"},
                },
                "spec": {
                    "template": {"spec": {"containers": [{"image": "nginx:1.27"}]}}
                },
                "status": {"readyReplicas": 3, "updatedReplicas": 3},
            }
        ],
        "PersistentVolumeClaim": [
            {
                "metadata": {"name": "data", "namespace": "default"},
                "status": {"phase": "Bound"},
            }
        ],
        "Event": [
            {
                "metadata": {"name": "e1", "namespace": "default"},
                "reason": "SuccessfulCreate",
                "message": "Created pod: web-0",
                "involvedObject": {"kind": "ReplicaSet", "name": "web-abc"},
            }
        ],
    },
    "machines": [
        {"name": "control-plane", "role": "control-plane", "powered": True},
        {"name": "worker1", "role": "worker", "powered": False},
    ],
    "components": [
        {
            "machine": "control-plane",
            "kind": "kube-scheduler",
            "state": "running",
            "started_at": T0 + 100,
            "leader": True,
        },
        {
            "machine": "control-plane",
            "kind": "etcd",
            "state": "stopped",
            "started_at": T0,
            "leader": False,
        },
    ],
    "snapshots": [{"name": "before", "revision": 10, "sim_time": T0}],
    "clock": T0 + 200,
    "born": T0,
}


CASES = [
    (
        {
            "pods": {
                "selector": "app=web",
                "phase": "Running",
                "ready": True,
                "count": 3,
            }
        },
        True,
        "found 3 of 3",
    ),
    ({"pods": {"selector": {"app": "web"}, "count": 4}}, False, "wanted exactly 4"),
    ({"pods": {"selector": "app=web", "at_least": 2}}, True, ""),
    ({"pods": {"selector": "app=web", "node": "worker2"}}, False, "found 0 of 3"),
    ({"pods": {"selector": "app=web", "not_node": "worker2", "count": 3}}, True, ""),
    ({"pods": {"name": "big", "phase": "Pending", "unschedulable": True}}, True, ""),
    ({"pods": {"name": "big", "scheduled": True}}, False, "pod big"),
    ({"pods": {"name": "gone", "count": 0}}, True, ""),
    ({"pods": {"selector": "app=bad", "waiting_reason": "ErrImagePull"}}, True, ""),
    ({"pods": {"selector": "app=web", "image": "nginx:1.26"}}, False, ""),
    (
        {"component": {"kind": "kube-scheduler", "state": "running", "leader": True}},
        True,
        "",
    ),
    (
        {"component": {"kind": "etcd", "state": "running"}},
        False,
        "control-plane: stopped",
    ),
    (
        {"component": {"kind": "etcd", "state": "stopped", "machine": "control-plane"}},
        True,
        "",
    ),
    (
        {"service": {"type": "NodePort", "selector": {"app": "web"}}},
        True,
        "Service web",
    ),
    ({"service": {"type": "ClusterIP"}}, False, "services: web"),
    ({"service": {"name": "web", "port": 8080}}, False, ""),
    ({"endpoints": {"service": "web", "count": 2}}, True, "found 2"),
    ({"endpoints": {"service": "db"}}, False, "found 0"),
    ({"node": {"name": "worker1", "ready": "Unknown"}}, True, ""),
    ({"node": {"name": "worker1", "ready": "True"}}, False, "Ready=Unknown"),
    (
        {
            "node": {
                "name": "worker1",
                "unschedulable": True,
                "taint": "node.kubernetes.io/unschedulable",
            }
        },
        True,
        "",
    ),
    ({"node": {"name": "worker9", "absent": True}}, True, "not registered"),
    (
        {"deployment": {"name": "web", "revision_at_least": 2, "ready_replicas": 3}},
        True,
        "",
    ),
    ({"deployment": {"name": "web", "revision_at_least": 3}}, False, "revision 2"),
    (
        {"deployment": {"name": "web", "image": "nginx:1.26"}},
        False,
        "wanted nginx:1.26",
    ),
    ({"deployment": {"name": "api"}}, False, "does not exist"),
    (
        {
            "object": {
                "kind": "PersistentVolumeClaim",
                "name": "data",
                "namespace": "default",
                "where": {"status.phase": "Bound"},
            }
        },
        True,
        "",
    ),
    ({"object": {"kind": "PersistentVolume", "count": 0}}, True, ""),
    ({"machine": {"name": "worker1", "powered": False}}, True, ""),
    ({"machine": {"role": "control-plane", "count": 3}}, False, ""),
    ({"snapshots": {"at_least": 1}}, True, "found 1"),
    ({"snapshots": {"at_least": 2}}, False, ""),
    ({"restored": True}, False, "not been restored"),
    ({"restored": False}, True, ""),
    ({"pod_scheduled_after_component_start": {"selector": "app=web"}}, True, "web-0"),
    (
        {"pod_scheduled_after_component_start": {"component": "etcd"}},
        False,
        "has not been started",
    ),
    (
        {"event": {"reason": "SuccessfulCreate", "involved_kind": "ReplicaSet"}},
        True,
        "",
    ),
    ({"event": {"reason": "SuccessfulCreate", "at_least": 2}}, False, "found 1"),
    ({"all": [{"snapshots": {}}, {"restored": True}]}, False, "not been restored"),
    ({"any": [{"snapshots": {}}, {"restored": True}]}, True, ""),
    ({"not": {"restored": True}}, True, ""),
]


@pytest.mark.parametrize(
    ("check", "ok", "says"), CASES, ids=[str(c) for c, *_ in CASES]
)
def test_each_predicate_decides_and_explains(check, ok, says):
    result, why = checks.evaluate(check, STATE)
    assert result is ok
    assert says in why


def test_a_restore_shows_as_many_keys_written_at_one_revision():
    restored = {"objects": {"Pod": [pod("a", rv="50"), pod("b", rv="50")]}}
    assert checks.evaluate({"restored": True}, restored)[0] is True


def test_a_pod_scheduled_before_the_restart_does_not_count():
    state = dict(STATE, components=[dict(STATE["components"][0], started_at=T0 + 150)])
    ok, why = checks.evaluate(
        {"pod_scheduled_after_component_start": {"component": "kube-scheduler"}}, state
    )
    assert (ok, why) == (False, "no pod was scheduled after kube-scheduler started")


def test_a_request_with_no_ingress_fails_to_resolve():
    ok, why = checks.evaluate({"request": {"url": "http://shop.example.com/"}}, STATE)
    assert ok is False
    assert "Could not resolve host: shop.example.com" in why


BAD = [
    ({}, "exactly one predicate"),
    ({"pods": {}, "node": {}}, "exactly one predicate"),
    ({"podz": {}}, "unknown predicate 'podz'"),
    ({"pods": {"colour": "red"}}, "check.pods: unknown argument 'colour'"),
    ({"pods": {"count": "3"}}, "check.pods.count: must be an integer"),
    ({"pods": {"count": True}}, "check.pods.count: must be an integer"),
    ({"pods": {"count": 3, "at_least": 1}}, "not both"),
    ({"pods": {"selector": "app in (web"}}, "check.pods.selector"),
    ({"node": {"ready": "True"}}, "check.node: name is required"),
    ({"restored": "yes"}, "check.restored: must be true or false"),
    ({"all": []}, "check.all: must be a non-empty list"),
    ({"all": [{"pods": {}}, {"nope": 1}]}, "check.all[1]: unknown predicate"),
    ({"not": {"snapshots": {"at_least": "x"}}}, "check.not.snapshots.at_least"),
    ({"pods": []}, "must be a mapping of arguments"),
]


@pytest.mark.parametrize(("check", "message"), BAD, ids=[m for _c, m in BAD])
def test_malformed_checks_are_refused_with_their_place(check, message):
    problems = checks.validate(check)
    assert any(message in p for p in problems), problems
    with pytest.raises(checks.CheckError):
        checks.evaluate(check, STATE)
