"""A tiny shell for `kubectl exec`: the commands students run to look inside a pod.

Which binaries exist depends on the image (nginx has curl but no ps; busybox has
wget and nslookup but no curl). A binary that is not there fails the way
containerd does, and kubectl prints that error and exits 1.
"""

from __future__ import annotations

import base64
import json
import shlex
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cluster.nodes import access_log, dns, images, traffic

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
OCI_NOT_FOUND = (
    "Internal error occurred: error executing command in container: failed to exec in "
    'container: failed to start exec "{exec_id}": OCI runtime exec failed: exec failed: '
    'unable to start container process: exec: "{name}": executable file not found in $PATH: unknown'
)
SH_NOT_FOUND = {"busybox": "sh: {name}: not found", "alpine": "sh: {name}: not found"}
DASH_NOT_FOUND = "sh: 1: {name}: not found"
CAT_MISSING = {
    "busybox": "cat: can't open '{path}': No such file or directory",
    "alpine": "cat: can't open '{path}': No such file or directory",
}
GNU_CAT_MISSING = "cat: {path}: No such file or directory"
WGET_BAD_ADDRESS = "wget: bad address '{host}'"
WGET_REFUSED = "wget: can't connect to remote host ({ip}): Connection refused"
WGET_TIMEOUT = "wget: download timed out"

_BASE = {
    "sh",
    "env",
    "printenv",
    "hostname",
    "cat",
    "ls",
    "echo",
    "pwd",
    "whoami",
    "date",
    "true",
    "false",
}
TOOLS = {
    "nginx": _BASE | {"bash", "curl"},
    "debian": _BASE | {"bash"},
    "busybox": _BASE | {"wget", "nslookup", "ps"},
    "alpine": _BASE | {"wget", "nslookup", "ps"},
    "alpine-curl": _BASE | {"wget", "nslookup", "ps", "curl"},
    "none": set(),
}
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ROOT_DIRS = [
    "bin",
    "dev",
    "etc",
    "home",
    "lib",
    "proc",
    "root",
    "run",
    "sys",
    "tmp",
    "usr",
    "var",
]


@dataclass
class ExecResult:
    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    # A runtime failure (the Status message on the error channel), "" when the process ran.
    error: str = ""

    def status(self) -> dict:
        """The Status written on channel 3 when the stream ends."""
        if self.error:
            return {
                "metadata": {},
                "status": "Failure",
                "message": self.error,
                "reason": "InternalError",
                "code": 500,
            }
        if self.exit_code == 0:
            return {"metadata": {}, "status": "Success"}
        return {
            "metadata": {},
            "status": "Failure",
            "message": f"command terminated with non-zero exit code: error executing command [{self.exit_code}]",
            "reason": "NonZeroExitCode",
            "details": {
                "causes": [{"reason": "ExitCode", "message": str(self.exit_code)}]
            },
        }


@dataclass
class ExecContext:
    pod: dict
    container: str
    view: traffic.View
    now: float
    rng: object
    objects: dict = field(
        default_factory=dict
    )  # "configmap/ns/name" | "secret/ns/name" -> data (decoded)
    # The cluster the shell runs in, and the requests its curl or wget got answered,
    # for the session to write into the serving containers' logs.
    cluster_id: int | None = None
    served: list = field(default_factory=list)

    @property
    def spec(self) -> dict:
        return next(
            c for c in self.pod["spec"]["containers"] if c["name"] == self.container
        )

    @property
    def image(self) -> images.Image:
        return images.lookup_name(self.spec.get("image", ""))

    @property
    def ns(self) -> str:
        return self.pod["metadata"].get("namespace", "default")


def run(ctx: ExecContext, argv: list[str]) -> ExecResult:
    """Run one `kubectl exec -- argv` in the pod's container."""
    if not argv:
        return ExecResult(
            stderr="error: you must specify at least one command for the container\n",
            exit_code=1,
        )
    name = argv[0].rsplit("/", 1)[-1]
    if name not in TOOLS.get(ctx.image.tools, _BASE):
        exec_id = f"{ctx.rng.getrandbits(256):064x}"
        return ExecResult(
            exit_code=1, error=OCI_NOT_FOUND.format(exec_id=exec_id, name=argv[0])
        )
    if name in ("sh", "bash") and len(argv) >= 3 and argv[1] == "-c":
        return _script(ctx, argv[2])
    if name in ("sh", "bash"):
        return ExecResult()
    return _command(ctx, argv)


def _script(ctx: ExecContext, script: str) -> ExecResult:
    out = ExecResult()
    for part in [p.strip() for p in script.replace("&&", ";").split(";") if p.strip()]:
        try:
            words = shlex.split(part)
        except ValueError:
            words = part.split()
        name = words[0].rsplit("/", 1)[-1]
        if name not in TOOLS.get(ctx.image.tools, _BASE):
            template = SH_NOT_FOUND.get(ctx.image.tools, DASH_NOT_FOUND)
            out.stderr += template.format(name=words[0]) + "\n"
            out.exit_code = 127
            continue
        r = _command(ctx, words)
        out.stdout += r.stdout
        out.stderr += r.stderr
        out.exit_code = r.exit_code
    return out


def _command(ctx: ExecContext, words: list[str]) -> ExecResult:
    name, args = words[0].rsplit("/", 1)[-1], words[1:]
    if name in ("env", "printenv"):
        env = environment(ctx)
        if args:
            vals = [env[a] for a in args if a in env]
            return ExecResult(
                stdout="".join(v + "\n" for v in vals), exit_code=0 if vals else 1
            )
        return ExecResult(stdout="".join(f"{k}={v}\n" for k, v in env.items()))
    if name == "hostname":
        return ExecResult(stdout=ctx.pod["metadata"]["name"] + "\n")
    if name == "echo":
        return ExecResult(stdout=" ".join(_expand(a, ctx) for a in args) + "\n")
    if name == "pwd":
        return ExecResult(stdout=(ctx.spec.get("workingDir") or "/") + "\n")
    if name == "whoami":
        return ExecResult(stdout="root\n")
    if name == "date":
        return ExecResult(
            stdout=datetime.fromtimestamp(ctx.now, UTC).strftime(
                "%a %b %d %H:%M:%S UTC %Y"
            )
            + "\n"
        )
    if name in ("true", "false"):
        return ExecResult(exit_code=0 if name == "true" else 1)
    if name == "cat":
        return _cat(ctx, args)
    if name == "ls":
        return _ls(ctx, [a for a in args if not a.startswith("-")])
    if name == "ps":
        lines = [
            "PID   USER     TIME  COMMAND",
            f"    1 root      0:00 {ctx.image.process or 'sh'}",
            "   12 root      0:00 ps",
        ]
        return ExecResult(stdout="\n".join(lines) + "\n")
    if name == "nslookup":
        if not args:
            return ExecResult(
                stderr="BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n",
                exit_code=1,
            )
        text, code = dns.nslookup(
            args[-1], ctx.ns, ctx.view.services, ctx.view.endpoint_slices, ctx.view.pods
        )
        return ExecResult(stdout=text, exit_code=code)
    if name in ("curl", "wget"):
        return _http(ctx, name, args)
    return ExecResult(
        stderr=f"{name}: not implemented in this simulation\n", exit_code=1
    )


def _expand(word: str, ctx: ExecContext) -> str:
    if word.startswith("$"):
        return environment(ctx).get(word.strip("${}"), "")
    return word


def _http(ctx: ExecContext, tool: str, args: list[str]) -> ExecResult:
    url = next(
        (a for a in args if not a.startswith("-") and a not in ("GET", "POST")), ""
    )
    agent = access_log.user_agent(tool, ctx.spec.get("image", ""))
    trace = traffic.send_request(
        ctx.view, {"pod": ctx.pod}, url, ctx.rng, ctx.now, agent=agent
    )
    if trace.ok and trace.pod:
        ctx.served.append(trace)
    if tool == "curl":
        if not trace.ok:
            silent = any(a in ("-s", "--silent") for a in args) and not any(
                a in ("-S", "-sS") for a in args
            )
            return ExecResult(
                stderr="" if silent else trace.error + "\n", exit_code=trace.exit_code
            )
        return ExecResult(stdout=trace.body)
    if not trace.ok:
        host = trace.request.get("host", "")
        if trace.exit_code == traffic.EXIT_RESOLVE:
            return ExecResult(
                stderr=WGET_BAD_ADDRESS.format(host=host) + "\n", exit_code=1
            )
        if trace.exit_code == traffic.EXIT_REFUSED:
            return ExecResult(stderr=WGET_REFUSED.format(ip=host) + "\n", exit_code=1)
        return ExecResult(stderr=WGET_TIMEOUT + "\n", exit_code=1)
    if trace.status and trace.status >= 400:
        return ExecResult(
            stderr=f"wget: server returned error: HTTP/1.1 {trace.status} Not Found\n",
            exit_code=1,
        )
    quiet = any(a in ("-q", "-qO-", "-qO") for a in args) or "-q" in "".join(args)
    err = (
        ""
        if quiet
        else f"Connecting to {trace.request.get('host')}\nwriting to stdout\n-                    100% |********************************|   {len(trace.body)}  0:00:00 ETA\nwritten to stdout\n"
    )
    return ExecResult(stdout=trace.body, stderr=err)


def environment(ctx: ExecContext) -> dict:
    """The process environment: PATH, HOSTNAME, the pod's env, service links, image ENV, HOME."""
    env = {"PATH": DEFAULT_PATH, "HOSTNAME": ctx.pod["metadata"]["name"]}
    for e in ctx.spec.get("envFrom") or []:
        src = e.get("configMapRef") or e.get("secretRef") or {}
        kind = "configmap" if "configMapRef" in e else "secret"
        for k, v in (
            ctx.objects.get(f"{kind}/{ctx.ns}/{src.get('name')}") or {}
        ).items():
            env[e.get("prefix", "") + k] = v
    for e in ctx.spec.get("env") or []:
        env[e["name"]] = _env_value(ctx, e)
    env.update(service_links(ctx))
    for k, v in ctx.image.env:
        env.setdefault(k, v)
    env.setdefault("HOME", "/root")
    return env


def _env_value(ctx: ExecContext, e: dict) -> str:
    if "value" in e:
        return str(e["value"])
    vf = e.get("valueFrom") or {}
    if "configMapKeyRef" in vf or "secretKeyRef" in vf:
        ref = vf.get("configMapKeyRef") or vf.get("secretKeyRef")
        kind = "configmap" if "configMapKeyRef" in vf else "secret"
        return (ctx.objects.get(f"{kind}/{ctx.ns}/{ref.get('name')}") or {}).get(
            ref.get("key"), ""
        )
    if "fieldRef" in vf:
        path = vf["fieldRef"].get("fieldPath", "")
        meta, status, spec = (
            ctx.pod["metadata"],
            ctx.pod.get("status") or {},
            ctx.pod.get("spec") or {},
        )
        simple = {
            "metadata.name": meta.get("name"),
            "metadata.namespace": meta.get("namespace"),
            "metadata.uid": meta.get("uid"),
            "spec.nodeName": spec.get("nodeName"),
            "spec.serviceAccountName": spec.get("serviceAccountName", "default"),
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
        return str(((ctx.spec.get("resources") or {}).get(kind) or {}).get(r, "0"))
    return ""


def service_links(ctx: ExecContext) -> dict:
    """Docker-link style variables for services that existed when the container started."""
    from cluster.simtime import parse_rfc3339

    started = None
    for s in (ctx.pod.get("status") or {}).get("containerStatuses") or []:
        if s["name"] == ctx.container and "running" in (s.get("state") or {}):
            started = parse_rfc3339(s["state"]["running"].get("startedAt"))
    links = (ctx.pod.get("spec") or {}).get("enableServiceLinks", True)
    env: dict = {}
    for svc in sorted(ctx.view.services, key=lambda s: s["metadata"]["name"]):
        meta, spec = svc["metadata"], svc.get("spec") or {}
        master = meta.get("namespace") == "default" and meta["name"] == "kubernetes"
        if not master and (not links or meta.get("namespace") != ctx.ns):
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


def files(ctx: ExecContext) -> dict[str, str]:
    """The readable files: kubelet-managed ones, the token and mounted ConfigMaps/Secrets."""
    meta, spec, status = (
        ctx.pod["metadata"],
        ctx.pod.get("spec") or {},
        ctx.pod.get("status") or {},
    )
    name, ip = meta["name"], status.get("podIP", "")
    host_line = f"{ip}\t{name}"
    if spec.get("hostname") and spec.get("subdomain"):
        host_line = f"{ip}\t{spec['hostname']}.{spec['subdomain']}.{ctx.ns}.svc.{dns.CLUSTER_DOMAIN}\t{spec['hostname']}"
    out = {
        "/etc/hostname": name + "\n",
        "/etc/resolv.conf": dns.resolv_conf(ctx.ns),
        "/etc/hosts": "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
        + host_line
        + "\n",
    }
    if spec.get("automountServiceAccountToken", True) is not False:
        out[f"{SA_DIR}/namespace"] = ctx.ns
        out[f"{SA_DIR}/ca.crt"] = _CA
        out[f"{SA_DIR}/token"] = _token(ctx)
    if ctx.image.body == "nginx":
        from cluster.nodes.responses import NGINX_WELCOME

        out["/usr/share/nginx/html/index.html"] = NGINX_WELCOME
    volumes = {v["name"]: v for v in spec.get("volumes") or []}
    for m in ctx.spec.get("volumeMounts") or []:
        v = volumes.get(m["name"]) or {}
        for field_, kind, key in (
            ("configMap", "configmap", "name"),
            ("secret", "secret", "secretName"),
        ):
            if field_ not in v:
                continue
            data = ctx.objects.get(f"{kind}/{ctx.ns}/{v[field_].get(key)}") or {}
            items = v[field_].get("items")
            mapping = (
                {i["key"]: i["path"] for i in items} if items else {k: k for k in data}
            )
            for k, path in mapping.items():
                if k in data:
                    target = f"{m['mountPath'].rstrip('/')}/{path}"
                    if m.get("subPath"):
                        target = m["mountPath"] if m["subPath"] == path else None
                    if target:
                        out[target] = data[k]
    return out


def _cat(ctx: ExecContext, args: list[str]) -> ExecResult:
    fs = files(ctx)
    res = ExecResult()
    for path in args:
        if path in fs:
            res.stdout += fs[path]
        else:
            res.stderr += (
                CAT_MISSING.get(ctx.image.tools, GNU_CAT_MISSING).format(path=path)
                + "\n"
            )
            res.exit_code = 1
    return res


def _ls(ctx: ExecContext, args: list[str]) -> ExecResult:
    path = (args[0] if args else (ctx.spec.get("workingDir") or "/")).rstrip("/") or "/"
    fs = files(ctx)
    if path == "/":
        return ExecResult(stdout="\n".join(ROOT_DIRS) + "\n")
    if path in fs:
        return ExecResult(stdout=path + "\n")
    children = sorted(
        {p[len(path) + 1 :].split("/")[0] for p in fs if p.startswith(path + "/")}
    )
    if not children:
        return ExecResult(
            stderr=f"ls: {path}: No such file or directory\n"
            if ctx.image.tools in ("busybox", "alpine")
            else f"ls: cannot access '{path}': No such file or directory\n",
            exit_code=1 if ctx.image.tools in ("busybox", "alpine") else 2,
        )
    return ExecResult(stdout="\n".join(children) + "\n")


def _b64(obj) -> str:
    return (
        base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode())
        .decode()
        .rstrip("=")
    )


def _token(ctx: ExecContext) -> str:
    """A bound service account token (its signature is not real)."""
    meta = ctx.pod["metadata"]
    sa = (ctx.pod.get("spec") or {}).get("serviceAccountName", "default")
    iat = int(ctx.now)
    claims = {
        "aud": ["https://kubernetes.default.svc.cluster.local"],
        "exp": iat + 3607,
        "iat": iat,
        "iss": "https://kubernetes.default.svc.cluster.local",
        "kubernetes.io": {
            "namespace": ctx.ns,
            "pod": {"name": meta["name"], "uid": meta.get("uid", "")},
            "serviceaccount": {"name": sa, "uid": ""},
        },
        "nbf": iat,
        "sub": f"system:serviceaccount:{ctx.ns}:{sa}",
    }
    sig = (
        base64.urlsafe_b64encode(f"{ctx.rng.getrandbits(512):0128x}".encode())
        .decode()
        .rstrip("=")[:342]
    )
    return f"{_b64({'alg': 'RS256', 'kid': 'kubelab'})}.{_b64(claims)}.{sig}"


_CA = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDBTCCAe2gAwIBAgIIKubelabSimulatedCAwDQYJKoZIhvcNAQELBQAwFTETMBEG\n"
    "A1UEAxMKa3ViZXJuZXRlczAeFw0yNDAxMDEwMDAwMDBaFw0zNDAxMDEwMDAwMDBa\n"
    "MBUxEzARBgNVBAMTCmt1YmVybmV0ZXMwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAw\n"
    "-----END CERTIFICATE-----\n"
)
