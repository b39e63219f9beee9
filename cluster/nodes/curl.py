"""curl inside a simulated container: the request its command line asks for
(`curl_args.parse` reads that line) and what it writes for the answer: the body or
the file it saves, `-i`/`-I` headers, the `-v` trace on stderr, the `-w` write-out,
and the error line with its exit code.

`run` sends through a caller-given `send`, so this module stays pure. The wording
is curl 7.88.1's (Debian bookworm), with the few `-v` lines 8.x words differently.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cluster.nodes import responses, traffic
from cluster.nodes.curl_args import (
    NO_URL,
    USAGE_EXIT_CODE,
    CurlOptions,
    CurlUsageError,
    parse,
    usage,
)

ONE_METHOD = (
    "You can only select one HTTP request method! You asked for both {new} and {old}."
)
HTTP_ERROR = "curl: (22) The requested URL returned error: {status}"
EXIT_HTTP_ERROR = 22
CONNECT_TIMEOUT = (
    "curl: (28) Failed to connect to {host} port {port} after {ms} ms: "
    "Timeout was reached"
)
MAX_TIME = "curl: (28) Connection timed out after {ms} milliseconds"
EXIT_TIMEOUT = 28
OPEN_FAILED = "Failed to open the file {path}: No such file or directory"
WRITE_FAILED = "curl: (23) Failure writing output to destination"
EXIT_WRITE = 23
NO_REMOTE_NAME = "curl: Remote file name has no length!"
UNKNOWN_VARIABLE = "curl: unknown --write-out variable: '{name}'"
# warnf() wraps its lines to fit 79 columns, each starting with the prefix.
WARNING_PREFIX = "Warning: "
_METHOD_NAMES = {"HEAD": "HEAD (-I, --head)", "POST": "POST (-d, --data)"}
# Simulated durations of a request inside the cluster, in microseconds.
_LOOKUP_US, _CONNECT_US, _FIRST_BYTE_US, _TRANSFER_US = 512, 108, 1_042, 61


@dataclass
class CurlOutput:
    """What curl wrote, its exit code, and the files it saved (path -> content)."""

    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    files: dict[str, bytes] = field(default_factory=dict)


def _warning(message: str) -> str:
    """warnf(): the message cut at blanks into lines of 79 columns, each prefixed."""
    width, text, out = 79 - len(WARNING_PREFIX), message + "\n", ""
    while text:
        if len(text) > width:
            cut = width - 1
            while cut and text[cut] not in " \t":
                cut -= 1
            cut = cut or width - 1
            out += WARNING_PREFIX + text[: cut + 1] + "\n"
            text = text[cut + 1 :]
        else:
            out += WARNING_PREFIX + text
            text = ""
    return out


@dataclass
class Request:
    """The request curl sends: where, how, and its header lines."""

    url: str  # as curl shows it (`http://web/`)
    target: str  # where it connects (the URL with a --resolve address)
    host: str
    port: int
    method: str
    path: str
    headers: list[tuple[str, str]]
    data: str = ""

    @property
    def agent(self) -> str:
        return next((v for k, v in self.headers if k.lower() == "user-agent"), "")


def build_request(opts: CurlOptions, default_agent: str) -> Request:
    """The request `opts` make curl send (the first URL only)."""
    url = opts.urls[0]
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    scheme, host = parts.scheme, parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    data = "&".join(opts.data)
    query = parts.query
    if opts.get and data:
        query = f"{query}&{data}" if query else data
        data = ""
    path = (parts.path or "/") + (f"?{query}" if query else "")
    netloc = parts.netloc
    shown = f"{scheme}://{netloc}{path}"
    target = shown
    for entry in opts.resolve:
        name, _, rest = entry.partition(":")
        want, _, address = rest.partition(":")
        if name == host and want == str(port) and address:
            target = f"{scheme}://{address}:{port}{path}"
    method = opts.method or (
        "HEAD" if opts.head else "POST" if data or opts.data else "GET"
    )
    if opts.head and opts.get:
        method = opts.method or "HEAD"
    host_header = netloc.rsplit("@", 1)[-1]
    custom = [_header(h) for h in opts.headers]
    overridden = {k.lower() for k, _ in custom}
    agent = default_agent if opts.user_agent is None else opts.user_agent
    lines: list[tuple[str, str]] = []
    if "host" not in overridden:
        lines.append(("Host", host_header))
    if opts.user and "authorization" not in overridden:
        user = opts.user if ":" in opts.user else opts.user + ":"
        token = base64.b64encode(user.encode()).decode()
        lines.append(("Authorization", f"Basic {token}"))
    if agent and "user-agent" not in overridden:
        lines.append(("User-Agent", agent))
    if "accept" not in overridden:
        lines.append(("Accept", "*/*"))
    if opts.referer and "referer" not in overridden:
        lines.append(("Referer", opts.referer))
    # `-H 'Name:'` removes a header, `-H 'Name;'` sends it empty.
    lines += [(k, v) for k, v in custom if v is not None]
    if data and method != "HEAD":
        if "content-length" not in overridden:
            lines.append(("Content-Length", str(len(data.encode()))))
        if "content-type" not in overridden:
            lines.append(("Content-Type", "application/x-www-form-urlencoded"))
    return Request(shown, target, host, port, method, path, lines, data)


def _header(text: str) -> tuple[str, str | None]:
    if ":" in text:
        name, _, value = text.partition(":")
        value = value.strip()
        return name.strip(), value or None
    if text.endswith(";"):
        return text[:-1].strip(), ""
    return text.strip(), None


Send = Callable[[Request], object]


def run(
    args: list[str],
    send: Send,
    default_agent: str,
    writable: Callable[[str], bool] = lambda path: True,
) -> CurlOutput:
    """`curl args`: parse, send the first URL's request through `send` (which returns
    a traffic.Trace), and render what curl writes; `writable` tells whether an
    output file can be created (its directory exists)."""
    try:
        opts = parse(args)
    except CurlUsageError as exc:
        return CurlOutput(stderr=exc.text, exit_code=USAGE_EXIT_CODE)
    if not opts.urls:
        return CurlOutput(stderr=usage(NO_URL).text, exit_code=USAGE_EXIT_CODE)
    if opts.head and opts.data and not opts.get:
        new, old = _METHOD_NAMES["POST"], _METHOD_NAMES["HEAD"]
        warning = "" if opts.silent else _warning(ONE_METHOD.format(new=new, old=old))
        return CurlOutput(stderr=warning, exit_code=USAGE_EXIT_CODE)
    request = build_request(opts, default_agent)
    return render(opts, request, send(request), _version(default_agent), writable)


def render(
    opts: CurlOptions,
    request: Request,
    trace,
    version: tuple[int, ...] = (7, 88, 1),
    writable: Callable[[str], bool] = lambda path: True,
) -> CurlOutput:
    """What curl writes for one exchange, given the simulated `trace`; `version`
    is curl's own, which words a few `-v` lines."""
    out = CurlOutput()
    error, code = trace.error, trace.exit_code
    if not trace.ok and code == EXIT_TIMEOUT:
        error = _timeout_error(opts, request, trace) or error
    answered = trace.ok and trace.status is not None
    failed_http = answered and opts.fail and trace.status >= 400
    if failed_http:
        error, code = HTTP_ERROR.format(status=trace.status), EXIT_HTTP_ERROR
    head = ""
    if answered:
        head = "".join(
            f"{line}\r\n"
            for line in [
                responses.status_line(trace.status),
                *(f"{k}: {v}" for k, v in trace.headers),
            ]
        )
        head += "\r\n"
    body = trace.body if answered and request.method != "HEAD" else ""
    if opts.head:
        body = ""
    written = ""
    if answered and not (failed_http and not opts.fail_with_body):
        written = (head if opts.include or opts.head else "") + body
    if opts.verbose:
        out.stderr += _verbose(version, request, trace, head, error, failed_http)
    target = opts.output
    if target is None and opts.remote_name:
        target = request.path.split("?")[0].rsplit("/", 1)[-1]
        if not target:
            out.stderr += NO_REMOTE_NAME + "\n"
            return _finish(opts, out, request, trace, "", EXIT_WRITE, body)
    if target in (None, "-"):
        out.stdout += written
    elif target != "/dev/null" and answered and not writable(target):
        if not opts.silent:
            out.stderr += _warning(OPEN_FAILED.format(path=target))
        error, code = WRITE_FAILED, EXIT_WRITE
    elif target != "/dev/null" and answered:
        out.files[target] = written.encode()
    if error and (not opts.silent or opts.show_error):
        out.stderr += error + "\n"
    # --fail gives up once it has read the headers: no body is downloaded.
    downloaded = body if not failed_http or opts.fail_with_body else ""
    return _finish(opts, out, request, trace, error, code, downloaded)


def _finish(opts, out, request, trace, error, code, downloaded: str) -> CurlOutput:
    out.exit_code = code
    if opts.write_out is not None:
        text, warnings = write_out(
            opts.write_out, request, trace, error, code, downloaded
        )
        out.stdout += text
        out.stderr += warnings
    return out


def _version(agent: str) -> tuple[int, ...]:
    text = agent.split("/", 1)[1] if agent.startswith("curl/") else "7.88.1"
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return (7, 88, 1)


def _timeout_error(opts: CurlOptions, request: Request, trace) -> str | None:
    """curl's own timeout, when -m or --connect-timeout ends the wait before the
    kernel's connect timeout does."""
    limits = [t for t in (opts.max_time, opts.connect_timeout) if t]
    if not limits or min(limits) * 1000 >= traffic.CONNECT_TIMEOUT_MS:
        return None
    if opts.max_time and opts.max_time <= (opts.connect_timeout or opts.max_time):
        return MAX_TIME.format(ms=_elapsed_ms(opts.max_time))
    return CONNECT_TIMEOUT.format(
        host=request.host, port=request.port, ms=_elapsed_ms(opts.connect_timeout)
    )


def _elapsed_ms(seconds: float) -> int:
    # curl notices the expired timer a millisecond after it is due.
    return int(seconds * 1000) + 1


def _verbose(version, request: Request, trace, head: str, error: str, failed) -> str:
    """The -v trace: `*` notes, `>` the request sent, `<` the response headers."""
    modern = version[0] >= 8
    ip, port = trace.remote_ip, trace.remote_port or request.port
    lines: list[str] = []
    named = bool(ip) and ip != request.host
    if modern and named:
        lines += [
            f"* Host {request.host}:{request.port} was resolved.",
            "* IPv6: (none)",
            f"* IPv4: {ip}",
        ]
    closing = "* closing connection #0" if modern else "* Closing connection 0"
    if not ip:
        return "\n".join([*lines, f"* {_reason(error)}", closing]) + "\n"
    lines.append(f"*   Trying {ip}:{port}...")
    if not trace.ok and trace.exit_code != 1:
        if "refused" in error or trace.exit_code == 7:
            lines.append(f"* connect to {ip} port {port} failed: Connection refused")
        elif error == trace.error:
            lines.append(f"* connect to {ip} port {port} failed: Connection timed out")
        return "\n".join([*lines, f"* {_reason(error)}", closing]) + "\n"
    connected = f"* Connected to {request.host} ({ip}) port {port}"
    lines.append(connected if modern else connected + " (#0)")
    if modern:
        lines.append("* using HTTP/1.x")
    text = "\n".join(lines) + "\n"
    text += f"> {request.method} {request.path} HTTP/1.1\r\n"
    text += "".join(f"> {k}: {v}\r\n" for k, v in request.headers) + "> \r\n"
    if modern:
        text += "* Request completely sent off\n"
    if not trace.ok:
        return text + f"* {_reason(error)}\n{closing}\n"
    text += "".join(f"< {line}\n" for line in head.split("\n")[:-1])
    if failed:
        return text + f"* {_reason(error)}\n{closing}\n"
    return text + f"* Connection #0 to host {request.host} left intact\n"


def _reason(error: str) -> str:
    """An error line without its `curl: (N) ` prefix."""
    return error.split(") ", 1)[1] if error.startswith("curl: (") else error


def write_out(
    fmt: str, request: Request, trace, error: str, code: int, downloaded: str = ""
):
    """(stdout text, stderr warnings) of `-w fmt` after one transfer that
    downloaded the body `downloaded`."""
    values = _variables(request, trace, error, code, downloaded)
    out, warnings, i = "", "", 0
    while i < len(fmt):
        c = fmt[i]
        nxt = fmt[i + 1] if i + 1 < len(fmt) else ""
        if c == "%" and nxt == "%":
            out, i = out + "%", i + 2
        elif c == "%" and nxt == "{":
            end = fmt.find("}", i)
            if end < 0:
                out, i = out + "%{", i + 2
                continue
            name = fmt[i + 2 : end]
            if name in values:
                out += values[name]
            else:
                warnings += UNKNOWN_VARIABLE.format(name=name) + "\n"
            i = end + 1
        elif c == "%" and fmt.startswith("%header{", i):
            end = fmt.find("}", i)
            if end < 0:
                out, i = out + "%header{", i + 8
                continue
            want = fmt[i + 8 : end].lower()
            out += next((v for k, v in trace.headers if k.lower() == want), "")
            i = end + 1
        elif c == "%" and nxt:
            out, i = out + c + nxt, i + 2
        elif c == "\\" and nxt:
            out += {"n": "\n", "r": "\r", "t": "\t"}.get(nxt, c + nxt)
            i += 2
        else:
            out, i = out + c, i + 1
    return out, warnings


def _variables(
    request: Request, trace, error: str, code: int, body: str
) -> dict[str, str]:
    answered = trace.ok and trace.status is not None
    status = trace.status if answered else 0
    header_lines = [responses.status_line(status)] if answered else []
    header_lines += [f"{k}: {v}" for k, v in trace.headers] if answered else []
    size_header = sum(len(h) + 2 for h in header_lines) + (2 if answered else 0)
    content_type = next(
        (v for k, v in trace.headers if k.lower() == "content-type"), ""
    )
    lookup = _LOOKUP_US if trace.remote_ip != request.host else 0
    connect = lookup + _CONNECT_US if trace.ok or trace.exit_code == 1 else 0
    first = connect + _FIRST_BYTE_US if answered else 0
    total = first + _TRANSFER_US if answered else lookup
    if not trace.ok and trace.exit_code == EXIT_TIMEOUT:
        total = _timeout_ms(error) * 1000
    request_size = len(f"{request.method} {request.path} HTTP/1.1\r\n") + sum(
        len(f"{k}: {v}\r\n") for k, v in request.headers
    )
    return {
        "content_type": content_type,
        "errormsg": _reason(error) if error else "",
        "exitcode": str(code),
        "http_code": f"{status:03d}",
        "response_code": f"{status:03d}",
        "http_version": "1.1" if answered else "0",
        "method": request.method,
        "num_connects": "1" if trace.remote_ip and trace.ok else "0",
        "num_headers": str(len(trace.headers)) if answered else "0",
        "num_redirects": "0",
        "redirect_url": "",
        "referer": next((v for k, v in request.headers if k == "Referer"), ""),
        "remote_ip": trace.remote_ip or "",
        "remote_port": str(trace.remote_port or 0) if trace.remote_ip else "0",
        "local_ip": trace.client_ip if trace.remote_ip else "",
        "local_port": "0",
        "scheme": request.url.split("://", 1)[0].upper(),
        "size_download": str(len(body.encode())),
        "size_header": str(size_header),
        "size_request": str(request_size + 2) if connect else "0",
        "size_upload": str(len(request.data.encode())) if connect else "0",
        "speed_download": str(int(len(body.encode()) * 1e6 / total)) if total else "0",
        "speed_upload": "0",
        "time_appconnect": _time(0),
        "time_connect": _time(connect),
        "time_namelookup": _time(lookup),
        "time_pretransfer": _time(connect),
        "time_redirect": _time(0),
        "time_starttransfer": _time(first),
        "time_total": _time(total),
        "url": request.url,
        "url_effective": request.url,
        "urlnum": "0",
        "ssl_verify_result": "0",
        "proxy_ssl_verify_result": "0",
        "filename_effective": "",
        "ftp_entry_path": "",
        "http_connect": "000",
        "num_certs": "0",
        "certs": "",
    }


def _time(us: int) -> str:
    return f"{us // 1_000_000}.{us % 1_000_000:06d}"


def _timeout_ms(error: str) -> int:
    for marker in (" after ", " timed out after "):
        if marker in error:
            digits = error.rsplit(marker, 1)[1].split(" ", 1)[0]
            if digits.isdigit():
                return int(digits)
    return 0
