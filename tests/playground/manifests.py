"""The YAML the playground tests apply: an nginx Deployment and its Services."""

from __future__ import annotations

# Pods of one Deployment on different nodes, so each node's routing shows.
_ONE_PER_NODE = """\
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {matchLabels: {app: web}}
            topologyKey: kubernetes.io/hostname
"""


def web_deployment(replicas: int, one_per_node: bool = False) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
{_ONE_PER_NODE if one_per_node else ""}      containers:
      - name: nginx
        image: nginx:1.27
"""


WEB_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
"""
WEB_NODE_PORT = """\
apiVersion: v1
kind: Service
metadata:
  name: web-np
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - port: 80
    nodePort: 30080
"""
SHOP_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: web, port: {number: 80}}
"""


def documents(*parts: str) -> str:
    return "---\n".join(parts)
