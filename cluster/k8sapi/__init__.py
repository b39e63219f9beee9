"""The Kubernetes HTTP API of each simulated cluster, served at `/k8s/clusters/<slug>/`.

These modules are interfaces only: they parse kubectl's requests, call the in-process
`cluster.apiserver`, and answer in the wire formats kubectl v1.32 expects.
"""
