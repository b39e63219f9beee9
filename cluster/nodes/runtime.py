"""The container runtime of one node: its persisted state and what a container runs.

`runtime_state` is a JSON dict the shell stores between ticks: the image store,
the pods with their containers, the IP allocator and the request log. A
container's command is read as a tiny script (sleep, echo, touch, rm, exit,
`while true` loops) so labs built on the documentation's examples behave as they
do on a real node.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from dataclasses import dataclass, field

from cluster.nodes import container_env, images, pi_digits, shell_script

REQUEST_LOG_LIMIT = 500
SHELLS = {"sh", "/bin/sh", "bash", "/bin/bash", "ash", "/bin/ash"}
# How long a shell with nothing to do takes to exit.
QUICK_EXIT_SECONDS = 0.1
# A shell loop's wget or curl takes about this long per request (a process, a
# connection, a small page), which bounds a tight loop's rate.
REQUEST_SECONDS = 0.01
# How long a container over its memory limit survives before the OOM killer.
OOM_AFTER_SECONDS = 1.0
# Math::BigFloat's bpi is pure Perl and roughly quadratic in the digits asked for:
# an estimate of its run time per (1000 digits) squared.
PERL_BPI_SECONDS_PER_KDIGIT2 = 1.5


def new_state() -> dict:
    """An empty runtime state for a node that has just booted."""
    return {
        "images": {},
        "pods": {},
        "ipam": {"last": 1, "used": {}},
        "puller_free_at": 0.0,
        "node": {},
    }


# What containerd reports for a container whose shim died with the machine.
REBOOT_EXIT_CODE, REBOOT_REASON = 255, "Unknown"


def after_reboot(state: dict, now: float) -> dict:
    """What the kubelet of a node that has just booted at `now` finds on its disk: the
    images, the address leases, and each pod's containers as containerd lists them,
    the running ones exited (255, Unknown). Every pod sandbox died with the machine,
    which the pod's next sync acts on (`PodSync.new_sandbox`)."""
    kept = new_state()
    kept["images"] = state.get("images") or {}
    kept["ipam"] = state.get("ipam") or kept["ipam"]
    for uid, ps in (state.get("pods") or {}).items():
        kept["pods"][uid] = ps
        if ps.get("terminated") or "sandbox_at" not in ps:
            continue
        for cs in ps["containers"].values():
            if cs.get("state") == "running":
                finish(cs, now, REBOOT_EXIT_CODE, REBOOT_REASON)
            elif cs.get("step") == "pulling":
                cs.update(step=None)  # the pull died with the machine: start again
        ps["sandbox_changed"] = True
    return kept


def finish(cs: dict, t: float, code: int, reason: str) -> None:
    """Record a container's exit at `t`: terminated with `code` and `reason`."""
    cs.update(
        state="terminated",
        finished_at=t,
        exit_code=code,
        term_reason=reason,
        ready=False,
        stop=None,
    )


def container_id(rng) -> str:
    """A containerd container id: 64 hex digits."""
    return f"{rng.getrandbits(256):064x}"


def allocate_ip(state: dict, cidr: str, uid: str) -> str:
    """The next free address of the node's pod CIDR (host-local IPAM keeps going round)."""
    ipam = state.setdefault("ipam", {"last": 1, "used": {}})
    for ip, owner in ipam["used"].items():
        if owner == uid:
            return ip
    net = ipaddress.ip_network(cidr, strict=False)
    size = net.num_addresses
    # .0 is the network, .1 the cni0 bridge, the last one broadcast.
    for step in range(1, size):
        n = (ipam["last"] - 2 + step) % (size - 3) + 2
        ip = str(net.network_address + n)
        if ip not in ipam["used"]:
            ipam["last"] = n
            ipam["used"][ip] = uid
            return ip
    raise RuntimeError(f"no IP addresses available in range set: {cidr}")


def release_ip(state: dict, uid: str) -> None:
    """Free the address held by a pod."""
    used = state.get("ipam", {}).get("used", {})
    for ip in [ip for ip, owner in used.items() if owner == uid]:
        del used[ip]


def go_duration(seconds: float) -> str:
    """A duration as Go prints a time.Duration truncated to milliseconds (`1.234s`)."""
    ms = int(round(seconds * 1000))
    if ms == 0:
        return "0s"
    if ms < 1000:
        return f"{ms}ms"
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s = f"{rest / 1000:.3f}".rstrip("0").rstrip(".")
    out = f"{s}s"
    if h or m:
        out = f"{m}m{out}"
    if h:
        out = f"{h}h{out}"
    return out


def record_request(state: dict, pod_uid: str, container: str, entry: dict) -> None:
    """Append one served request (time, method, path, status, client, bytes) to a container."""
    pod = state.get("pods", {}).get(pod_uid)
    if not pod or container not in pod.get("containers", {}):
        return
    append_request(pod["containers"][container].setdefault("requests", []), entry)


def append_request(log: list, entry: dict) -> None:
    """Append to a container's request log, keeping the latest REQUEST_LOG_LIMIT."""
    log.append(entry)
    del log[:-REQUEST_LOG_LIMIT]


@dataclass
class Program:
    """What a container's process does over time, relative to its start."""

    duration: float | None  # None runs until stopped
    exit_code: int = 0
    output: list[tuple[float, str]] = field(default_factory=list)
    # (offset, path, exists) in time order: touch/rm of files.
    files: list[tuple[float, str, bool]] = field(default_factory=list)
    # A repeating block: (period, lines printed each period).
    loop: tuple[float, list[str]] | None = None
    memory_mib: int | None = None
    cpu_m: int | None = None
    ignores_sigterm: bool = False
    listens: bool = True
    # URLs the loop requests once a period (a load generator: `while sleep 0.01; do
    # wget -q -O- http://php-apache; done`).
    requests: list[str] = field(default_factory=list)
    # The binary fetching each of `requests` (wget or curl), for its User-Agent.
    request_tools: list[str] = field(default_factory=list)

    def file_exists(self, path: str, offset: float) -> bool:
        """Whether `path` exists `offset` seconds after the start."""
        exists = False
        for t, p, e in self.files:
            if p == path and t < offset:
                exists = e
        return exists


def argv(container: dict) -> list[str]:
    """The process argv given by the pod (command + args), [] for the image default."""
    return list(container.get("command") or []) + list(container.get("args") or [])


def program(
    container: dict, image: images.Image, env: dict | None = None, hostname: str = ""
) -> Program:
    """Read a container's command the way its image would run it.

    `env` is what the kubelet sets (`container_env.kubelet_env`); without it only the
    literal `value`s of the container's env are known."""
    if env is None:
        env = _literal_env(container)
    # The kubelet expands `$(VAR)` in command and args before the process starts.
    cmd = [
        container_env.expand_references(str(w), env)
        for w in container.get("command") or []
    ]
    args = [
        container_env.expand_references(str(w), env)
        for w in container.get("args") or []
    ]
    shell_env = _shell_env(env, image, hostname)
    if image.repo.endswith("polinux/stress"):
        return _stress(cmd + args)
    if not cmd and (not args or image.behaviour == "server"):
        if image.behaviour == "shell":
            return Program(
                duration=QUICK_EXIT_SECONDS, ignores_sigterm=True, listens=False
            )
        return Program(duration=None, ignores_sigterm=image.shutdown is None)
    words = cmd + args if cmd else args
    if (
        image.behaviour == "server"
        and words
        and words[0] not in SHELLS
        and _binary(words[0]) == _binary(image.process.split(" ")[0])
    ):
        # The image's own server, started with flags (`/usr/local/bin/kube-proxy
        # --config=...`): it runs as the image's default command would.
        return Program(duration=None, ignores_sigterm=image.shutdown is None)
    if image.repo.endswith("library/perl") and words and _binary(words[0]) == "perl":
        prog = _perl(words)
    elif words and words[0] in SHELLS and len(words) >= 3 and words[1] == "-c":
        prog = _script(words[2], shell_env)
    elif words and words[0] in SHELLS and len(words) == 1:
        prog = Program(duration=QUICK_EXIT_SECONDS)
    else:
        prog = _script(shlex.join(words), shell_env)
    prog.ignores_sigterm = True  # a shell as PID 1 has no SIGTERM handler
    prog.listens = image.behaviour == "server" and prog.duration is None
    return prog


def pre_stop_seconds(container: dict, grace: float) -> float:
    """How long the container's preStop hook runs: its sleeps (`sleep 15`, or the
    `sleep` action), the whole `grace` if it never ends, 0 without a hook."""
    pre_stop = ((container.get("lifecycle") or {}).get("preStop")) or {}
    if "sleep" in pre_stop:
        return float((pre_stop["sleep"] or {}).get("seconds") or 0)
    words = list((pre_stop.get("exec") or {}).get("command") or [])
    if not words:
        return 0.0  # no hook, or an httpGet answered at once
    if words[0] in SHELLS and len(words) >= 3 and words[1] == "-c":
        script = words[2]
    else:
        script = shlex.join(words)
    prog = _script(script)
    if prog.duration is not None:
        return prog.duration
    # A command that never ends (`sleep infinity`) holds the whole grace period;
    # a server's own stop command (`nginx -s quit`) returns at once.
    return grace if "sleep" in script else QUICK_EXIT_SECONDS


def _binary(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _literal_env(container: dict) -> dict[str, str]:
    """The env values written in the spec, `$(VAR)` expanded (no ConfigMaps known)."""
    env: dict[str, str] = {}
    for e in container.get("env") or []:
        if "value" in e:
            env[e["name"]] = container_env.expand_references(str(e["value"]), env)
    return env


def _shell_env(env: dict, image: images.Image, hostname: str) -> dict[str, str]:
    """What a shell in the container expands `$VAR` from."""
    out = {"PATH": container_env.DEFAULT_PATH, "HOSTNAME": hostname, **env}
    for k, v in image.env:
        out.setdefault(k, v)
    out.setdefault("HOME", "/root")
    return out


def _words(command: str, env: dict | None) -> list[str]:
    """One simple command's words, quoted and expanded as sh would."""
    try:
        parsed = shell_script.parse(command)
    except shell_script.ScriptSyntaxError:
        return command.split()
    if not parsed:
        return []
    env = env or {}

    def lookup(var: str) -> str:
        if shell_script.substitution(var) is not None:
            # Only `$(hostname)` is known when the command is read.
            return env.get("HOSTNAME", "") if var == "(hostname)" else ""
        return "0" if var == "?" else env.get(var, "")

    return [f for w in parsed[0].words for f in shell_script.expand(w, lookup)]


_BPI = re.compile(r"print\s+bpi\(\s*(\d+)\s*\)")


def _perl(words: list[str]) -> Program:
    """`perl -Mbignum=bpi -wle 'print bpi(N)'` (the Job tutorial) prints pi to N
    digits; other Perl programs are not simulated and just exit."""
    script = words[-1] if len(words) > 1 else ""
    m = _BPI.search(script)
    if not m or not 1 <= int(m.group(1)) <= pi_digits.MAX_DIGITS:
        return Program(duration=QUICK_EXIT_SECONDS, listens=False)
    digits = int(m.group(1))
    seconds = max(
        QUICK_EXIT_SECONDS, PERL_BPI_SECONDS_PER_KDIGIT2 * (digits / 1000) ** 2
    )
    return Program(
        duration=seconds,
        output=[(seconds, pi_digits.pi(digits))],
        listens=False,
    )


_SPLIT = re.compile(r"\s*(?:;|&&|\|\||\n)\s*")


def _script(script: str, env: dict | None = None) -> Program:
    """Interpret the handful of shell commands lab manifests use; `env` feeds `$VAR`."""
    t = 0.0
    out: list[tuple[float, str]] = []
    files: list[tuple[float, str, bool]] = []
    loop = re.search(
        r"while\s+(true|:|sleep\s+[^\s;]+)\s*;?\s*do\s+(.*?)\s*;?\s*done",
        script,
        re.S,
    )
    if loop:
        body = _SPLIT.split(loop.group(2))
        fetches = [f for c in body if (f := _fetch_of(c))]
        urls = [url for url, _ in fetches]
        period = (
            (_sleep_of(loop.group(1)) or 0)
            + sum(_sleep_of(c) or 0 for c in body)
            + REQUEST_SECONDS * len(urls)
        ) or 1.0
        lines = [e for c in body if (e := _echo_of(c, env)) is not None]
        prefix = _script(script[: loop.start()], env) if loop.start() else None
        return Program(
            duration=None,
            output=prefix.output if prefix else [],
            files=prefix.files if prefix else [],
            loop=(period, lines),
            requests=urls,
            request_tools=[tool for _, tool in fetches],
        )
    for raw in _SPLIT.split(script.strip()):
        if not raw:
            continue
        words = _words(raw, env)
        if not words:
            continue
        name = words[0].rsplit("/", 1)[-1]
        if name == "sleep":
            s = _sleep_of(" ".join(words))
            if s is None:
                return Program(duration=None, output=out, files=files)
            t += s
        elif name == "echo":
            out.append((t, " ".join(w for w in words[1:] if w != "-n")))
        elif name == "touch":
            files += [(t, p, True) for p in words[1:]]
        elif name == "rm":
            files += [(t, p, False) for p in words[1:] if not p.startswith("-")]
        elif name == "exit":
            code = int(words[1]) if len(words) > 1 and words[1].isdigit() else 0
            return Program(
                duration=t + QUICK_EXIT_SECONDS, exit_code=code, output=out, files=files
            )
        elif name == "false":
            return Program(
                duration=t + QUICK_EXIT_SECONDS, exit_code=1, output=out, files=files
            )
        elif (name == "tail" and "-f" in words) or name in _SERVERS:
            return Program(duration=None, output=out, files=files)
        elif name not in _BUILTINS:
            out.append((t, f"sh: {name}: not found"))
            return Program(
                duration=t + QUICK_EXIT_SECONDS, exit_code=127, output=out, files=files
            )
    return Program(duration=t + QUICK_EXIT_SECONDS, output=out, files=files)


_BUILTINS = {
    "true",
    "cd",
    "export",
    "mkdir",
    "cp",
    "cat",
    "date",
    "ls",
    "env",
    "printenv",
    "set",
    "wget",
    "curl",
    "nslookup",
}
_SERVERS = {
    "nginx",
    "httpd",
    "redis-server",
    "python",
    "python3",
    "node",
    "npm",
    "java",
    "gunicorn",
    "uvicorn",
    "flask",
    "./server",
    "server",
}


def _sleep_of(command: str) -> float | None:
    m = re.match(r"\s*sleep\s+(\S+)", command)
    if not m:
        return 0.0 if "sleep" not in command else None
    value = m.group(1)
    if value in ("infinity", "inf"):
        return None
    m2 = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", value)
    if not m2:
        return None
    scale = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m2.group(2)]
    return float(m2.group(1)) * scale


def _fetch_of(command: str) -> tuple[str, str] | None:
    """(URL, wget or curl) of a `wget` or `curl` command in a loop."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    tool = words[0].rsplit("/", 1)[-1] if words else ""
    if tool not in ("wget", "curl"):
        return None
    targets = [w for w in words[1:] if not w.startswith("-") and w != "-"]
    return (targets[-1], tool) if targets else None


def _echo_of(command: str, env: dict | None = None) -> str | None:
    words = _words(command, env)
    if words and words[0] == "echo":
        return " ".join(w for w in words[1:] if w != "-n")
    return None


def _stress(words: list[str]) -> Program:
    """polinux/stress: `--vm N --vm-bytes 250M` allocates memory, `--cpu N` burns CPU."""
    from cluster.objects import quantity

    memory, cpu, vm, io = 0, 0, 0, 0
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w in ("--vm-bytes",):
            memory = quantity.to_int(
                nxt.replace("M", "Mi").replace("G", "Gi").replace("K", "Ki")
            )
        elif w in ("--cpu", "-c") and nxt.isdigit():
            cpu = int(nxt)
        elif w in ("--vm", "-m") and nxt.isdigit():
            vm = int(nxt)
        elif w in ("--io", "-i") and nxt.isdigit():
            io = int(nxt)
    if vm and not memory:
        memory = 256 * 2**20
    line = f"stress: info: [1] dispatching hogs: {cpu} cpu, {io} io, {vm} vm, 0 hdd"
    return Program(
        duration=None,
        output=[(0.0, line)],
        memory_mib=max(1, vm * memory // 2**20) if vm else 1,
        cpu_m=cpu * 1000,
        ignores_sigterm=False,
        listens=False,
    )
