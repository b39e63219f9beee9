"""What each catalogued image answers to an HTTP request."""

from __future__ import annotations

from email.utils import formatdate

from cluster.nodes import images
from cluster.simtime import rfc3339

NGINX_WELCOME = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""
# nginx's built-in error page (CRLF line ends); `server` is `nginx/<version>` unless
# server_tokens is off, as it is in the ingress controller.
NGINX_ERROR = (
    "<html>\r\n<head><title>{code} {text}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {text}</h1></center>\r\n<hr><center>{server}</center>\r\n"
    "</body>\r\n</html>\r\n"
)
HTTPD_IT_WORKS = "<html><body><h1>It works!</h1></body></html>\n"
HTTPD_NOT_FOUND = """<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>404 Not Found</title>
</head><body>
<h1>Not Found</h1>
<p>The requested URL was not found on this server.</p>
</body></html>
"""
BOOTCAMP = "Hello Kubernetes bootcamp! | Running on: {pod} | v={version}\n"
HELLO_APP = "Hello, world!\nVersion: {version}\nHostname: {pod}\n"
GENERIC = "Hello from {pod}\n"


def respond(
    body: str,
    tag: str,
    pod: dict,
    path: str,
    client_ip: str,
    now: float,
    method: str = "GET",
    agent: str = "",
    headers: list[tuple[str, str]] | None = None,
    data: str = "",
) -> tuple[int, str]:
    """(status code, body) an image's server returns for one request; `headers` and
    `data` are the request's own, which the echoserver reflects."""
    name = (pod.get("metadata") or {}).get("name", "")
    bare = path.split("?")[0] or "/"
    if body == "nginx":
        if bare in ("/", "/index.html"):
            return 200, NGINX_WELCOME
        server = f"nginx/{_version('nginx', tag)}"
        return 404, NGINX_ERROR.format(code=404, text="Not Found", server=server)
    if body == "httpd":
        return (
            (200, HTTPD_IT_WORKS)
            if bare in ("/", "/index.html")
            else (404, HTTPD_NOT_FOUND)
        )
    if body == "bootcamp":
        version = tag.lstrip("v") if tag.startswith("v") else "1"
        return 200, BOOTCAMP.format(pod=name, version=version)
    if body == "hello-app":
        version = "2.0.0" if tag.startswith("2") else "1.0.0"
        return 200, HELLO_APP.format(version=version, pod=name)
    if body == "hostname":
        return 200, name
    if body == "hpa":
        return 200, "OK!"
    if body == "notfound":
        return 404, "404 page not found\n"
    if body == "echoserver":
        ip = (pod.get("status") or {}).get("podIP", "")
        if headers is None:
            received = f"accept=*/*\nhost={ip}:8080\n"
            if agent:
                received += f"user-agent={agent}\n"
        else:
            # The echoserver's Lua template lists the headers sorted by name.
            received = "".join(
                f"{k}={v}\n" for k, v in sorted((k.lower(), v) for k, v in headers)
            )
        shown = data or "-no body in request-\n"
        return 200, (
            f"CLIENT VALUES:\nclient_address={client_ip}\ncommand={method}\nreal path={bare}\n"
            f"query=nil\nrequest_version=1.1\nrequest_uri=http://{ip}:8080{path}\n\n"
            f"SERVER VALUES:\nserver_version=nginx: 1.10.0 - lua: 10001\n\nHEADERS RECEIVED:\n"
            f"{received}BODY:\n{shown}"
        )
    return 200, GENERIC.format(pod=name)


# The reason phrases servers send in their status line.
REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
# When the files the servers answer with were last modified: nginx's welcome page as
# the official image builds it, and httpd's "It works!" page, unchanged since 2007.
NGINX_INDEX_MTIME = 1732636500
HTTPD_INDEX_MTIME = 1181587994
# What php-apache (the HPA walkthrough's image) names itself.
PHP_APACHE_SERVER = "Apache/2.4.10 (Debian)"
PHP_VERSION = "PHP/5.6.40"


def _version(name: str, tag: str) -> str:
    """The release of an official image's server that `tag` runs."""
    return images.version_of(images.CATALOGUE[f"docker.io/library/{name}"], tag)


def status_line(status: int) -> str:
    """The HTTP/1.1 status line of a response, reason phrase included."""
    return f"HTTP/1.1 {status} {REASONS.get(status, '')}".rstrip()


def http_date(now: float) -> str:
    """`now` as the Date and Last-Modified headers write it (RFC 7231)."""
    return formatdate(now, usegmt=True)


def response_headers(
    body: str, status: int, text: str, now: float, tag: str = ""
) -> list[tuple[str, str]]:
    """The headers an image's server sends with one answer, in the order it sends
    them; `body` is the image's kind of answer, `text` the answer itself, `tag` the
    image's tag (its release is in the Server header)."""
    date, length = http_date(now), str(len(text.encode()))
    if body == "nginx":
        server = f"nginx/{_version('nginx', tag)}"
        head = [("Server", server), ("Date", date), ("Content-Type", "text/html")]
        head.append(("Content-Length", length))
        if status != 200:
            return [*head, ("Connection", "keep-alive")]
        return [
            *head,
            ("Last-Modified", http_date(NGINX_INDEX_MTIME)),
            ("Connection", "keep-alive"),
            ("ETag", f'"{NGINX_INDEX_MTIME:x}-{int(length):x}"'),
            ("Accept-Ranges", "bytes"),
        ]
    if body == "httpd":
        server = f"Apache/{_version('httpd', tag)} (Unix)"
        head = [("Date", date), ("Server", server)]
        if status != 200:
            return [
                *head,
                ("Content-Length", length),
                ("Content-Type", "text/html; charset=iso-8859-1"),
            ]
        # Apache's ETag is the size and the modification time in microseconds.
        return [
            *head,
            ("Last-Modified", http_date(HTTPD_INDEX_MTIME)),
            ("ETag", f'"{int(length):x}-{HTTPD_INDEX_MTIME * 1_000_000:x}"'),
            ("Accept-Ranges", "bytes"),
            ("Content-Length", length),
            ("Content-Type", "text/html"),
        ]
    if body == "ingress":
        # The ingress controller's own pages (server_tokens off).
        return [
            ("Date", date),
            ("Content-Type", "text/html"),
            ("Content-Length", length),
            ("Connection", "keep-alive"),
        ]
    if body == "echoserver":
        return [
            ("Server", "nginx/1.10.0"),
            ("Date", date),
            ("Content-Type", "text/plain"),
            ("Transfer-Encoding", "chunked"),
            ("Connection", "keep-alive"),
        ]
    if body == "bootcamp":
        # Node's http server with no headers set: chunked, kept alive.
        return [
            ("Date", date),
            ("Connection", "keep-alive"),
            ("Transfer-Encoding", "chunked"),
        ]
    if body == "hpa":
        return [
            ("Date", date),
            ("Server", PHP_APACHE_SERVER),
            ("X-Powered-By", PHP_VERSION),
            ("Vary", "Accept-Encoding"),
            ("Content-Length", length),
            ("Content-Type", "text/html; charset=UTF-8"),
        ]
    if body == "notfound":
        # Go's http.NotFound sets its headers itself; they come first, sorted.
        return [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("X-Content-Type-Options", "nosniff"),
            ("Date", date),
            ("Content-Length", length),
        ]
    # Go's net/http with a sniffed content type (hello-app, agnhost, a student's app).
    return [
        ("Date", date),
        ("Content-Length", length),
        ("Content-Type", "text/plain; charset=utf-8"),
    ]


def behind_ingress(headers: list[tuple[str, str]], now: float) -> list[tuple[str, str]]:
    """The headers a client of the ingress controller gets for a proxied answer: the
    controller's own Date and framing, then the backend's other headers."""
    own = {"server", "date", "content-type", "content-length", "connection"}
    own.add("transfer-encoding")
    get = {k.lower(): v for k, v in headers}
    out = [("Date", http_date(now))]
    if "content-type" in get:
        out.append(("Content-Type", get["content-type"]))
    if "content-length" in get:
        out.append(("Content-Length", get["content-length"]))
    else:
        out.append(("Transfer-Encoding", "chunked"))
    out.append(("Connection", "keep-alive"))
    return out + [(k, v) for k, v in headers if k.lower() not in own]


def date_header(now: float) -> str:
    """An ISO timestamp used in log lines of sample apps."""
    return rfc3339(now)
