"""BusyBox wget's command line, as the wget inside a simulated container reads and
answers it: `-q`, `-O FILE` (`-O-` for stdout), `-S`, `--spider`, `-T SEC`,
`-U AGENT`, `--header`, with BusyBox 1.36's messages.

Without `-O` BusyBox saves into the working directory under the URL's last path
segment (`index.html` for `/`) and refuses to overwrite a file that exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cluster.nodes import responses, traffic

WGET_BAD_ADDRESS = "wget: bad address '{host}'"
WGET_REFUSED = "wget: can't connect to remote host ({ip}): Connection refused"
WGET_TIMEOUT = "wget: download timed out"
WGET_HTTP_ERROR = "wget: server returned error: {status_line}"
WGET_EXISTS = "wget: can't open '{name}': File exists"
WGET_NO_DIRECTORY = "wget: can't open '{name}': No such file or directory"
WGET_UNRECOGNIZED = "wget: unrecognized option '{option}'"
WGET_INVALID = "wget: invalid option -- '{letter}'"
WGET_MISSING_VALUE = "wget: option requires an argument -- '{letter}'"
WGET_BANNER = "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary."
WGET_USAGE = (
    "Usage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n"
    "\t[--post-data STR | --post-file FILE] [-Y on/off]\n"
    "\t[--no-check-certificate] [-P DIR] [-U AGENT] [-T SEC] URL..."
)
EXIT_FAILURE = 1
# BusyBox's short options, and which of them take a value.
_SHORT_VALUE = set("OoPYUTtn")
_SHORT_FLAG = set("cqS")
_LONG = {
    "continue": False,
    "quiet": False,
    "server-response": False,
    "spider": False,
    "no-check-certificate": False,
    "no-cache": False,
    "passive-ftp": False,
    "output-document": True,
    "output-file": True,
    "directory-prefix": True,
    "proxy": True,
    "user-agent": True,
    "timeout": True,
    "tries": True,
    "header": True,
    "post-data": True,
    "post-file": True,
    "method": True,
}
_LONG_TO_SHORT = {
    "quiet": "q",
    "server-response": "S",
    "output-document": "O",
    "user-agent": "U",
    "timeout": "T",
    "continue": "c",
    "output-file": "o",
    "directory-prefix": "P",
    "proxy": "Y",
    "tries": "t",
}


@dataclass
class WgetOptions:
    """What one `wget` command line asks for."""

    urls: list[str] = field(default_factory=list)
    quiet: bool = False
    server_response: bool = False
    spider: bool = False
    output: str | None = None
    agent: str | None = None
    timeout: str | None = None
    headers: list[str] = field(default_factory=list)
    post_data: str | None = None


@dataclass
class WgetOutput:
    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    files: dict[str, bytes] = field(default_factory=dict)


class WgetUsageError(ValueError):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _usage(first: str = "") -> WgetUsageError:
    lead = first + "\n" if first else ""
    return WgetUsageError(f"{lead}{WGET_BANNER}\n\n{WGET_USAGE}\n")


def parse(args: list[str]) -> WgetOptions:
    """The options of `wget args` (getopt_long: clusters, `--name=value`)."""
    opts = WgetOptions()
    i = 0
    while i < len(args):
        word = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else None
        if word == "--":
            opts.urls += args[i + 1 :]
            break
        if word.startswith("--"):
            name, eq, value = word[2:].partition("=")
            if name not in _LONG:
                raise _usage(WGET_UNRECOGNIZED.format(option=word))
            if _LONG[name] and not eq:
                if nxt is None:
                    raise _usage(f"wget: option '--{name}' requires an argument")
                value, i = nxt, i + 1
            _set(opts, _LONG_TO_SHORT.get(name, name), value)
        elif word.startswith("-") and len(word) > 1:
            for pos, letter in enumerate(word[1:], start=1):
                if letter in _SHORT_FLAG:
                    _set(opts, letter, "")
                    continue
                if letter not in _SHORT_VALUE:
                    raise _usage(WGET_INVALID.format(letter=letter))
                value = word[pos + 1 :]
                if not value:
                    if nxt is None:
                        raise _usage(WGET_MISSING_VALUE.format(letter=letter))
                    value, i = nxt, i + 1
                _set(opts, letter, value)
                break
        else:
            opts.urls.append(word)
        i += 1
    return opts


def _set(opts: WgetOptions, key: str, value: str) -> None:
    if key == "q":
        opts.quiet = True
    elif key == "S":
        opts.server_response = True
    elif key == "spider":
        opts.spider = True
    elif key == "O":
        opts.output = value
    elif key == "U":
        opts.agent = value
    elif key == "T":
        opts.timeout = value
    elif key == "header":
        opts.headers.append(value)
    elif key == "post-data":
        opts.post_data = value


Send = Callable[..., traffic.Trace]


def run(
    args: list[str],
    send: Send,
    default_agent: str,
    exists: Callable[[str], bool] = lambda path: False,
    writable: Callable[[str], bool] = lambda path: True,
) -> WgetOutput:
    """`wget args`: parse, send through `send(url, method, agent, headers, data)`
    and render BusyBox's output; `exists` tells whether a file is already there,
    `writable` whether its directory is."""
    try:
        opts = parse(args)
    except WgetUsageError as exc:
        return WgetOutput(stderr=exc.text, exit_code=EXIT_FAILURE)
    if not opts.urls:
        return WgetOutput(stderr=_usage().text, exit_code=EXIT_FAILURE)
    url = opts.urls[0]
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    name = opts.output
    if name is None:
        name = parts.path.rsplit("/", 1)[-1] or "index.html"
        if exists(name):
            return WgetOutput(
                stderr=WGET_EXISTS.format(name=name) + "\n", exit_code=EXIT_FAILURE
            )
    agent = default_agent if opts.agent is None else opts.agent
    custom = [tuple(p.strip() for p in h.split(":", 1)) for h in opts.headers]
    custom = [(k, v) for k, v in ((c[0], c[1] if len(c) > 1 else "") for c in custom)]
    named = {k.lower() for k, _ in custom}
    headers = [("Host", parts.netloc)] if "host" not in named else []
    if "user-agent" not in named:
        headers.append(("User-Agent", agent))
    headers += [("Connection", "close"), *custom]
    data = opts.post_data or ""
    if opts.post_data is not None:
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        headers.append(("Content-Length", str(len(data.encode()))))
    method = "POST" if opts.post_data is not None else "GET"
    sent_agent = next((v for k, v in headers if k.lower() == "user-agent"), agent)
    trace = send(url, method, sent_agent, headers, data)
    if trace.ok and name not in ("-", "/dev/null") and not writable(name):
        return WgetOutput(
            stderr=WGET_NO_DIRECTORY.format(name=name) + "\n", exit_code=EXIT_FAILURE
        )
    return render(opts, trace, name, parts.hostname or "")


def render(opts: WgetOptions, trace, name: str, host: str) -> WgetOutput:
    """BusyBox wget's output for one exchange saved under `name` (`-` is stdout)."""
    out = WgetOutput()
    say = (lambda text: None) if opts.quiet else _appender(out)
    if trace.remote_ip:
        say(f"Connecting to {host} ({trace.remote_ip}:{trace.remote_port})\n")
    if not trace.ok:
        out.exit_code = EXIT_FAILURE
        if trace.exit_code == traffic.EXIT_RESOLVE:
            out.stderr += WGET_BAD_ADDRESS.format(host=host) + "\n"
        elif trace.exit_code == traffic.EXIT_REFUSED:
            ip = trace.remote_ip or host
            out.stderr += WGET_REFUSED.format(ip=ip) + "\n"
        else:
            out.stderr += WGET_TIMEOUT + "\n"
        return out
    line = responses.status_line(trace.status)
    if opts.server_response:
        out.stderr += f"  {line}\n"
        out.stderr += "".join(f"  {k}: {v}\n" for k, v in trace.headers)
    if trace.status >= 400:
        out.stderr += WGET_HTTP_ERROR.format(status_line=line) + "\n"
        out.exit_code = EXIT_FAILURE
        return out
    if opts.spider:
        say("remote file exists\n")
        return out
    body = trace.body
    size = len(body.encode())
    # The progress bar names the file without its directory.
    shown = name.rsplit("/", 1)[-1] or name
    say("writing to stdout\n" if name == "-" else f"saving to '{name}'\n")
    say(f"{shown:<20.20} 100% |{'*' * 32}| {size:5d}  0:00:00 ETA\n")
    say("written to stdout\n" if name == "-" else f"'{name}' saved\n")
    if name == "-":
        out.stdout = body
    elif name != "/dev/null":
        out.files[name] = body.encode()
    return out


def _appender(out: WgetOutput):
    def say(text: str) -> None:
        out.stderr += text

    return say
