"""Service and Ingress validation (k/k pkg/apis/core/validation, networking/validation)."""

from __future__ import annotations

import ipaddress

from cluster.apiserver.errors import Cause
from cluster.apiserver.validation import _field as f
from cluster.apiserver.validation import meta
from cluster.apiserver.validation.pods import PORT_PROTOCOLS

SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
SESSION_AFFINITIES = ("ClientIP", "None")
TRAFFIC_POLICIES = ("Cluster", "Local")
IP_FAMILY_POLICIES = ("PreferDualStack", "RequireDualStack", "SingleStack")
PATH_TYPES = ("Exact", "ImplementationSpecific", "Prefix")
MAY_NOT_CHANGE = "may not change once set"
INVALID_IP = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
LB_ONLY = "may only be used when `type` is 'LoadBalancer'"


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _cluster_ips(spec: dict) -> list[str]:
    # The registry keeps clusterIPs[0] equal to clusterIP; an older client sends only clusterIP.
    ips = spec.get("clusterIPs")
    if ips is None and spec.get("clusterIP"):
        return [spec["clusterIP"]]
    return list(ips or [])


def _headless(spec: dict) -> bool:
    return _cluster_ips(spec) == ["None"]


def _go_service_port(port: dict) -> f.GoValue:
    # The duplicate key holds only protocol and port; every other field is zero.
    return f.GoValue(
        f'core.ServicePort{{Name:"", Protocol:{f.go_quote(port.get("protocol", ""))}, '
        f"AppProtocol:(*string)(nil), Port:{port.get('port', 0)}, "
        'TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'
    )


def _service_port(
    port: dict, require_name: bool, names: set[str], path: str
) -> list[Cause]:
    causes: list[Cause] = []
    name = port.get("name") or ""
    if require_name and not name:
        causes.append(f.required(f"{path}.name"))
    elif name:
        causes += [f.invalid(f"{path}.name", name, m) for m in meta.dns1123_label(name)]
        if name in names:
            causes.append(f.duplicate(f"{path}.name", name))
        names.add(name)
    number = port.get("port", 0)
    causes += [f.invalid(f"{path}.port", number, m) for m in meta.port_number(number)]
    protocol = port.get("protocol") or ""
    if not protocol:
        causes.append(f.required(f"{path}.protocol"))
    elif protocol not in PORT_PROTOCOLS:
        causes.append(f.not_supported(f"{path}.protocol", protocol, PORT_PROTOCOLS))
    target = port.get("targetPort", 0)
    if isinstance(target, str):
        causes += [
            f.invalid(f"{path}.targetPort", target, m) for m in meta.port_name(target)
        ]
    else:
        causes += [
            f.invalid(f"{path}.targetPort", target, m) for m in meta.port_number(target)
        ]
    return causes


def _cluster_ip_fields(spec: dict) -> list[Cause]:
    if spec.get("type") == "ExternalName":
        return []
    causes: list[Cause] = []
    ips = _cluster_ips(spec)
    cluster_ip = spec.get("clusterIP") or ""
    if cluster_ip and ips and ips[0] != cluster_ip:
        causes.append(
            f.invalid("spec.clusterIPs", ips, "first value must match `clusterIP`")
        )
    elif not cluster_ip and ips:
        causes.append(
            f.invalid(
                "spec.clusterIPs",
                ips,
                "must be empty when `clusterIP` is not specified",
            )
        )
    seen: set[str] = set()
    for i, family in enumerate(spec.get("ipFamilies") or []):
        if family not in ("IPv4", "IPv6"):
            causes.append(
                f.not_supported(f"spec.ipFamilies[{i}]", family, ("IPv4", "IPv6"))
            )
        if family in seen:
            causes.append(f.duplicate(f"spec.ipFamilies[{i}]", family))
        seen.add(family)
    policy = spec.get("ipFamilyPolicy")
    if policy is not None and policy not in IP_FAMILY_POLICIES:
        causes.append(
            f.not_supported("spec.ipFamilyPolicy", policy, IP_FAMILY_POLICIES)
        )
    for i, ip in enumerate(ips):
        if i == 0 and ip == "None":
            if len(ips) > 1:
                causes.append(
                    f.invalid(
                        "spec.clusterIPs",
                        ips,
                        "'None' must be the first and only value",
                    )
                )
            continue
        if not _is_ip(ip):
            causes.append(f.invalid(f"spec.clusterIPs[{i}]", ip, INVALID_IP))
    if len(ips) > 2:
        causes.append(f.invalid("spec.clusterIPs", ips, "may only hold up to 2 values"))
    return causes


def validate_service(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidateService, plus the clusterIPs rules of ValidateServiceUpdate."""
    spec = dict(obj.get("spec") or {})
    causes: list[Cause] = []
    if old:
        old_spec = old.get("spec") or {}
        # An update that leaves clusterIP out keeps the allocated one, as the registry does.
        if (
            not spec.get("clusterIP")
            and old_spec.get("clusterIP")
            and spec.get("type") != "ExternalName"
        ):
            spec["clusterIP"] = old_spec["clusterIP"]
            spec.setdefault("clusterIPs", _cluster_ips(old_spec))
        causes += meta.object_meta_update(obj, old)
        causes += _cluster_ips_update(spec, old_spec)
    causes += meta.object_meta(obj, True, meta.DNS1035_NAME)
    kind = spec.get("type") or ""
    ports = spec.get("ports") or []
    if not ports and not _headless(spec) and kind != "ExternalName":
        causes.append(f.required("spec.ports"))
    if kind in ("LoadBalancer", "NodePort") and _headless(spec):
        causes.append(
            f.invalid(
                "spec.clusterIPs[0]",
                "None",
                f"may not be set to 'None' for {kind} services",
            )
        )
    if kind == "ExternalName":
        if _cluster_ips(spec):
            causes.append(
                f.forbidden(
                    "spec.clusterIPs", "may not be set for ExternalName services"
                )
            )
        cname = (spec.get("externalName") or "").removesuffix(".")
        if cname:
            causes += [
                f.invalid("spec.externalName", cname, m)
                for m in meta.dns1123_subdomain(cname)
            ]
        else:
            causes.append(f.required("spec.externalName"))
    names: set[str] = set()
    for i, port in enumerate(ports):
        causes += _service_port(port, len(ports) > 1, names, f"spec.ports[{i}]")
    if spec.get("selector") is not None:
        causes += meta.labels(spec.get("selector"), "spec.selector")
    affinity = spec.get("sessionAffinity") or ""
    if not affinity:
        causes.append(f.required("spec.sessionAffinity"))
    elif affinity not in SESSION_AFFINITIES:
        causes.append(
            f.not_supported("spec.sessionAffinity", affinity, SESSION_AFFINITIES)
        )
    if affinity == "None" and spec.get("sessionAffinityConfig") is not None:
        causes.append(
            f.forbidden(
                "spec.sessionAffinityConfig",
                "must not be set when session affinity is None",
            )
        )
    causes += _cluster_ip_fields(spec)
    for i, ip in enumerate(spec.get("externalIPs") or []):
        if not _is_ip(ip):
            causes.append(f.invalid(f"spec.externalIPs[{i}]", ip, INVALID_IP))
    if not kind:
        causes.append(f.required("spec.type"))
    elif kind not in SERVICE_TYPES:
        causes.append(f.not_supported("spec.type", kind, SERVICE_TYPES))
    if kind == "ClusterIP":
        for i, port in enumerate(ports):
            if port.get("nodePort"):
                causes.append(
                    f.forbidden(
                        f"spec.ports[{i}].nodePort",
                        "may not be used when `type` is 'ClusterIP'",
                    )
                )
    seen_node_ports: set = set()
    for i, port in enumerate(ports):
        if port.get("nodePort"):
            k = (port.get("protocol"), port["nodePort"])
            if k in seen_node_ports:
                causes.append(
                    f.duplicate(f"spec.ports[{i}].nodePort", port["nodePort"])
                )
            seen_node_ports.add(k)
    seen_ports: set = set()
    for i, port in enumerate(ports):
        k = (port.get("protocol"), port.get("port"))
        if k in seen_ports:
            causes.append(f.duplicate(f"spec.ports[{i}]", _go_service_port(port)))
        seen_ports.add(k)
    if spec.get("allocateLoadBalancerNodePorts") is not None and kind != "LoadBalancer":
        causes.append(f.forbidden("spec.allocateLoadBalancerNodePorts", LB_ONLY))
    external = spec.get("externalTrafficPolicy") or ""
    if kind in ("NodePort", "LoadBalancer") or spec.get("externalIPs"):
        if not external:
            causes.append(f.required("spec.externalTrafficPolicy"))
        elif external not in TRAFFIC_POLICIES:
            causes.append(
                f.not_supported(
                    "spec.externalTrafficPolicy", external, TRAFFIC_POLICIES
                )
            )
    elif external:
        causes.append(
            f.invalid(
                "spec.externalTrafficPolicy",
                external,
                "may only be set for externally-accessible services",
            )
        )
    internal = spec.get("internalTrafficPolicy")
    if internal is None and kind in ("NodePort", "LoadBalancer", "ClusterIP"):
        causes.append(f.required("spec.internalTrafficPolicy"))
    elif internal is not None and internal not in TRAFFIC_POLICIES:
        causes.append(
            f.not_supported("spec.internalTrafficPolicy", internal, TRAFFIC_POLICIES)
        )
    return causes


def _cluster_ips_update(spec: dict, old_spec: dict) -> list[Cause]:
    if "ExternalName" in (spec.get("type"), old_spec.get("type")):
        return []
    new_ips, old_ips = _cluster_ips(spec), _cluster_ips(old_spec)
    if new_ips == ["None"] and old_ips == ["None"]:
        return []
    causes: list[Cause] = []
    if len(new_ips) == len(old_ips):
        for i, ip in enumerate(old_ips):
            if ip != new_ips[i]:
                causes.append(
                    f.invalid(f"spec.clusterIPs[{i}]", new_ips, MAY_NOT_CHANGE)
                )
    elif len(old_ips) > len(new_ips):
        if not new_ips:
            causes.append(
                f.invalid(
                    "spec.clusterIPs[0]", new_ips, "primary clusterIP can not be unset"
                )
            )
        elif new_ips[0] != old_ips[0]:
            causes.append(f.invalid("spec.clusterIPs[0]", new_ips, MAY_NOT_CHANGE))
    elif old_ips and new_ips[0] != old_ips[0]:
        causes.append(f.invalid("spec.clusterIPs[0]", new_ips, MAY_NOT_CHANGE))
    return causes


def _backend(backend: dict, path: str) -> list[Cause]:
    service, resource = backend.get("service"), backend.get("resource")
    if service is not None and resource is not None:
        return [f.invalid(path, "", "cannot set both resource and service backends")]
    if service is None and resource is None:
        return [f.invalid(path, "", "resource or service backend is required")]
    if service is None:
        return []
    causes: list[Cause] = []
    name = service.get("name") or ""
    if not name:
        causes.append(f.required(f"{path}.service.name"))
    else:
        causes += [
            f.invalid(f"{path}.service.name", name, m) for m in meta.dns1035_label(name)
        ]
    port = service.get("port") or {}
    has_name, has_number = bool(port.get("name")), bool(port.get("number"))
    if has_name and has_number:
        causes.append(
            f.invalid(
                f"{path}.service.port", port, "cannot set both port name & port number"
            )
        )
    elif has_name:
        causes += [
            f.invalid(f"{path}.service.port.name", port["name"], m)
            for m in meta.port_name(port["name"])
        ]
    elif has_number:
        causes += [
            f.invalid(f"{path}.service.port.number", port["number"], m)
            for m in meta.port_number(port["number"])
        ]
    else:
        causes.append(
            f.required(f"{path}.service.port", "port name or number is required")
        )
    return causes


def validate_ingress(obj: dict, old: dict | None = None) -> list[Cause]:
    """ValidateIngress: backends, rule hosts and HTTP paths."""
    spec = obj.get("spec") or {}
    causes = meta.for_write(obj, old, True)
    rules, default = spec.get("rules") or [], spec.get("defaultBackend")
    if not rules and default is None:
        causes.append(
            f.invalid(
                "spec",
                f.GoValue("networking.IngressSpec{...}"),
                "either `defaultBackend` or `rules` must be specified",
            )
        )
    if default is not None:
        causes += _backend(default, "spec.defaultBackend")
    for i, rule in enumerate(rules):
        p = f"spec.rules[{i}]"
        host = rule.get("host") or ""
        if host:
            if _is_ip(host):
                causes.append(
                    f.invalid(
                        f"{p}.host", host, "must be a DNS name, not an IP address"
                    )
                )
            check = host[2:] if host.startswith("*.") else host
            causes += [
                f.invalid(f"{p}.host", host, m) for m in meta.dns1123_subdomain(check)
            ]
        http = rule.get("http")
        if http is None:
            continue
        paths = http.get("paths") or []
        if not paths:
            causes.append(f.required(f"{p}.http.paths"))
        for j, item in enumerate(paths):
            pp = f"{p}.http.paths[{j}]"
            kind, path_text = item.get("pathType"), item.get("path") or ""
            if kind is None:
                causes.append(
                    f.required(f"{pp}.pathType", "pathType must be specified")
                )
            elif kind not in PATH_TYPES:
                causes.append(f.not_supported(f"{pp}.pathType", kind, PATH_TYPES))
            elif kind in ("Exact", "Prefix") and not path_text.startswith("/"):
                causes.append(
                    f.invalid(f"{pp}.path", path_text, "must be an absolute path")
                )
            causes += _backend(item.get("backend") or {}, f"{pp}.backend")
    return causes
