"""Container probes: defaults, schedule and what each probe of a simulated app returns.

A lab makes an app fail a probe with the pod annotation
`kubelab.dev/fail-probe: liveness` (or `readiness`, `startup`, comma-separated).
Otherwise a probe succeeds when it reaches what the image really serves: the
right port, a path the server answers with 2xx/3xx, a file the command created.
"""

from __future__ import annotations

import shlex

from cluster.nodes import images
from cluster.nodes.runtime import Program

FAIL_PROBE_ANNOTATION = "kubelab.dev/fail-probe"
KINDS = ("startup", "liveness", "readiness")
FIELD = {
    "startup": "startupProbe",
    "liveness": "livenessProbe",
    "readiness": "readinessProbe",
}
TITLE = {"startup": "Startup", "liveness": "Liveness", "readiness": "Readiness"}
DEFAULTS = {
    "initialDelaySeconds": 0,
    "timeoutSeconds": 1,
    "periodSeconds": 10,
    "successThreshold": 1,
    "failureThreshold": 3,
}

UNHEALTHY_MESSAGE = "{title} probe failed: {output}"
KILL_MESSAGE = "Container {container} failed {kind} probe, will be restarted"
HTTP_STATUS_FAILURE = "HTTP probe failed with statuscode: {code}"
HTTP_REFUSED = (
    'Get "http://{ip}:{port}{path}": dial tcp {ip}:{port}: connect: connection refused'
)
TCP_REFUSED = "dial tcp {ip}:{port}: connect: connection refused"
CAT_MISSING = {
    "busybox": "cat: can't open '{path}': No such file or directory",
    "alpine": "cat: can't open '{path}': No such file or directory",
}
CAT_MISSING_GNU = "cat: {path}: No such file or directory"
# Paths a static web server answers with 200; anything else is a 404.
STATIC_PATHS = {"/", "/index.html"}


def spec(container: dict, kind: str) -> dict | None:
    """The container's probe of a kind with the API defaults filled in, or None."""
    probe = container.get(FIELD[kind])
    if not probe:
        return None
    return {**DEFAULTS, **probe}


def failing_kinds(pod: dict) -> set[str]:
    """The probe kinds a lab told this pod's app to fail."""
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(
        FAIL_PROBE_ANNOTATION, ""
    )
    return {v.strip() for v in value.split(",") if v.strip()}


def resolve_port(port, container: dict) -> int | None:
    """A probe port as a number, resolving a named container port."""
    if isinstance(port, int):
        return port
    if isinstance(port, str) and port.isdigit():
        return int(port)
    for p in container.get("ports") or []:
        if p.get("name") == port:
            return p.get("containerPort")
    return None


def run(
    kind: str,
    probe: dict,
    pod: dict,
    container: dict,
    image: images.Image,
    prog: Program,
    pod_ip: str,
    offset: float,
) -> tuple[bool, str]:
    """One probe attempt `offset` seconds after the container started: (ok, output)."""
    listening = prog.listens and image.port is not None
    forced = kind in failing_kinds(pod)
    if "httpGet" in probe:
        get = probe["httpGet"]
        port = resolve_port(get.get("port"), container)
        path = get.get("path") or "/"
        if not listening or port != image.port:
            return False, HTTP_REFUSED.format(ip=pod_ip, port=port, path=path)
        if forced:
            return False, HTTP_STATUS_FAILURE.format(code=500)
        if image.body in ("nginx", "httpd") and path.split("?")[0] not in STATIC_PATHS:
            return False, HTTP_STATUS_FAILURE.format(code=404)
        return True, ""
    if "tcpSocket" in probe:
        port = resolve_port(probe["tcpSocket"].get("port"), container)
        if not listening or port != image.port or forced:
            return False, TCP_REFUSED.format(ip=pod_ip, port=port)
        return True, ""
    if "grpc" in probe:
        if forced or not listening:
            return (
                False,
                f'timeout: failed to connect service "{pod_ip}:{probe["grpc"].get("port")}" within 1s',
            )
        return True, ""
    command = (probe.get("exec") or {}).get("command") or []
    ok, output = _exec(command, image, prog, offset)
    if forced:
        return False, output
    return ok, output


def _exec(
    command: list[str], image: images.Image, prog: Program, offset: float
) -> tuple[bool, str]:
    """An exec probe: file tests against the container's script, anything else succeeds."""
    words = list(command)
    if (
        len(words) >= 3
        and words[0] in ("sh", "/bin/sh", "bash", "/bin/bash")
        and words[1] == "-c"
    ):
        try:
            words = shlex.split(words[2])
        except ValueError:
            return True, ""
    if not words:
        return True, ""
    name = words[0].rsplit("/", 1)[-1]
    paths = [w for w in words[1:] if not w.startswith("-")]
    if name in ("cat", "ls", "test", "[") and paths:
        path = paths[-1] if name != "[" else paths[-2]
        if prog.file_exists(path, offset):
            return True, ""
        if name == "cat":
            template = CAT_MISSING.get(image.tools, CAT_MISSING_GNU)
            return False, template.format(path=path)
        return False, ""
    if name in ("false", "exit"):
        return False, ""
    return True, ""
