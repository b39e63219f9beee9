"""A kubeconfig that works as is: server URL with the cluster's prefix, the lab's CA,
the user's bearer token, and a context named after the cluster."""

from __future__ import annotations

import base64

import yaml
from django.conf import settings

from cluster.k8sapi import auth
from cluster.models import Cluster
from config import tls

TLS_HOSTS = ["127.0.0.1", "localhost"]


def server_url(cluster: Cluster) -> str:
    return settings.K8S_PUBLIC_URL.rstrip("/") + f"/k8s/clusters/{cluster.slug}"


def ca_data() -> str:
    """The lab CA, base64 PEM, created on first use."""
    files = tls.ensure(settings.VAR_DIR / "tls", TLS_HOSTS)
    return base64.b64encode(files.ca_cert.read_bytes()).decode()


def build(cluster: Cluster, user) -> str:
    """The kubeconfig YAML of `user` for `cluster`."""
    name = cluster.slug
    user_name = f"{user.get_username()}@{name}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": server_url(cluster),
                    "certificate-authority-data": ca_data(),
                },
            }
        ],
        "users": [
            {"name": user_name, "user": {"token": auth.token_for(cluster, user)}}
        ],
        "contexts": [
            {
                "name": name,
                "context": {"cluster": name, "user": user_name, "namespace": "default"},
            }
        ],
        "current-context": name,
        "preferences": {},
    }
    return yaml.safe_dump(config, sort_keys=False)
