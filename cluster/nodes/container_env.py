"""A container's environment, as the kubelet builds it and as its process sees it.

The kubelet gives a container its service links, then `envFrom`, then `env` (later
ones win, links never override), expanding `$(VAR)` in values and in command/args
from what is defined so far. The process also inherits the image's ENV, PATH,
HOSTNAME and HOME. ConfigMap and Secret data come in `objects`, keyed
`configmap/<ns>/<name>` and `secret/<ns>/<name>`, already decoded.
"""

from __future__ import annotations

from cluster.nodes import images
from cluster.simtime import parse_rfc3339

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def kubelet_env(
    pod: dict, spec: dict, objects: dict | None = None, services=()
) -> dict[str, str]:
    """The variables the kubelet sets for a container (no image ENV)."""
    objects = objects or {}
    ns = pod["metadata"].get("namespace", "default")
    env: dict[str, str] = {}
    links = service_links(pod, spec["name"], services) if services else {}
    for e in spec.get("envFrom") or []:
        src = e.get("configMapRef") or e.get("secretRef") or {}
        kind = "configmap" if "configMapRef" in e else "secret"
        for k, v in (objects.get(f"{kind}/{ns}/{src.get('name')}") or {}).items():
            env[e.get("prefix", "") + k] = v
    for e in spec.get("env") or []:
        if "value" in e:
            env[e["name"]] = expand_references(str(e["value"]), {**links, **env})
        else:
            env[e["name"]] = _env_value(pod, spec, objects, e)
    for k, v in links.items():
        env.setdefault(k, v)
    return env


def process_env(
    pod: dict,
    spec: dict,
    image: images.Image,
    objects: dict | None = None,
    services=(),
) -> dict[str, str]:
    """What `env` prints in the container: PATH, HOSTNAME, the kubelet's variables,
    the image's ENV and HOME."""
    env = {"PATH": DEFAULT_PATH, "HOSTNAME": pod["metadata"]["name"]}
    env.update(kubelet_env(pod, spec, objects, services))
    for k, v in image.env:
        env.setdefault(k, v)
    env.setdefault("HOME", "/root")
    return env


def expand_references(text: str, env: dict[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion: a defined VAR is replaced, an undefined one
    stays as written, `$$` is a literal `$`, any other `$` is left alone."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "$" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "(":
            close = text.find(")", i + 2)
            if close < 0:
                out.append("$(")
                i += 2
                continue
            name = text[i + 2 : close]
            out.append(env.get(name, f"$({name})"))
            i = close + 1
        else:
            out.append("$" + nxt)
            i += 2
    return "".join(out)


def _env_value(pod: dict, spec: dict, objects: dict, e: dict) -> str:
    ns = pod["metadata"].get("namespace", "default")
    vf = e.get("valueFrom") or {}
    if "configMapKeyRef" in vf or "secretKeyRef" in vf:
        ref = vf.get("configMapKeyRef") or vf.get("secretKeyRef")
        kind = "configmap" if "configMapKeyRef" in vf else "secret"
        return (objects.get(f"{kind}/{ns}/{ref.get('name')}") or {}).get(
            ref.get("key"), ""
        )
    if "fieldRef" in vf:
        path = vf["fieldRef"].get("fieldPath", "")
        meta, status, pod_spec = (
            pod["metadata"],
            pod.get("status") or {},
            pod.get("spec") or {},
        )
        simple = {
            "metadata.name": meta.get("name"),
            "metadata.namespace": meta.get("namespace"),
            "metadata.uid": meta.get("uid"),
            "spec.nodeName": pod_spec.get("nodeName"),
            "spec.serviceAccountName": pod_spec.get("serviceAccountName", "default"),
            "status.podIP": status.get("podIP"),
            "status.hostIP": status.get("hostIP"),
        }
        if path in simple:
            return str(simple[path] or "")
        if path.startswith("metadata.labels['"):
            return (meta.get("labels") or {}).get(path[17:-2], "")
        if path.startswith("metadata.annotations['"):
            return (meta.get("annotations") or {}).get(path[22:-2], "")
    if "resourceFieldRef" in vf:
        res = vf["resourceFieldRef"].get("resource", "")
        kind, _, r = res.partition(".")
        return str(((spec.get("resources") or {}).get(kind) or {}).get(r, "0"))
    return ""


def service_links(pod: dict, container: str, services) -> dict:
    """Docker-link style variables for services that existed when the container started."""
    started = None
    for s in (pod.get("status") or {}).get("containerStatuses") or []:
        if s["name"] == container and "running" in (s.get("state") or {}):
            started = parse_rfc3339(s["state"]["running"].get("startedAt"))
    links = (pod.get("spec") or {}).get("enableServiceLinks", True)
    ns = pod["metadata"].get("namespace", "default")
    env: dict = {}
    for svc in sorted(services, key=lambda s: s["metadata"]["name"]):
        meta, spec = svc["metadata"], svc.get("spec") or {}
        master = meta.get("namespace") == "default" and meta["name"] == "kubernetes"
        if not master and (not links or meta.get("namespace") != ns):
            continue
        created = parse_rfc3339(meta.get("creationTimestamp"))
        if started is not None and created is not None and created > started:
            continue
        ip = spec.get("clusterIP")
        if ip in (None, "", "None") or not spec.get("ports"):
            continue
        prefix = meta["name"].upper().replace("-", "_")
        first = spec["ports"][0]
        env[f"{prefix}_SERVICE_HOST"] = ip
        env[f"{prefix}_SERVICE_PORT"] = str(first["port"])
        for p in spec["ports"]:
            if p.get("name"):
                env[f"{prefix}_SERVICE_PORT_{p['name'].upper().replace('-', '_')}"] = (
                    str(p["port"])
                )
        env[f"{prefix}_PORT"] = (
            f"{first.get('protocol', 'TCP').lower()}://{ip}:{first['port']}"
        )
        for p in spec["ports"]:
            proto = p.get("protocol", "TCP")
            base = f"{prefix}_PORT_{p['port']}_{proto}"
            env[base] = f"{proto.lower()}://{ip}:{p['port']}"
            env[f"{base}_PROTO"] = proto.lower()
            env[f"{base}_PORT"] = str(p["port"])
            env[f"{base}_ADDR"] = ip
    return env
