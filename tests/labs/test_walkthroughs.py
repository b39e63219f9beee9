"""Every shipped lab, played step by step: each check is false before its step and
true after it. The clock is driven by hand (fast_forward), never by sleeping."""

from __future__ import annotations

import pytest

from cluster import kinds, operations
from cluster.labs import catalog
from tests.engine.kit import autoscaler
from tests.labs.walk import Walk, pod, requests

pytestmark = pytest.mark.django_db

DEPLOYMENT = kinds.by_kind("Deployment")
SERVICE = kinds.by_kind("Service")


def test_every_lab_is_walked_here():
    walked = {
        name[len("test_lab_") :].replace("_", "-")
        for name in globals()
        if name.startswith("test_lab_")
    }
    assert set(catalog.all_labs()) <= walked


def test_lab_01_architecture_tour():
    w = Walk("01-architecture-tour")
    w.not_done("first-pod")
    w.api().create(pod("hello"))
    w.wait(20)
    w.done("first-pod")

    w.not_done("stop-scheduler")
    w.set_component("control-plane", "kube-scheduler", "stopped")
    w.done("stop-scheduler")

    w.not_done("pending-pod")
    w.api().create(pod("hello2"))
    w.wait(5)
    w.done("pending-pod")

    w.not_done("start-scheduler")
    w.set_component("control-plane", "kube-scheduler", "running")
    w.wait(20)
    w.done("start-scheduler")

    w.not_done("stop-kubelet")
    w.set_component("worker1", "kubelet", "stopped")
    w.wait(50)
    w.done("stop-kubelet")


def test_lab_02_scheduler():
    w = Walk("02-scheduler")
    w.not_done("small-pod")
    w.api().create(pod("small", container=requests("500m", "128Mi")))
    w.wait(20)
    w.done("small-pod")

    w.not_done("too-big")
    w.api().create(pod("big", container=requests("16")))
    w.wait(5)
    w.done("too-big")

    w.not_done("right-size")
    w.delete_pod("big")
    w.api().create(pod("big", container=requests("3")))
    w.wait(20)
    w.done("right-size")

    w.not_done("cordon")
    w.api().merge_patch(
        kinds.by_kind("Node"), None, "worker1", {"spec": {"unschedulable": True}}
    )
    w.api().create(pod("placed"))
    w.wait(20)
    w.done("cordon")


def test_lab_03_self_healing():
    w = Walk("03-self-healing")
    w.not_done("three-running")
    w.wait(20)
    w.done("three-running")

    w.not_done("delete-a-pod")
    w.delete_pod(w.pods("app=web")[0]["metadata"]["name"])
    w.wait(20)
    w.done("delete-a-pod")

    w.not_done("stop-controller-manager")
    w.set_component("control-plane", "kube-controller-manager", "stopped")
    w.done("stop-controller-manager")

    w.not_done("no-healing")
    w.delete_pod(w.pods("app=web")[0]["metadata"]["name"])
    w.wait(10)
    w.done("no-healing")

    w.not_done("healed")
    w.set_component("control-plane", "kube-controller-manager", "running")
    w.wait(20)
    w.done("healed")


def test_lab_04_node_failure():
    w = Walk("04-node-failure")
    w.wait(20)
    w.not_done("power-off")
    w.power("worker1", False)
    w.done("power-off")

    w.not_done("not-ready")
    w.wait(50)
    w.done("not-ready")

    w.not_done("evicted")
    w.wait(330)  # past the 300 s toleration, plus time to reschedule and pull
    w.done("evicted")

    w.not_done("power-on")
    w.power("worker1", True)
    w.wait(20)
    w.done("power-on")


def _set_image(w: Walk, image: str) -> None:
    w.api().merge_patch(
        DEPLOYMENT,
        "default",
        "web",
        {
            "spec": {
                "template": {"spec": {"containers": [{"name": "web", "image": image}]}}
            }
        },
    )


def test_lab_05_rolling_update():
    w = Walk("05-rolling-update")
    w.wait(15)
    w.not_done("update")
    _set_image(w, "nginx:1.27")
    w.wait(40)
    w.done("update")

    w.not_done("bad-update")
    _set_image(w, "nginx:1.99")
    w.wait(15)
    w.done("bad-update")

    w.not_done("rollback")
    _set_image(w, "nginx:1.27")  # what `kubectl rollout undo` sends
    w.wait(30)
    w.done("rollback")


def test_lab_06_services():
    w = Walk("06-services")
    w.wait(15)
    w.not_done("clusterip")
    w.api().create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
        }
    )
    w.wait(5)
    w.done("clusterip")

    w.not_done("scale")
    w.api().merge_patch(DEPLOYMENT, "default", "web", {"spec": {"replicas": 3}})
    w.wait(20)
    w.done("scale")

    w.not_done("nodeport")
    w.api().merge_patch(SERVICE, "default", "web", {"spec": {"type": "NodePort"}})
    w.done("nodeport")

    w.not_done("stop-kube-proxy")
    w.set_component("worker1", "kube-proxy", "stopped")
    w.done("stop-kube-proxy")


def _ingress(name: str, host: str, path: str, service: str) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name},
        "spec": {
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": path,
                                "pathType": "Prefix",
                                "backend": {
                                    "service": {"name": service, "port": {"number": 80}}
                                },
                            }
                        ]
                    },
                }
            ]
        },
    }


def test_lab_07_ingress():
    w = Walk("07-ingress")
    w.wait(20)
    w.not_done("host-rule")
    w.api().create(_ingress("shop", "shop.example.com", "/", "shop"))
    w.done("host-rule")

    w.not_done("path-rule")
    w.api().create(_ingress("blog", "www.example.com", "/blog", "blog"))
    w.done("path-rule")


def _claim(name: str, storage_class: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": {
            "storageClassName": storage_class,
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}},
        },
    }


def _mounting(name: str, claim: str) -> dict:
    return pod(
        name,
        container={"volumeMounts": [{"name": "data", "mountPath": "/data"}]},
        volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": claim}}],
    )


def test_lab_08_volumes():
    w = Walk("08-volumes")
    w.not_done("storage-class")
    w.api().create(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "fast"},
            "provisioner": "kubelab.dev/hostpath",
        }
    )
    w.done("storage-class")

    w.not_done("claim")
    w.api().create(_claim("data", "fast"))
    w.wait(10)
    w.done("claim")

    w.not_done("writer")
    w.api().create(_mounting("writer", "data"))
    w.wait(20)
    w.done("writer")

    w.not_done("outlives")
    w.delete_pod("writer")
    w.api().create(_mounting("reader", "data"))
    w.wait(20)
    w.done("outlives")

    w.not_done("static-volume")
    w.api().create(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": "manual"},
            "spec": {
                "storageClassName": "manual",
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteOnce"],
                "hostPath": {"path": "/mnt/manual"},
            },
        }
    )
    w.api().create(_claim("manual-claim", "manual"))
    w.wait(10)
    w.done("static-volume")


def test_lab_09_etcd_backup():
    w = Walk("09-etcd-backup")
    w.wait(15)
    w.not_done("snapshot")
    snapshot = operations.take_snapshot(w.cluster, "before")
    w.done("snapshot")

    w.not_done("disaster")
    w.api().delete(DEPLOYMENT, "default", "web")
    w.done("disaster")

    w.not_done("restore")
    operations.restore_snapshot(snapshot)
    w.done("restore")


def test_lab_10_ha_control_plane():
    w = Walk("10-ha-control-plane")
    w.wait(15)
    w.not_done("lose-one-member")
    w.set_component("control-plane2", "etcd", "stopped")
    w.done("lose-one-member")

    w.not_done("lose-quorum")
    w.set_component("control-plane3", "etcd", "stopped")
    w.done("lose-quorum")

    w.not_done("recover")
    w.set_component("control-plane2", "etcd", "running")
    w.set_component("control-plane3", "etcd", "running")
    w.done("recover")

    w.not_done("leader-moves")
    leader = w.cluster.machines.get(
        components__kind="kube-scheduler", components__leader=True
    )
    w.set_component(leader.name, "kube-scheduler", "stopped")
    w.wait(20)
    w.done("leader-moves")


def test_lab_11_autoscaling():
    w = Walk("11-autoscaling")
    w.wait(30)
    w.not_done("autoscaler")
    w.api().create(autoscaler("php-apache", 50, 10))
    w.done("autoscaler")

    w.not_done("load")
    loop = "while sleep 0.01; do wget -q -O- http://php-apache; done"
    generator = pod("load-generator", "busybox:1.28", restartPolicy="Never")
    generator["spec"]["containers"][0]["command"] = ["/bin/sh", "-c", loop]
    w.api().create(generator)
    w.wait(20)
    w.done("load")

    w.not_done("scaled-up")
    w.wait(90)
    w.done("scaled-up")

    w.not_done("scaled-down")
    w.delete_pod("load-generator")
    w.wait(120)
    w.not_done("scaled-down")  # still inside the stabilization window
    w.wait(300)
    w.done("scaled-down")
