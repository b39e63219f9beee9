"""A tiny shell for `kubectl exec`: the commands students run to look inside a pod.

Which binaries exist depends on the image (nginx has curl but no ps; busybox has
wget and nslookup but no curl). A binary that is not there fails the way
containerd does, and kubectl prints that error and exits 1.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cluster.nodes import (
    access_log,
    container_env,
    curl,
    dns,
    exec_files,
    images,
    nginx_cli,
    shell_script,
    traffic,
    wget,
)
from cluster.nodes.exec_files import SA_DIR  # noqa: F401 (part of this module's API)
from cluster.nodes.exec_result import ExecResult
from cluster.nodes.wget import (  # noqa: F401 (part of this module's API)
    WGET_BAD_ADDRESS,
    WGET_REFUSED,
    WGET_TIMEOUT,
)

OCI_NOT_FOUND = (
    "Internal error occurred: error executing command in container: failed to exec in "
    'container: failed to start exec "{exec_id}": OCI runtime exec failed: exec failed: '
    'unable to start container process: exec: "{name}": executable file not found in $PATH: unknown'
)
# A missing command inside `sh -c`: BusyBox ash, dash (Debian's sh) and bash.
ASH_NOT_FOUND = "sh: {name}: not found"
DASH_NOT_FOUND = "sh: {line}: {name}: not found"
BASH_NOT_FOUND = "bash: line {line}: {name}: command not found"
NOT_FOUND_EXIT_CODE = 127
DASH_ILLEGAL_NUMBER = "sh: {line}: exit: Illegal number: {arg}"
ASH_ILLEGAL_NUMBER = "sh: exit: Illegal number: {arg}"
BASH_NUMERIC_ARGUMENT = "bash: line {line}: exit: {arg}: numeric argument required"
NOT_SIMULATED = "sh: `{op}' is not supported in this simulation"
# Images whose /bin/sh is BusyBox ash.
BUSYBOX_TOOLS = {"busybox", "alpine", "alpine-curl"}

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
    "test",
    "[",
    "tar",
}
TOOLS = {
    "nginx": _BASE | {"bash", "curl", "nginx"},
    "debian": _BASE | {"bash"},
    "busybox": _BASE | {"wget", "nslookup", "ps"},
    "alpine": _BASE | {"wget", "nslookup", "ps"},
    "alpine-curl": _BASE | {"wget", "nslookup", "ps", "curl"},
    "none": set(),
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
    # The files written into the container's writable layer (`tar x`), and whether
    # this session changed them, for the session to keep.
    written: dict[str, bytes] = field(default_factory=dict)
    dirty: bool = False

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

    @property
    def busybox(self) -> bool:
        """Whether the image's /bin/sh and tools are BusyBox's."""
        return self.image.tools in BUSYBOX_TOOLS


def run(ctx: ExecContext, argv: list[str], stdin: bytes = b"") -> ExecResult:
    """Run one `kubectl exec -- argv` in the pod's container."""
    if not argv:
        return ExecResult(
            stderr="error: you must specify at least one command for the container\n",
            exit_code=1,
        )
    name = argv[0].rsplit("/", 1)[-1]
    if not _installed(ctx, name):
        exec_id = f"{ctx.rng.getrandbits(256):064x}"
        return ExecResult(
            exit_code=1, error=OCI_NOT_FOUND.format(exec_id=exec_id, name=argv[0])
        )
    if name in ("sh", "bash") and len(argv) >= 3 and argv[1] == "-c":
        return _script(ctx, argv[2], shell=name)
    if name in ("sh", "bash"):
        return ExecResult()
    return _command(ctx, argv, stdin)


def reads_stdin(argv: list[str]) -> bool:
    """Whether the command consumes its stdin before it can answer (`tar xf -`)."""
    if not argv or argv[0].rsplit("/", 1)[-1] != "tar":
        return False
    flags, _ = exec_files.tar_options(argv[1:])
    return "x" in flags and flags.get("f") == "-"


def _installed(ctx: ExecContext, name: str) -> bool:
    return name in TOOLS.get(ctx.image.tools, _BASE)


def _script(ctx: ExecContext, script: str, shell: str = "sh") -> ExecResult:
    """`sh -c script`: run its commands in order, `&&`/`||` on the last status."""
    out = ExecResult()
    try:
        commands = shell_script.parse(script)
    except shell_script.ScriptSyntaxError as exc:
        message = exc.message(ctx.busybox)
        if shell == "bash":
            message = message.replace("sh: ", "bash: ", 1)
        return ExecResult(
            stderr=message + "\n", exit_code=shell_script.SYNTAX_EXIT_CODE
        )
    env = environment(ctx)
    status = 0

    def lookup(var: str) -> str:
        inner = shell_script.substitution(var)
        if inner is not None:
            # `$(command)`: its stdout without the trailing newlines.
            nested = _script(ctx, inner, shell)
            out.stderr += nested.stderr
            text = nested.stdout
            return text.rstrip("\n") if isinstance(text, str) else ""
        if var == "?":
            return str(status)
        if var == "$":
            return "1"
        if var == "0":
            return shell
        return env.get(var, "")

    for command in commands:
        if (command.op == "&&" and status != 0) or (command.op == "||" and status == 0):
            continue
        if command.unsupported:
            out.stderr += NOT_SIMULATED.format(op=command.unsupported) + "\n"
            out.exit_code = shell_script.SYNTAX_EXIT_CODE
            return out
        words = [f for w in command.words for f in shell_script.expand(w, lookup)]
        if not words:
            continue
        name = words[0].rsplit("/", 1)[-1]
        if name == "exit":
            code = _exit_code(words[1:], status)
            if code is None:
                template = (
                    BASH_NUMERIC_ARGUMENT
                    if shell == "bash"
                    else ASH_ILLEGAL_NUMBER
                    if ctx.busybox
                    else DASH_ILLEGAL_NUMBER
                )
                out.stderr += template.format(line=command.line, arg=words[1]) + "\n"
                code = shell_script.SYNTAX_EXIT_CODE
            out.exit_code, out.exited = code, True
            return out
        if name in _SHELL_BUILTINS or _installed(ctx, name):
            r = _command(ctx, words)
        else:
            r = ExecResult(
                stderr=_not_found(ctx, shell, command.line, words[0]) + "\n",
                exit_code=NOT_FOUND_EXIT_CODE,
            )
        out.stdout += r.stdout if isinstance(r.stdout, str) else ""
        out.stderr += r.stderr
        status = out.exit_code = r.exit_code
    return out


# Commands sh runs itself, whatever the image ships.
_SHELL_BUILTINS = {"echo", "true", "false", "test", "[", "pwd", ":"}


def _not_found(ctx: ExecContext, shell: str, line: int, name: str) -> str:
    if shell == "bash":
        return BASH_NOT_FOUND.format(line=line, name=name)
    if ctx.busybox:
        return ASH_NOT_FOUND.format(name=name)
    return DASH_NOT_FOUND.format(line=line, name=name)


def _exit_code(args: list[str], status: int) -> int | None:
    """`exit [n]`: n modulo 256, the last status without n, None when n is no number."""
    if not args:
        return status
    return int(args[0]) % 256 if args[0].isdigit() else None


def _command(ctx: ExecContext, words: list[str], stdin: bytes = b"") -> ExecResult:
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
        # Without a shell nothing expands `$HOME`: the word arrives as typed.
        if args[:1] == ["-n"]:
            return ExecResult(stdout=" ".join(args[1:]))
        return ExecResult(stdout=" ".join(args) + "\n")
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
    if name in ("true", "false", ":"):
        return ExecResult(exit_code=1 if name == "false" else 0)
    if name in ("test", "["):
        return exec_files.test(
            ctx, args[:-1] if name == "[" and args[-1:] == ["]"] else args
        )
    if name == "tar":
        return exec_files.tar(ctx, args, stdin)
    if name == "cat":
        return exec_files.cat(ctx, args)
    if name == "ls":
        return exec_files.ls(
            ctx, [a for a in args if not a.startswith("-") or a == "-"]
        )
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
    if name == "nginx":
        return nginx_cli.run(ctx.image.version, args, ctx.now)
    return ExecResult(
        stderr=f"{name}: not implemented in this simulation\n", exit_code=1
    )


def _http(ctx: ExecContext, tool: str, args: list[str]) -> ExecResult:
    """`curl` or `wget`: its command line read by its front end, the request sent
    through the simulated network, the files it saves written into the container."""
    agent = access_log.user_agent(tool, ctx.spec.get("image", ""))

    def send(url, method, sent_agent, headers, data) -> traffic.Trace:
        trace = traffic.send_request(
            ctx.view,
            {"pod": ctx.pod},
            url,
            ctx.rng,
            ctx.now,
            method=method,
            agent=sent_agent,
            headers=headers,
            data=data,
        )
        if trace.ok and trace.pod:
            ctx.served.append(trace)
        return trace

    fs, dirs = exec_files.tree(ctx)
    if tool == "curl":
        out = curl.run(
            args,
            lambda r: send(r.target, r.method, r.agent, r.headers, r.data),
            agent,
            writable=lambda path: posixpath.dirname(_path(ctx, path)) in dirs,
        )
    else:
        out = wget.run(
            args,
            send,
            agent,
            exists=lambda path: _path(ctx, path) in fs,
            writable=lambda path: posixpath.dirname(_path(ctx, path)) in dirs,
        )
    for path, content in out.files.items():
        used = sum(len(c) for c in ctx.written.values())
        if used + len(content) <= exec_files.WRITABLE_LIMIT_BYTES:
            ctx.written[_path(ctx, path)] = content
            ctx.dirty = True
    return ExecResult(stdout=out.stdout, stderr=out.stderr, exit_code=out.exit_code)


def _path(ctx: ExecContext, path: str) -> str:
    cwd = ctx.spec.get("workingDir") or "/"
    return posixpath.normpath(posixpath.join(cwd, path))


def environment(ctx: ExecContext) -> dict:
    """The process environment: PATH, HOSTNAME, the pod's env, service links, image ENV, HOME."""
    return container_env.process_env(
        ctx.pod, ctx.spec, ctx.image, ctx.objects, ctx.view.services
    )
