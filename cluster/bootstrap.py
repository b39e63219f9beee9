"""The objects kubeadm leaves in a new cluster: namespaces, the `kubernetes` Service and
CoreDNS. Everything else (ServiceAccounts, kube-root-ca.crt, nodes, pods) is made by the
simulated components themselves, as in a real cluster.
"""

from __future__ import annotations

KUBERNETES_SERVICE_IP = "10.96.0.1"
DNS_SERVICE_IP = "10.96.0.10"
COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.11.3"
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def namespaces() -> list[dict]:
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
        }
        for ns in SYSTEM_NAMESPACES
    ]


def kubernetes_service() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": KUBERNETES_SERVICE_IP,
            "ports": [
                {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}
            ],
            "sessionAffinity": "None",
        },
    }


def coredns() -> list[dict]:
    labels = {"k8s-app": "kube-dns"}
    corefile = (
        ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n"
        "    kubernetes cluster.local in-addr.arpa ip6.arpa {\n"
        "       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n"
        "    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n"
        "    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n"
    )
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": "kube-system", "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"},
            },
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "priorityClassName": "system-cluster-critical",
                    "tolerations": [
                        {"key": "CriticalAddonsOnly", "operator": "Exists"},
                        {
                            "key": "node-role.kubernetes.io/control-plane",
                            "effect": "NoSchedule",
                        },
                    ],
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "containers": [
                        {
                            "name": "coredns",
                            "image": COREDNS_IMAGE,
                            "args": ["-conf", "/etc/coredns/Corefile"],
                            "ports": [
                                {"name": "dns", "containerPort": 53, "protocol": "UDP"},
                                {
                                    "name": "dns-tcp",
                                    "containerPort": 53,
                                    "protocol": "TCP",
                                },
                                {
                                    "name": "metrics",
                                    "containerPort": 9153,
                                    "protocol": "TCP",
                                },
                            ],
                            "resources": {
                                "limits": {"memory": "170Mi"},
                                "requests": {"cpu": "100m", "memory": "70Mi"},
                            },
                            "volumeMounts": [
                                {
                                    "name": "config-volume",
                                    "mountPath": "/etc/coredns",
                                    "readOnly": True,
                                }
                            ],
                        }
                    ],
                    "volumes": [
                        {
                            "name": "config-volume",
                            "configMap": {
                                "name": "coredns",
                                "items": [{"key": "Corefile", "path": "Corefile"}],
                            },
                        }
                    ],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kube-dns",
            "namespace": "kube-system",
            "labels": {
                **labels,
                "kubernetes.io/cluster-service": "true",
                "kubernetes.io/name": "CoreDNS",
            },
        },
        "spec": {
            "selector": labels,
            "clusterIP": DNS_SERVICE_IP,
            "ports": [
                {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                {
                    "name": "metrics",
                    "port": 9153,
                    "protocol": "TCP",
                    "targetPort": 9153,
                },
            ],
        },
    }
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "coredns", "namespace": "kube-system"},
        "data": {"Corefile": corefile},
    }
    return [config, service, deployment]


def priority_classes() -> list[dict]:
    return [
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": name},
            "value": value,
            "description": f"Used for {scope} critical pods that must not be moved from their current node.",
        }
        for name, value, scope in (
            ("system-node-critical", 2000001000, "system"),
            ("system-cluster-critical", 2000000000, "system"),
        )
    ]


def initial_objects() -> list[dict]:
    """In creation order: a namespace before anything in it."""
    return [*namespaces(), *priority_classes(), kubernetes_service(), *coredns()]
