"""A Pending claim with no volume is synced again every 15 s
(`--pvclaimbinder-sync-period`), so its FailedBinding event counts one per resync."""

from __future__ import annotations

import pytest

from cluster import kinds, operations
from cluster.controllers import persistentvolume as pv_ctl
from tests.engine.kit import EVENT, api, paused_cluster, settle

pytestmark = pytest.mark.django_db
PVC = kinds.by_kind("PersistentVolumeClaim")


def _claim() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": "default"},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "",
            "resources": {"requests": {"storage": "1Gi"}},
        },
    }


def _failed_binding(cluster) -> list[dict]:
    return [
        e
        for e in api(cluster).list(EVENT, "default").items
        if e["reason"] == pv_ctl.REASON_FAILED_BINDING
        and e["involvedObject"]["name"] == "data"
    ]


def test_failed_binding_counts_one_per_resync_not_per_pass():
    cluster = paused_cluster()
    api(cluster).create(_claim())
    cluster = settle(cluster, 0.5)
    [first] = _failed_binding(cluster)
    assert first["message"] == pv_ctl.MESSAGE_NO_VOLUMES_NO_CLASS
    assert first.get("count", 1) <= 2

    cluster = operations.fast_forward(cluster, 120)
    [later] = _failed_binding(cluster)
    assert 8 <= later["count"] <= 10
    assert cluster.next_timer is not None


def test_a_bound_claim_stops_waking_the_controller():
    cluster = paused_cluster()
    api(cluster).create(_claim())
    cluster = settle(cluster, 0.5)
    volume = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": "vol"},
        "spec": {
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteOnce"],
            "hostPath": {"path": "/data"},
        },
    }
    api(cluster).create(volume)
    cluster = settle(cluster, 1)
    claim = api(cluster).get(PVC, "default", "data")
    assert claim["status"]["phase"] == "Bound"
    count = _failed_binding(cluster)[0]["count"]
    cluster = operations.fast_forward(cluster, 60)
    assert _failed_binding(cluster)[0]["count"] == count
