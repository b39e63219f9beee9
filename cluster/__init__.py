"""The simulated Kubernetes: store, API server, components. Never imports playground."""
