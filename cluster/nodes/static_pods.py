"""Static pods: the control-plane components kubeadm runs from manifests on a master,
as the kubelet shows them in the API (mirror pods, `<component>-<node>` in kube-system).

The kubelet runs a static pod itself, so the API object is only a mirror: annotated
`kubernetes.io/config.mirror`, owned by the Node, never scheduled nor run again.
Stopping a component here is taking its manifest away, which deletes the mirror; a
crashed one shows its container waiting in CrashLoopBackOff.
"""

from __future__ import annotations

import hashlib

from cluster.actions import Create, Delete, Ref, UpdateStatus
from cluster.nodes import pod_status
from cluster.simtime import rfc3339

NAMESPACE = "kube-system"
MIRROR = "kubernetes.io/config.mirror"
VERSION = "v1.32.4"
# kubeadm's manifests: image and requests (and the etcd it ships with 1.32).
MANIFESTS = {
    "etcd": ("registry.k8s.io/etcd:3.5.16-0", {"cpu": "100m", "memory": "100Mi"}),
    "kube-apiserver": (f"registry.k8s.io/kube-apiserver:{VERSION}", {"cpu": "250m"}),
    "kube-controller-manager": (
        f"registry.k8s.io/kube-controller-manager:{VERSION}",
        {"cpu": "200m"},
    ),
    "kube-scheduler": (f"registry.k8s.io/kube-scheduler:{VERSION}", {"cpu": "100m"}),
}
CRASHED, STOPPED = "crashed", "stopped"


def is_mirror(pod: dict) -> bool:
    return MIRROR in ((pod.get("metadata") or {}).get("annotations") or {})


def actions(node: dict, node_ip: str, components: list[dict], mirrors: list[dict]):
    """Create, update or delete the node's mirror pods to match its components
    (`{"kind", "state", "started_at"}` each)."""
    node_name = node["metadata"]["name"]
    have = {p["metadata"]["name"]: p for p in mirrors}
    out: list = []
    wanted = set()
    for c in components:
        if c["kind"] not in MANIFESTS or c["state"] == STOPPED:
            continue
        name = f"{c['kind']}-{node_name}"
        wanted.add(name)
        status = _status(c, node_name, node_ip)
        live = have.get(name)
        if live is None:
            out.append(Create(_mirror(c["kind"], node, node_ip, c["started_at"])))
        elif (live.get("status") or {}) != status:
            out.append(UpdateStatus({**live, "status": status}))
    for name, pod in have.items():
        if name not in wanted:
            meta = pod["metadata"]
            ref = Ref("Pod", NAMESPACE, name, "v1", meta.get("uid", ""))
            out.append(Delete(ref, grace_period_seconds=0, uid=meta.get("uid", "")))
    return out


def _hash(*parts) -> str:
    return hashlib.sha256("/".join(str(p) for p in parts).encode()).hexdigest()


def _mirror(kind: str, node: dict, node_ip: str, started_at: float) -> dict:
    image, requests = MANIFESTS[kind]
    meta = node["metadata"]
    annotations = {
        "kubernetes.io/config.hash": _hash(kind, meta["name"])[:32],
        MIRROR: _hash(kind, meta["name"])[:32],
        "kubernetes.io/config.seen": rfc3339(started_at),
        "kubernetes.io/config.source": "file",
    }
    if kind == "kube-apiserver":
        annotations[
            "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"
        ] = f"{node_ip}:6443"
    if kind == "etcd":
        annotations["kubeadm.kubernetes.io/etcd.advertise-client-urls"] = (
            f"https://{node_ip}:2379"
        )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{kind}-{meta['name']}",
            "namespace": NAMESPACE,
            "labels": {"component": kind, "tier": "control-plane"},
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "Node",
                    "name": meta["name"],
                    "uid": meta.get("uid", ""),
                    "controller": True,
                }
            ],
        },
        "spec": {
            "nodeName": meta["name"],
            "hostNetwork": True,
            "priorityClassName": "system-node-critical",
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "tolerations": [{"operator": "Exists", "effect": "NoExecute"}],
            "containers": [
                {
                    "name": kind,
                    "image": image,
                    "command": [kind],
                    "resources": {"requests": requests},
                }
            ],
        },
    }


def _status(c: dict, node_name: str, node_ip: str) -> dict:
    kind, started = c["kind"], rfc3339(c["started_at"])
    image = MANIFESTS[kind][0]
    ready = c["state"] != CRASHED
    if ready:
        state = {"running": {"startedAt": started}}
    else:
        state = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off 10s restarting failed container={kind} "
                f"pod={kind}-{node_name}_{NAMESPACE}",
            }
        }
    flag = "True" if ready else "False"
    conditions = [
        ("PodReadyToStartContainers", "True"),
        ("Initialized", "True"),
        ("Ready", flag),
        ("ContainersReady", flag),
        ("PodScheduled", "True"),
    ]
    return {
        "phase": "Running",
        "conditions": [
            {
                "type": t,
                "status": s,
                "lastProbeTime": None,
                "lastTransitionTime": started,
                **({} if s == "True" else {"reason": "ContainersNotReady"}),
            }
            for t, s in conditions
        ],
        "hostIP": node_ip,
        "hostIPs": [{"ip": node_ip}],
        "podIP": node_ip,
        "podIPs": [{"ip": node_ip}],
        "startTime": started,
        "qosClass": pod_status.qos_class(
            {"spec": {"containers": [{"resources": {"requests": MANIFESTS[kind][1]}}]}}
        ),
        "containerStatuses": [
            {
                "name": kind,
                "image": image,
                "imageID": f"{image.split(':')[0]}@sha256:{_hash(image)}",
                "containerID": f"containerd://{_hash(node_name, kind, started)}",
                "ready": ready,
                "started": ready,
                "restartCount": 0,
                "state": state,
            }
        ],
    }
