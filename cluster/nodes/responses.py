"""What each catalogued image answers to an HTTP request."""

from __future__ import annotations

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
) -> tuple[int, str]:
    """(status code, body) an image's server returns for one request."""
    name = (pod.get("metadata") or {}).get("name", "")
    bare = path.split("?")[0] or "/"
    if body == "nginx":
        if bare in ("/", "/index.html"):
            return 200, NGINX_WELCOME
        server = f"nginx/{images.CATALOGUE['docker.io/library/nginx'].version}"
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
        headers = f"accept=*/*\nhost={ip}:8080\n"
        if agent:
            headers += f"user-agent={agent}\n"
        return 200, (
            f"CLIENT VALUES:\nclient_address={client_ip}\ncommand={method}\nreal path={bare}\n"
            f"query=nil\nrequest_version=1.1\nrequest_uri=http://{ip}:8080{path}\n\n"
            f"SERVER VALUES:\nserver_version=nginx: 1.10.0 - lua: 10001\n\nHEADERS RECEIVED:\n"
            f"{headers}BODY:\n-no body in request-\n"
        )
    return 200, GENERIC.format(pod=name)


def date_header(now: float) -> str:
    """An ISO timestamp used in log lines of sample apps."""
    return rfc3339(now)
