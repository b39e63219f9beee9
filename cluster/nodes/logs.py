"""Container logs as the image would print them, rebuilt from the runtime state.

Lines come from the run's start time, the script's echo output and the requests
the traffic module recorded, so the same state always gives the same log.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cluster.nodes import images
from cluster.nodes import runtime as rt

WAITING_ERROR = 'container "{container}" in pod "{pod}" is waiting to start: {reason}'
PREVIOUS_ERROR = 'previous terminated container "{container}" in pod "{pod}" not found'
LOOP_LINE_LIMIT = 2000
# registry.k8s.io/hpa-example is php:5-apache (Debian jessie's Apache 2.4.10).
PHP_VERSION = "5.6.28"
# The headers Apache 2.4.10 with PHP 5.6 sends before a body (Date, Server,
# X-Powered-By, Content-Length, Connection, Content-Type), which `%O` counts.
PHP_APACHE_HEADER_BYTES = 192


class LogsError(ValueError):
    """A 400 BadRequest from the kubelet's log endpoint."""


def _ts(t: float, fmt: str) -> str:
    return datetime.fromtimestamp(t, UTC).strftime(fmt)


def _apache_time(t: float) -> str:
    """Apache's error-log time: `Sat Nov 30 15:31:02.123456 2026`."""
    return (
        _ts(t, "%a %b %d %H:%M:%S.") + f"{int(t * 1e6) % 1000000:06d} " + _ts(t, "%Y")
    )


def rfc3339_nano(t: float) -> str:
    """The `--timestamps` prefix: RFC 3339 with nanoseconds."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def startup_lines(
    image: images.Image, pod: dict, start: float
) -> list[tuple[float, str]]:
    """What a server prints while it starts."""
    name = pod["metadata"]["name"]
    ip = (pod.get("status") or {}).get("podIP", "")
    t = start
    if image.logs == "nginx":
        d = _ts(t, "%Y/%m/%d %H:%M:%S")
        lines = [
            "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
            "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
            "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
            "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
            "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
            "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
            "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
            "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
            "/docker-entrypoint.sh: Configuration complete; ready for start up",
            f'{d} [notice] 1#1: using the "epoll" event method',
            f"{d} [notice] 1#1: nginx/{image.version}",
            f"{d} [notice] 1#1: built by gcc 12.2.0 (Debian 12.2.0-14) ",
            f"{d} [notice] 1#1: OS: Linux 6.8.0-1019-gcp",
            f"{d} [notice] 1#1: getrlimit(RLIMIT_NOFILE): 1048576:1048576",
            f"{d} [notice] 1#1: start worker processes",
            f"{d} [notice] 1#1: start worker process 29",
            f"{d} [notice] 1#1: start worker process 30",
        ]
        return [(t, x) for x in lines]
    if image.logs == "redis":
        d = _ts(t, "%d %b %Y %H:%M:%S") + f".{int(t * 1000) % 1000:03d}"
        return [
            (t, f"1:C {d} * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"),
            (
                t,
                f"1:C {d} * Redis version={image.version}, bits=64, commit=00000000, modified=0, pid=1, just started",
            ),
            (
                t,
                f"1:C {d} # Warning: no config file specified, using the default config. In order to specify a config file use redis-server /path/to/redis.conf",
            ),
            (t, f"1:M {d} * monotonic clock: POSIX clock_gettime"),
            (t, f"1:M {d} * Running mode=standalone, port=6379."),
            (t, f"1:M {d} * Server initialized"),
            (t, f"1:M {d} * Ready to accept connections tcp"),
        ]
    if image.logs == "bootcamp":
        return [
            (
                t,
                f"Kubernetes Bootcamp App Started At: {_js_date(t)} | Running On:  {name} ",
            ),
            (t, ""),
        ]
    if image.logs == "hello-app":
        return [(t, f"{_ts(t, '%Y/%m/%d %H:%M:%S')} Server listening on port 8080")]
    if image.logs == "httpd":
        msg = f"AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using {ip}. Set the 'ServerName' directive globally to suppress this message"
        d = _apache_time(t)
        return [
            (t, msg),
            (t, msg),
            (
                t,
                f"[{d}] [mpm_event:notice] [pid 1:tid 1] AH00489: Apache/{image.version} (Unix) configured -- resuming normal operations",
            ),
            (
                t,
                f"[{d}] [core:notice] [pid 1:tid 1] AH00094: Command line: 'httpd -D FOREGROUND'",
            ),
        ]
    if image.logs == "php-apache":
        msg = f"AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using {ip}. Set the 'ServerName' directive globally to suppress this message"
        d = _apache_time(t)
        return [
            (t, msg),
            (t, msg),
            (
                t,
                f"[{d}] [mpm_prefork:notice] [pid 1] AH00163: Apache/2.4.10 (Debian) PHP/{PHP_VERSION} configured -- resuming normal operations",
            ),
            (
                t,
                f"[{d}] [core:notice] [pid 1] AH00094: Command line: 'apache2 -D FOREGROUND'",
            ),
        ]
    if image.logs == "coredns":
        return [
            (t, ".:53"),
            (
                t,
                "[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908",
            ),
            (t, "CoreDNS-1.11.3"),
            (t, "linux/amd64, go1.21.11, a6338e9"),
        ]
    if image.logs == "generic":
        return [(t, "Listening on :8080")]
    return []


def request_line(
    image: images.Image, pod: dict, req: dict, start: float, count: int
) -> str | None:
    """The access-log line a served request leaves, None when the image logs none.

    nginx's image logs its `main` format, httpd's the Common Log Format (`%b` is "-"
    for an empty body), Debian's apache2 (php-apache) the combined one, whose `%O`
    counts the response headers too."""
    t = req["at"]
    client, agent = req.get("client") or "-", req.get("agent") or "-"
    request = f'"{req.get("method", "GET")} {req.get("path", "/")} HTTP/1.1"'
    status, size = req.get("status", 200), req.get("bytes", 0)
    stamp = f"[{_ts(t, '%d/%b/%Y:%H:%M:%S +0000')}]"
    if image.logs == "nginx":
        forwarded = req.get("forwarded") or "-"
        return f'{client} - - {stamp} {request} {status} {size} "-" "{agent}" "{forwarded}"'
    if image.logs == "httpd":
        return f"{client} - - {stamp} {request} {status} {size or '-'}"
    if image.logs == "php-apache":
        sent = size + PHP_APACHE_HEADER_BYTES
        return f'{client} - - {stamp} {request} {status} {sent} "-" "{agent}"'
    if image.logs == "bootcamp":
        uptime = js_number(round((t - start) * 1000) / 1000)
        return f"Running On: {pod['metadata']['name']} | Total Requests: {count} | App Uptime: {uptime} seconds | Log Time: {_js_date(t)}"
    if image.logs == "hello-app":
        return f"{_ts(t, '%Y/%m/%d %H:%M:%S')} Serving request: {req.get('path', '/')}"
    return None


def js_number(value: float) -> str:
    """A number as JavaScript prints it: no `.0` on whole numbers."""
    return str(int(value)) if value == int(value) else repr(value)


def _js_date(t: float) -> str:
    """A Date as Node's console.log prints it: ISO 8601 in UTC with milliseconds."""
    return f"{_ts(t, '%Y-%m-%dT%H:%M:%S.')}{int(t * 1000) % 1000:03d}Z"


def run_lines(
    pod: dict,
    container: dict,
    cs: dict,
    start: float,
    end: float,
    requests: list[dict],
    env: dict | None = None,
) -> list[tuple[float, str]]:
    """Every line one run of a container printed between its start and `end`;
    `env` is the kubelet's environment for it (its `$VAR`s in echo lines)."""
    image = images.lookup_name(container.get("image", ""))
    prog = rt.program(container, image, env, hostname=pod["metadata"]["name"])
    lines = (
        list(startup_lines(image, pod, start))
        if not rt.argv(container) or image.behaviour == "server"
        else []
    )
    lines += [(start + off, text) for off, text in prog.output if start + off <= end]
    if prog.loop:
        period, body = prog.loop
        t = start + (prog.output[-1][0] if prog.output else 0.0)
        n = 0
        while t <= end and n < LOOP_LINE_LIMIT and body:
            lines += [(t, text) for text in body]
            t += period
            n += 1
    count = 0
    for req in requests:
        if start <= req["at"] <= end:
            count += 1
            line = request_line(image, pod, req, start, count)
            if line is not None:
                lines.append((req["at"], line))
    lines.sort(key=lambda x: x[0])
    return lines


def pod_logs(
    pod: dict,
    runtime_state: dict,
    container: str,
    now: float,
    tail_lines: int | None = None,
    timestamps: bool = False,
    previous: bool = False,
    since_seconds: float | None = None,
    limit_bytes: int | None = None,
    env: dict | None = None,
) -> str:
    """The body of GET pods/<name>/log for one container."""
    uid = pod["metadata"].get("uid", "")
    name = pod["metadata"]["name"]
    spec = next(
        (
            c
            for c in ((pod.get("spec") or {}).get("containers") or [])
            + ((pod.get("spec") or {}).get("initContainers") or [])
            if c["name"] == container
        ),
        None,
    )
    cs = (
        ((runtime_state.get("pods") or {}).get(uid) or {})
        .get("containers", {})
        .get(container)
    )
    if spec is None:
        raise LogsError(f"container {container} is not valid for pod {name}")
    if previous:
        last = (cs or {}).get("last")
        if not last:
            raise LogsError(PREVIOUS_ERROR.format(container=container, pod=name))
        from cluster.simtime import parse_rfc3339

        start, end = parse_rfc3339(last["startedAt"]), parse_rfc3339(last["finishedAt"])
    else:
        if (
            not cs
            or "started_at" not in cs
            or (cs.get("state") == "waiting" and not cs.get("last"))
        ):
            reason = (cs or {}).get("reason") or "ContainerCreating"
            raise LogsError(
                WAITING_ERROR.format(container=container, pod=name, reason=reason)
            )
        if cs.get("state") == "waiting":
            start, end = cs["started_at"], cs.get("finished_at", now)
        else:
            start = cs["started_at"]
            end = cs.get("finished_at", now) if cs.get("state") == "terminated" else now
    lines = run_lines(
        pod, spec, cs or {}, start, min(end, now), (cs or {}).get("requests", []), env
    )
    if since_seconds is not None:
        lines = [x for x in lines if x[0] >= now - since_seconds]
    if tail_lines is not None:
        lines = lines[-tail_lines:] if tail_lines > 0 else []
    text = "".join(
        (f"{rfc3339_nano(t)} " if timestamps else "") + line + "\n" for t, line in lines
    )
    if limit_bytes is not None:
        text = text.encode()[:limit_bytes].decode(errors="ignore")
    return text
