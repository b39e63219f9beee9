"""Pod, pod template and container validation (k/k pkg/apis/core/validation).

Checks run in the order kube-apiserver runs them, so a multi-error message lists
causes in the same order a real cluster prints.
"""

from __future__ import annotations

from cluster.apiserver.errors import Cause
from cluster.apiserver.validation import _field as f
from cluster.apiserver.validation import meta
from cluster.objects import quantity

RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
PORT_PROTOCOLS = ("SCTP", "TCP", "UDP")
TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
HANDLER_TYPES = ("exec", "httpGet", "tcpSocket", "grpc")
VOLUME_REQUIRED = "must specify a volume type"
HANDLER_REQUIRED = "must specify a handler type"
REQUESTS_OVER_LIMIT = "must be less than or equal to {name} limit of {limit}"
UPDATABLE_POD_SPEC_FIELDS = (
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
)
POD_UPDATE_FORBIDDEN = "pod updates may not change fields other than " + ",".join(
    UPDATABLE_POD_SPEC_FIELDS
)
_INT32_MAX = 2**31 - 1
_NON_VOLUME_KEYS = {"name"}


def canonical_quantity(value) -> str:
    """A quantity as resource.Quantity.String() canonicalises it (`2000m` → `2`)."""
    return quantity.canonical(value)


def _quantity(value):
    try:
        return quantity.parse(value)
    except (quantity.InvalidQuantity, ValueError, ArithmeticError):
        return None


def resources(req: dict | None, path: str) -> list[Cause]:
    """validateResourceRequirements: nonnegative quantities, requests ≤ limits."""
    req = req or {}
    causes: list[Cause] = []
    limits, requests = req.get("limits") or {}, req.get("requests") or {}
    for name, value in limits.items():
        n = _quantity(value)
        if n is not None and n < 0:
            causes.append(
                f.invalid(
                    f.key(f"{path}.limits", name),
                    canonical_quantity(value),
                    f.IS_NEGATIVE,
                )
            )
    for name, value in requests.items():
        n = _quantity(value)
        if n is None:
            continue
        if n < 0:
            causes.append(
                f.invalid(
                    f.key(f"{path}.requests", name),
                    canonical_quantity(value),
                    f.IS_NEGATIVE,
                )
            )
        limit = _quantity(limits.get(name)) if name in limits else None
        if limit is not None and n > limit:
            detail = REQUESTS_OVER_LIMIT.format(
                name=name, limit=canonical_quantity(limits[name])
            )
            causes.append(
                f.invalid(f"{path}.requests", canonical_quantity(value), detail)
            )
    return causes


def _port_num_or_name(value, path: str) -> list[Cause]:
    if isinstance(value, str):
        return [f.invalid(path, value, m) for m in meta.port_name(value)]
    return [f.invalid(path, value, m) for m in meta.port_number(value)]


def _handler(handler: dict, path: str) -> list[Cause]:
    causes: list[Cause] = []
    present = [t for t in (*HANDLER_TYPES, "sleep") if handler.get(t) is not None]
    if not present:
        return [f.required(path, HANDLER_REQUIRED)]
    for extra in present[1:]:
        causes.append(
            f.forbidden(f"{path}.{extra}", "may not specify more than 1 handler type")
        )
    kind, spec = present[0], handler[present[0]]
    if kind == "exec" and not spec.get("command"):
        causes.append(f.required(f"{path}.exec.command"))
    elif kind == "httpGet":
        if not spec.get("path"):
            causes.append(f.required(f"{path}.httpGet.path"))
        causes += _port_num_or_name(spec.get("port", 0), f"{path}.httpGet.port")
        if spec.get("scheme", "") not in ("HTTP", "HTTPS"):
            causes.append(
                f.not_supported(
                    f"{path}.httpGet.scheme", spec.get("scheme", ""), ("HTTP", "HTTPS")
                )
            )
    elif kind == "tcpSocket":
        causes += _port_num_or_name(spec.get("port", 0), f"{path}.tcpSocket.port")
    elif kind == "grpc":
        causes += _port_num_or_name(spec.get("port", 0), f"{path}.grpc.port")
    return causes


def _probe(probe: dict | None, path: str, liveness_like: bool) -> list[Cause]:
    if probe is None:
        return []
    causes = _handler(probe, path)
    for name in (
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ):
        causes += f.nonnegative(f"{path}.{name}", probe.get(name, 0))
    if liveness_like and probe.get("successThreshold", 0) != 1:
        causes.append(
            f.invalid(
                f"{path}.successThreshold",
                probe.get("successThreshold", 0),
                "must be 1",
            )
        )
    return causes


def _container_ports(ports, path: str) -> list[Cause]:
    causes: list[Cause] = []
    names: set[str] = set()
    for i, port in enumerate(ports or []):
        p = f.index(path, i)
        name = port.get("name") or ""
        if name:
            msgs = meta.port_name(name)
            if msgs:
                causes += [f.invalid(f"{p}.name", name, m) for m in msgs]
            elif name in names:
                causes.append(f.duplicate(f"{p}.name", name))
            names.add(name)
        cp = port.get("containerPort", 0)
        if cp == 0:
            causes.append(f.required(f"{p}.containerPort"))
        else:
            causes += [
                f.invalid(f"{p}.containerPort", cp, m) for m in meta.port_number(cp)
            ]
        hp = port.get("hostPort", 0)
        if hp:
            causes += [f.invalid(f"{p}.hostPort", hp, m) for m in meta.port_number(hp)]
        protocol = port.get("protocol", "")
        if not protocol:
            causes.append(f.required(f"{p}.protocol"))
        elif protocol not in PORT_PROTOCOLS:
            causes.append(f.not_supported(f"{p}.protocol", protocol, PORT_PROTOCOLS))
    return causes


def _env(env, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for i, var in enumerate(env or []):
        p = f.index(path, i)
        name = var.get("name") or ""
        if not name:
            causes.append(f.required(f"{p}.name"))
        elif any(ord(c) > 126 or ord(c) < 32 or c == "=" for c in name):
            causes.append(
                f.invalid(
                    f"{p}.name",
                    name,
                    "a valid environment variable name must consist only of printable ASCII "
                    "characters other than '='",
                )
            )
        source = var.get("valueFrom")
        if source is not None:
            if var.get("value"):
                causes.append(
                    f.invalid(
                        f"{p}.valueFrom",
                        "",
                        "may not be specified when `value` is not empty",
                    )
                )
            if len([k for k, v in source.items() if v is not None]) > 1:
                causes.append(
                    f.invalid(
                        f"{p}.valueFrom",
                        "",
                        "may not have more than one field specified at a time",
                    )
                )
    return causes


def _volume_mounts(mounts, volumes: set[str], path: str) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, mount in enumerate(mounts or []):
        p = f.index(path, i)
        name, mount_path = mount.get("name") or "", mount.get("mountPath") or ""
        if not name:
            causes.append(f.required(f"{p}.name"))
        elif name not in volumes:
            causes.append(f.not_found(f"{p}.name", name))
        if not mount_path:
            causes.append(f.required(f"{p}.mountPath"))
        elif mount_path in seen:
            causes.append(f.invalid(f"{p}.mountPath", mount_path, "must be unique"))
        seen.add(mount_path)
    return causes


def _container_common(c: dict, volumes: set[str], path: str) -> list[Cause]:
    causes: list[Cause] = []
    name = c.get("name") or ""
    if not name:
        causes.append(f.required(f"{path}.name"))
    else:
        causes += [f.invalid(f"{path}.name", name, m) for m in meta.dns1123_label(name)]
    if not c.get("image"):
        causes.append(f.required(f"{path}.image"))
    policy = c.get("terminationMessagePolicy") or ""
    if not policy:
        causes.append(f.required(f"{path}.terminationMessagePolicy"))
    elif policy not in TERMINATION_MESSAGE_POLICIES:
        causes.append(
            f.not_supported(
                f"{path}.terminationMessagePolicy", policy, TERMINATION_MESSAGE_POLICIES
            )
        )
    causes += _container_ports(c.get("ports"), f"{path}.ports")
    causes += _env(c.get("env"), f"{path}.env")
    causes += _volume_mounts(c.get("volumeMounts"), volumes, f"{path}.volumeMounts")
    pull = c.get("imagePullPolicy") or ""
    if not pull:
        causes.append(f.required(f"{path}.imagePullPolicy"))
    elif pull not in PULL_POLICIES:
        causes.append(
            f.not_supported(f"{path}.imagePullPolicy", pull, sorted(PULL_POLICIES))
        )
    causes += resources(c.get("resources"), f"{path}.resources")
    return causes


def _containers(containers, volumes: set[str], path: str) -> list[Cause]:
    if not containers:
        return [f.required(path)]
    causes: list[Cause] = []
    names: set[str] = set()
    for i, c in enumerate(containers):
        p = f.index(path, i)
        causes += _container_common(c, volumes, p)
        if c.get("name", "") in names:
            causes.append(f.duplicate(f"{p}.name", c.get("name", "")))
        names.add(c.get("name", ""))
        causes += _probe(c.get("livenessProbe"), f"{p}.livenessProbe", True)
        causes += _probe(c.get("readinessProbe"), f"{p}.readinessProbe", False)
        causes += _probe(c.get("startupProbe"), f"{p}.startupProbe", True)
        if c.get("restartPolicy") is not None:
            causes.append(
                f.forbidden(
                    f"{p}.restartPolicy", "may not be set for non-init containers"
                )
            )
    return causes


def _init_containers(init, containers, volumes: set[str], path: str) -> list[Cause]:
    causes: list[Cause] = []
    names = {c.get("name", "") for c in containers or []}
    for i, c in enumerate(init or []):
        p = f.index(path, i)
        causes += _container_common(c, volumes, p)
        restart = c.get("restartPolicy")
        if restart is not None and restart != "Always":
            causes.append(f.not_supported(f"{p}.restartPolicy", restart, ("Always",)))
        if c.get("name", "") in names:
            causes.append(f.duplicate(f"{p}.name", c.get("name", "")))
        elif c.get("name"):
            names.add(c["name"])
        if restart != "Always":
            for probe in (
                "lifecycle",
                "livenessProbe",
                "readinessProbe",
                "startupProbe",
            ):
                if c.get(probe) is not None:
                    causes.append(
                        f.forbidden(
                            f"{p}.{probe}",
                            "may not be set for init containers without restartPolicy=Always",
                        )
                    )
    return causes


def _volumes(volumes, path: str) -> tuple[set[str], list[Cause]]:
    causes: list[Cause] = []
    names: set[str] = set()
    for i, vol in enumerate(volumes or []):
        p = f.index(path, i)
        sources = [
            k for k, v in vol.items() if k not in _NON_VOLUME_KEYS and v is not None
        ]
        if not sources:
            causes.append(f.required(p, VOLUME_REQUIRED))
        for extra in sources[1:]:
            causes.append(
                f.forbidden(f"{p}.{extra}", "may not specify more than 1 volume type")
            )
        name = vol.get("name") or ""
        if not name:
            causes.append(f.required(f"{p}.name"))
        else:
            causes += [
                f.invalid(f"{p}.name", name, m) for m in meta.dns1123_label(name)
            ]
        if name in names:
            causes.append(f.duplicate(f"{p}.name", name))
        names.add(name)
    return names, causes


def tolerations(values, path: str) -> list[Cause]:
    """ValidateTolerations."""
    causes: list[Cause] = []
    for i, t in enumerate(values or []):
        p = f.index(path, i)
        key, op, value = (
            t.get("key") or "",
            t.get("operator") or "",
            t.get("value") or "",
        )
        effect = t.get("effect") or ""
        if key:
            causes += [f.invalid(f"{p}.key", key, m) for m in meta.qualified_name(key)]
        if not key and op != "Exists":
            causes.append(
                f.invalid(
                    f"{p}.operator",
                    op,
                    'operator must be Exists when `key` is empty, which means "match all values and all keys"',
                )
            )
        if t.get("tolerationSeconds") is not None and effect != "NoExecute":
            causes.append(
                f.invalid(
                    f"{p}.effect",
                    effect,
                    "effect must be 'NoExecute' when `tolerationSeconds` is set",
                )
            )
        if op in ("Equal", ""):
            msgs = meta.label_value(value)
            if msgs:
                causes.append(f.invalid(f"{p}.operator", value, ";".join(msgs)))
        elif op == "Exists":
            if value:
                causes.append(
                    f.invalid(
                        f"{p}.operator",
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    )
                )
        else:
            causes.append(f.not_supported(f"{p}.operator", op, ("Equal", "Exists")))
        if effect and effect not in TAINT_EFFECTS:
            causes.append(f.not_supported(f"{p}.effect", effect, TAINT_EFFECTS))
    return causes


def pod_spec(spec: dict, path: str) -> list[Cause]:
    """ValidatePodSpec."""
    causes: list[Cause] = []
    if spec.get("terminationGracePeriodSeconds") is None:
        causes.append(f.required(f"{path}.terminationGracePeriodSeconds"))
    volumes, vol_causes = _volumes(spec.get("volumes"), f"{path}.volumes")
    causes += vol_causes
    causes += _containers(spec.get("containers"), volumes, f"{path}.containers")
    causes += _init_containers(
        spec.get("initContainers"),
        spec.get("containers"),
        volumes,
        f"{path}.initContainers",
    )
    restart = spec.get("restartPolicy") or ""
    if not restart:
        causes.append(f.required(f"{path}.restartPolicy"))
    elif restart not in RESTART_POLICIES:
        causes.append(
            f.not_supported(f"{path}.restartPolicy", restart, RESTART_POLICIES)
        )
    dns = spec.get("dnsPolicy") or ""
    if not dns:
        causes.append(f.required(f"{path}.dnsPolicy"))
    elif dns not in DNS_POLICIES:
        causes.append(f.not_supported(f"{path}.dnsPolicy", dns, DNS_POLICIES))
    causes += meta.labels(spec.get("nodeSelector"), f"{path}.nodeSelector")
    for field_name, check in (
        ("serviceAccountName", meta.SUBDOMAIN_NAME),
        ("nodeName", meta.SUBDOMAIN_NAME),
    ):
        value = spec.get(field_name) or ""
        if value:
            causes += [
                f.invalid(f"{path}.{field_name}", value, m) for m in check(value, False)
            ]
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and not 1 <= deadline <= _INT32_MAX:
        causes.append(
            f.invalid(
                f"{path}.activeDeadlineSeconds",
                deadline,
                f"must be between 1 and {_INT32_MAX}, inclusive",
            )
        )
    for field_name in ("hostname", "subdomain"):
        value = spec.get(field_name) or ""
        if value:
            causes += [
                f.invalid(f"{path}.{field_name}", value, m)
                for m in meta.dns1123_label(value)
            ]
    causes += tolerations(spec.get("tolerations"), f"{path}.tolerations")
    pc = spec.get("priorityClassName") or ""
    if pc:
        causes += [
            f.invalid(f"{path}.priorityClassName", pc, m)
            for m in meta.SUBDOMAIN_NAME(pc, False)
        ]
    return causes


def pod_template(template: dict | None, path: str) -> list[Cause]:
    """ValidatePodTemplateSpec: template labels, annotations and pod spec."""
    template = template or {}
    tmeta = template.get("metadata") or {}
    causes = meta.labels(tmeta.get("labels"), f"{path}.labels")
    causes += meta.annotations(tmeta.get("annotations"), f"{path}.annotations")
    spec = template.get("spec") or {}
    causes += pod_spec(spec, f"{path}.spec")
    if spec.get("ephemeralContainers"):
        causes.append(
            f.forbidden(
                f"{path}.spec.ephemeralContainers",
                "ephemeral containers not allowed in pod template",
            )
        )
    return causes


def validate_pod(pod: dict) -> list[Cause]:
    """ValidatePodCreate."""
    spec = pod.get("spec") or {}
    causes = meta.object_meta(pod, True)
    causes += pod_spec(spec, "spec")
    for i, c in enumerate(spec.get("containers") or []):
        image = c.get("image") or ""
        if image != image.strip():
            causes.append(
                f.invalid(
                    f"spec.containers[{i}].image",
                    image,
                    "must not have leading or trailing whitespace",
                )
            )
    if spec.get("ephemeralContainers"):
        causes.append(
            f.forbidden("spec.ephemeralContainers", "cannot be set on create")
        )
    return causes


def _tolerations_only_added(new, old, path: str) -> list[Cause]:
    for t in old or []:
        base = {k: v for k, v in t.items() if k != "tolerationSeconds"}
        if not any(
            {k: v for k, v in n.items() if k != "tolerationSeconds"} == base
            for n in new or []
        ):
            return [
                f.forbidden(
                    path,
                    "existing toleration can not be modified except its tolerationSeconds",
                )
            ]
    return []


def spec_diff(old, new, path: str = "") -> list[str]:
    """Lines naming each changed field, in the spirit of the go-cmp diff kube prints."""
    if isinstance(old, dict) and isinstance(new, dict):
        lines: list[str] = []
        for k in list(old) + [k for k in new if k not in old]:
            lines += spec_diff(old.get(k), new.get(k), f"{path}.{k}" if path else k)
        return lines
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        lines = []
        for i, (a, b) in enumerate(zip(old, new)):
            lines += spec_diff(a, b, f"{path}[{i}]")
        return lines
    if old == new:
        return []
    return [f"- \t{path}: {f.go_repr(old)}", f"+ \t{path}: {f.go_repr(new)}"]


def validate_pod_update(pod: dict, old: dict) -> list[Cause]:
    """ValidatePodUpdate: only images, activeDeadlineSeconds and tolerations may change."""
    spec, old_spec = pod.get("spec") or {}, old.get("spec") or {}
    causes = meta.object_meta_update(pod, old)
    causes += validate_pod(pod)
    causes = [c for c in causes if c.field != "spec.ephemeralContainers"]
    for field_name in ("containers", "initContainers"):
        new_c, old_c = spec.get(field_name) or [], old_spec.get(field_name) or []
        if len(new_c) != len(old_c):
            causes.append(
                f.forbidden(
                    f"spec.{field_name}", "pod updates may not add or remove containers"
                )
            )
            return causes
    deadline, old_deadline = (
        spec.get("activeDeadlineSeconds"),
        old_spec.get("activeDeadlineSeconds"),
    )
    if deadline is not None:
        if deadline < 0 or deadline > _INT32_MAX:
            causes.append(
                f.invalid(
                    "spec.activeDeadlineSeconds",
                    deadline,
                    f"must be between 0 and {_INT32_MAX}, inclusive",
                )
            )
            return causes
        if old_deadline is not None and old_deadline < deadline:
            causes.append(
                f.invalid(
                    "spec.activeDeadlineSeconds",
                    deadline,
                    "must be less than or equal to previous value",
                )
            )
            return causes
    elif old_deadline is not None:
        causes.append(
            f.invalid(
                "spec.activeDeadlineSeconds",
                None,
                "must not update from a positive integer to nil value",
            )
        )
    causes += _tolerations_only_added(
        spec.get("tolerations"), old_spec.get("tolerations"), "spec.tolerations"
    )
    if spec == old_spec:
        return causes
    munged = dict(spec)
    for field_name in ("containers", "initContainers"):
        if field_name in munged:
            munged[field_name] = [
                {**c, "image": o.get("image")}
                for c, o in zip(munged[field_name], old_spec.get(field_name) or [])
            ]
    for field_name in ("activeDeadlineSeconds", "tolerations", "schedulingGates"):
        munged.pop(field_name, None)
        if field_name in old_spec:
            munged[field_name] = old_spec[field_name]
    old_grace = old_spec.get("terminationGracePeriodSeconds")
    if (
        old_grace is not None
        and old_grace < 0
        and munged.get("terminationGracePeriodSeconds") == 1
    ):
        munged["terminationGracePeriodSeconds"] = old_grace
    if munged != old_spec:
        diff = "\n".join(["  core.PodSpec{", *spec_diff(old_spec, munged), "  }"])
        causes.append(f.forbidden("spec", f"{POD_UPDATE_FORBIDDEN}\n{diff}\n"))
    return causes
