"""The objects kubeadm leaves in a new cluster: namespaces, the `kubernetes` Service,
CoreDNS, kube-proxy (its DaemonSet, ConfigMap and ServiceAccount) and the RBAC
bootstrap policy (`data/bootstrap-rbac.yaml`).
Everything else (the default ServiceAccounts, kube-root-ca.crt, nodes, pods) is made
by the simulated components themselves, as in a real cluster.
"""

from __future__ import annotations

from cluster.bootstrap_rbac import rbac_policy
from cluster.nodes.static_pods import VERSION

KUBERNETES_SERVICE_IP = "10.96.0.1"
DNS_SERVICE_IP = "10.96.0.10"
COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.11.3"
KUBE_PROXY_IMAGE = f"registry.k8s.io/kube-proxy:{VERSION}"
POD_SUBNET = "10.244.0.0/16"
# kubeadm's control-plane endpoint: the first master's advertise address.
CONTROL_PLANE_ENDPOINT = "https://172.18.0.2:6443"
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


def kube_proxy() -> list[dict]:
    """kubeadm's kube-proxy addon: one pod per node, on the node's own network."""
    labels = {"k8s-app": "kube-proxy"}
    meta = {"name": "kube-proxy", "namespace": "kube-system"}
    daemonset = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {**meta, "labels": labels},
        "spec": {
            "selector": {"matchLabels": labels},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "priorityClassName": "system-node-critical",
                    "containers": [
                        {
                            "name": "kube-proxy",
                            "image": KUBE_PROXY_IMAGE,
                            "imagePullPolicy": "IfNotPresent",
                            "command": [
                                "/usr/local/bin/kube-proxy",
                                "--config=/var/lib/kube-proxy/config.conf",
                                "--hostname-override=$(NODE_NAME)",
                            ],
                            "securityContext": {"privileged": True},
                            "volumeMounts": [
                                {
                                    "mountPath": "/var/lib/kube-proxy",
                                    "name": "kube-proxy",
                                },
                                {
                                    "mountPath": "/run/xtables.lock",
                                    "name": "xtables-lock",
                                    "readOnly": False,
                                },
                                {
                                    "mountPath": "/lib/modules",
                                    "name": "lib-modules",
                                    "readOnly": True,
                                },
                            ],
                            "env": [
                                {
                                    "name": "NODE_NAME",
                                    "valueFrom": {
                                        "fieldRef": {"fieldPath": "spec.nodeName"}
                                    },
                                }
                            ],
                        }
                    ],
                    "hostNetwork": True,
                    "serviceAccountName": "kube-proxy",
                    "volumes": [
                        {"name": "kube-proxy", "configMap": {"name": "kube-proxy"}},
                        {
                            "name": "xtables-lock",
                            "hostPath": {
                                "path": "/run/xtables.lock",
                                "type": "FileOrCreate",
                            },
                        },
                        {"name": "lib-modules", "hostPath": {"path": "/lib/modules"}},
                    ],
                    "tolerations": [{"operator": "Exists"}],
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                },
            },
        },
    }
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {**meta, "labels": {"app": "kube-proxy"}},
        "data": {
            "config.conf": _KUBE_PROXY_CONFIG,
            "kubeconfig.conf": _KUBE_PROXY_KUBECONFIG,
        },
    }
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": dict(meta)},
        config,
        daemonset,
    ]


# The KubeProxyConfiguration kubeadm 1.32 writes, with flannel's pod subnet.
_KUBE_PROXY_CONFIG = (
    f"""apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
bindAddressHardFail: false
clientConnection:
  acceptContentTypes: ""
  burst: 0
  contentType: ""
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
clusterCIDR: {POD_SUBNET}
configSyncPeriod: 0s
conntrack:
  maxPerCore: null
  min: null
  tcpBeLiberal: false
  tcpCloseWaitTimeout: null
  tcpEstablishedTimeout: null
  udpStreamTimeout: 0s
  udpTimeout: 0s
detectLocal:
  bridgeInterface: ""
  interfaceNamePrefix: ""
detectLocalMode: ""
enableProfiling: false
healthzBindAddress: ""
hostnameOverride: ""
iptables:
  localhostNodePorts: null
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
ipvs:
  excludeCIDRs: null
  minSyncPeriod: 0s
  scheduler: ""
  strictARP: false
  syncPeriod: 0s
  tcpFinTimeout: 0s
  tcpTimeout: 0s
  udpTimeout: 0s
kind: KubeProxyConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
    text:
      infoBufferSize: "0"
  verbosity: 0
metricsBindAddress: ""
mode: ""
nftables:
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
nodePortAddresses: null
oomScoreAdj: null
portRange: ""
showHiddenMetricsForVersion: ""
winkernel:
  enableDSR: false
  forwardHealthCheckVip: false
  networkName: ""
  rootHnsEndpointName: ""
  sourceVip: """
    ""
)
_SA = "/var/run/secrets/kubernetes.io/serviceaccount"
_KUBE_PROXY_KUBECONFIG = f"""apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: {_SA}/ca.crt
    server: {CONTROL_PLANE_ENDPOINT}
  name: default
contexts:
- context:
    cluster: default
    namespace: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    tokenFile: {_SA}/token"""


def initial_objects() -> list[dict]:
    """In creation order: a namespace before anything in it."""
    return [
        *namespaces(),
        *priority_classes(),
        kubernetes_service(),
        *coredns(),
        *kube_proxy(),
        *rbac_policy(),
    ]
