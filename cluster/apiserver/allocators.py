"""Service ClusterIP and NodePort allocation, as kube-apiserver's allocators do it.

Dynamic picks come from the upper band of each range, leaving the lower band for
addresses and ports that users ask for (KEP-3070 / KEP-3668).
"""

from __future__ import annotations

import ipaddress
import random
from contextlib import contextmanager

from cluster.apiserver import errors

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
NODE_PORT_RANGE = (30000, 32767)
KUBERNETES_SERVICE_IP = "10.96.0.1"
DNS_SERVICE_IP = "10.96.0.10"


def _static_band(size: int, divisor: int, floor: int, cap: int) -> int:
    return min(max(floor, size // divisor), cap)


def allocate_cluster_ip(used: set[str], rng: random.Random, requested: str = "") -> str:
    """A free service IP: the requested one if it is in range and free, else a random one."""
    if requested:
        try:
            ip = ipaddress.ip_address(requested)
        except ValueError:
            raise _invalid_ip(requested, "must be a valid IP address") from None
        if ip not in SERVICE_CIDR or ip in (
            SERVICE_CIDR.network_address,
            SERVICE_CIDR.broadcast_address,
        ):
            raise _invalid_ip(
                requested,
                f"the provided IP ({requested}) is not in the valid range. The range of valid IPs is {SERVICE_CIDR}",
            )
        if requested in used:
            raise _invalid_ip(
                requested,
                f"failed to allocate IP {requested}: provided IP is already allocated",
            )
        return requested
    size = SERVICE_CIDR.num_addresses - 2
    band = _static_band(size, 16, 16, 256)
    base = int(SERVICE_CIDR.network_address)
    for _ in range(10000):
        candidate = str(
            ipaddress.ip_address(base + 1 + band + rng.randrange(size - band))
        )
        if candidate not in used:
            return candidate
    raise errors.ApiError(
        500,
        "InternalError",
        "Internal error occurred: failed to allocate a serviceIP: range is full",
    )


def allocate_node_port(used: set[int], rng: random.Random, requested: int = 0) -> int:
    low, high = NODE_PORT_RANGE
    if requested:
        if not low <= requested <= high:
            raise errors.invalid(
                "Service",
                "",
                [
                    errors.Cause(
                        "spec.ports[0].nodePort",
                        f"Invalid value: {requested}: provided port is not in the valid range. The range of valid ports is {low}-{high}",
                    )
                ],
            )
        if requested in used:
            raise errors.invalid(
                "Service",
                "",
                [
                    errors.Cause(
                        "spec.ports[0].nodePort",
                        f"Invalid value: {requested}: provided port is already allocated",
                    )
                ],
            )
        return requested
    size = high - low + 1
    band = _static_band(size, 32, 16, 128)
    for _ in range(10000):
        candidate = low + band + rng.randrange(size - band)
        if candidate not in used:
            return candidate
    raise errors.ApiError(
        500,
        "InternalError",
        "Internal error occurred: failed to allocate a nodePort: range is full",
    )


def _invalid_ip(value: str, message: str) -> errors.ApiError:
    return errors.invalid(
        "Service",
        "",
        [
            errors.Cause(
                "spec.clusterIPs", f'Invalid value: []string{{"{value}"}}: {message}'
            )
        ],
    )


def service_ips_and_ports(services: list[dict]) -> tuple[set[str], set[int]]:
    ips, ports = set(), set()
    for svc in services:
        spec = svc.get("spec", {})
        for ip in spec.get("clusterIPs") or [spec.get("clusterIP")]:
            if ip and ip != "None":
                ips.add(ip)
        for port in spec.get("ports") or []:
            if port.get("nodePort"):
                ports.add(port["nodePort"])
    return ips, ports


def allocate_service(svc: dict, services: list[dict], rng: random.Random) -> None:
    """Give a new Service its clusterIP(s) and node ports, in place."""
    spec = svc.setdefault("spec", {})
    name = (svc.get("metadata") or {}).get("name", "")
    used_ips, used_ports = service_ips_and_ports(services)
    svc_type = spec.get("type", "ClusterIP")
    if svc_type == "ExternalName":
        return
    if spec.get("clusterIP") != "None":
        with _naming(name, "spec.clusterIPs"):
            ip = allocate_cluster_ip(used_ips, rng, spec.get("clusterIP") or "")
        spec["clusterIP"] = ip
        spec["clusterIPs"] = [ip]
    else:
        spec["clusterIPs"] = ["None"]
    if svc_type in ("NodePort", "LoadBalancer"):
        for i, port in enumerate(spec.get("ports") or []):
            if (
                svc_type == "LoadBalancer"
                and spec.get("allocateLoadBalancerNodePorts") is False
            ):
                continue
            with _naming(name, f"spec.ports[{i}].nodePort"):
                port["nodePort"] = allocate_node_port(
                    used_ports, rng, port.get("nodePort") or 0
                )
            used_ports.add(port["nodePort"])


@contextmanager
def _naming(name: str, field: str):
    """Put the Service's name and the real field path into an allocator's 422."""
    try:
        yield
    except errors.ApiError as exc:
        if exc.reason != "Invalid":
            raise
        causes = [errors.Cause(field, c.message, c.reason) for c in exc.causes]
        raise errors.invalid("Service", name, causes) from None
