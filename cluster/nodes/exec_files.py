"""The files a `kubectl exec` shell sees, and the commands that read or write them:
`cat`, `ls`, `test` and the `tar` that `kubectl cp` runs.

The tree is computed from the pod (kubelet-managed files, the service account token,
mounted ConfigMaps and Secrets, the image's own files) plus what was written into
the container (`ctx.written`).
"""

from __future__ import annotations

import base64
import json
import posixpath

from cluster.nodes import dns, tar_stream
from cluster.nodes.exec_result import ExecResult

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
CAT_MISSING = {
    "busybox": "cat: can't open '{path}': No such file or directory",
    "alpine": "cat: can't open '{path}': No such file or directory",
}
GNU_CAT_MISSING = "cat: {path}: No such file or directory"
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
# What `kubectl cp` may write into one container (kept in the database).
WRITABLE_LIMIT_BYTES = 2**20


def files(ctx) -> dict[str, str]:
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


def tree(ctx) -> tuple[dict[str, bytes], set[str]]:
    """The container's files (with this session's writes) and its directories."""
    found = {p: c.encode() for p, c in files(ctx).items()}
    found.update(ctx.written)
    dirs = {"/"} | {f"/{d}" for d in ROOT_DIRS}
    for path in found:
        parent = path.rsplit("/", 1)[0]
        while parent and parent not in dirs:
            dirs.add(parent)
            parent = parent.rsplit("/", 1)[0]
    return found, dirs


def _absolute(ctx, path: str) -> str:
    cwd = ctx.spec.get("workingDir") or "/"
    return posixpath.normpath(posixpath.join(cwd, path)) if path else cwd


def cat(ctx, args: list[str]) -> ExecResult:
    fs, _ = tree(ctx)
    res = ExecResult()
    for path in args:
        content = fs.get(_absolute(ctx, path))
        if content is not None:
            res.stdout += content.decode("utf-8", "replace")
        else:
            res.stderr += (
                CAT_MISSING.get(ctx.image.tools, GNU_CAT_MISSING).format(path=path)
                + "\n"
            )
            res.exit_code = 1
    return res


def ls(ctx, args: list[str]) -> ExecResult:
    """`ls [paths...]`: files first, then each directory under a `dir:` header when
    more than one path is named, separated by blank lines, as coreutils and BusyBox do."""
    fs, dirs = tree(ctx)
    named = args or [ctx.spec.get("workingDir") or "/"]
    res = ExecResult()
    listed_files, listed_dirs = [], []
    for given in named:
        path = _absolute(ctx, given)
        if path in fs:
            listed_files.append(given)
        elif path in dirs:
            listed_dirs.append((given, path))
        elif ctx.busybox:
            res.stderr += f"ls: {given}: No such file or directory\n"
            res.exit_code = 1
        else:
            res.stderr += f"ls: cannot access '{given}': No such file or directory\n"
            res.exit_code = 2
    blocks = ["".join(f + "\n" for f in sorted(listed_files))] if listed_files else []
    headers = len(named) > 1
    for given, path in sorted(listed_dirs):
        children = (
            ROOT_DIRS if path == "/" else sorted(_children(path, fs.keys() | dirs))
        )
        body = "".join(c + "\n" for c in children)
        blocks.append(f"{given}:\n{body}" if headers else body)
    res.stdout = "\n".join(blocks)
    return res


def _children(path: str, paths) -> set[str]:
    prefix = path.rstrip("/") + "/"
    return {p[len(prefix) :].split("/")[0] for p in paths if p.startswith(prefix)}


def test(ctx, args: list[str]) -> ExecResult:
    """`test -d/-f/-e path`, `test -n/-z s`, `test a = b`: only the exit status."""
    if len(args) == 2 and args[0] in ("-d", "-f", "-e"):
        fs, dirs = tree(ctx)
        path = _absolute(ctx, args[1])
        found = {"-d": path in dirs, "-f": path in fs}.get(
            args[0], path in fs or path in dirs
        )
        return ExecResult(exit_code=0 if found else 1)
    if len(args) == 2 and args[0] in ("-n", "-z"):
        return ExecResult(exit_code=0 if bool(args[1]) == (args[0] == "-n") else 1)
    if len(args) == 3 and args[1] in ("=", "!="):
        return ExecResult(
            exit_code=0 if (args[0] == args[2]) == (args[1] == "=") else 1
        )
    if len(args) == 1:
        return ExecResult(exit_code=0 if args[0] else 1)
    return ExecResult(exit_code=0 if not args else 2)


def tar(ctx, args: list[str], stdin: bytes) -> ExecResult:
    """`tar cf - paths` to stdout and `tar xf - [-C dir]` from stdin, as kubectl cp
    runs them; other uses of tar are not simulated."""
    flags, rest = tar_options(args)
    fs, dirs = tree(ctx)
    if "c" in flags and flags.get("f") == "-":
        result = tar_stream.create(
            rest, fs, dirs, ctx.now, ctx.busybox, ctx.spec.get("workingDir") or "/"
        )
        return ExecResult(
            stdout=result.data,
            stderr="".join(line + "\n" for line in result.stderr),
            exit_code=result.exit_code,
        )
    if "x" in flags and flags.get("f") == "-":
        target = _absolute(ctx, flags.get("C", ""))
        room = WRITABLE_LIMIT_BYTES - sum(len(c) for c in ctx.written.values())
        result = tar_stream.extract(stdin, target, dirs, ctx.busybox, room)
        ctx.written.update(result.written)
        ctx.dirty = ctx.dirty or bool(result.written)
        return ExecResult(
            stderr="".join(line + "\n" for line in result.stderr),
            exit_code=result.exit_code,
        )
    return ExecResult(
        stderr="tar: only `tar cf -` and `tar xf -` are simulated\n", exit_code=2
    )


def tar_options(args: list[str]) -> tuple[dict[str, str], list[str]]:
    """Read `cf -`, `-xmf -`, `-C dir` and long options into {letter: value}."""
    flags: dict[str, str] = {}
    rest: list[str] = []
    pending: list[str] = []
    for i, arg in enumerate(args):
        if pending:
            flags[pending.pop(0)] = arg
        elif arg.startswith("--"):
            continue  # --no-same-owner and friends change nothing here
        elif arg.startswith("-") and len(arg) > 1 or (i == 0 and arg[:1].isalpha()):
            for letter in arg.lstrip("-"):
                flags[letter] = ""
                if letter in "fC":
                    pending.append(letter)
        else:
            rest.append(arg)
    return flags, rest


def _b64(obj) -> str:
    return (
        base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode())
        .decode()
        .rstrip("=")
    )


def _token(ctx) -> str:
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
