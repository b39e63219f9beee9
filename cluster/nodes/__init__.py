"""Worker node agents: kubelet, container runtime, kube-proxy, DNS, ingress and traffic."""
