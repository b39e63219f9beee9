"""Classes, roles and guided labs: the hosted course lab."""
