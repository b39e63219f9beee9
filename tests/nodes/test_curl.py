"""curl and wget inside `kubectl exec`: their command lines read as the real tools
read them, and what they print for the simulated servers' answers."""

from __future__ import annotations

import random

import pytest

from cluster.nodes import (
    access_log,
    curl,
    curl_args,
    exec_shell,
    images,
    logs,
    responses,
    traffic,
    wget,
)
from tests.nodes.netkit import pod, service, slice_for, view

AT = 1_796_052_662.0  # Mon, 30 Nov 2026 15:31:02 GMT
DATE = "Mon, 30 Nov 2026 15:31:02 GMT"
NGINX_HEAD = (
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx/1.27.3\r\n"
    f"Date: {DATE}\r\n"
    "Content-Type: text/html\r\n"
    "Content-Length: 615\r\n"
    "Last-Modified: Tue, 26 Nov 2024 15:55:00 GMT\r\n"
    "Connection: keep-alive\r\n"
    'ETag: "6745ef54-267"\r\n'
    "Accept-Ranges: bytes\r\n"
    "\r\n"
)


def _ctx(image="nginx:1.27", **spec):
    """A client pod next to a `web` Service (nginx) and an `echo` Service (echoserver)."""
    client = pod("client", "10.244.1.5", "worker-1", image=image, labels={"app": "c"})
    client["spec"]["containers"][0].update(spec)
    web = pod("web-1", "10.244.2.7", "worker-2", image="nginx:1.27")
    echo = pod(
        "echo-1",
        "10.244.2.8",
        "worker-2",
        image="registry.k8s.io/echoserver:1.4",
        labels={"app": "echo"},
    )
    web_svc = service("web", "10.96.100.10", port=80, target=80)
    echo_svc = service("echo", "10.96.100.11", port=8080, target=8080)
    v = view(
        [client, web, echo],
        [web_svc, echo_svc],
        [slice_for(web_svc, [web], port=80), slice_for(echo_svc, [echo], port=8080)],
    )
    return exec_shell.ExecContext(
        pod=client, container="app", view=v, now=AT, rng=random.Random(1)
    )


def _run(*argv, image="nginx:1.27"):
    return exec_shell.run(_ctx(image), list(argv))


# --- the command line ------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://web/"],
            {"silent": True, "output": "/dev/null", "write_out": "%{http_code}"},
            id="separate-values",
        ),
        pytest.param(
            ["-sSL", "web"],
            {"silent": True, "show_error": True, "urls": ["web"]},
            id="cluster",
        ),
        pytest.param(
            ["-fsSL", "-o/tmp/x", "web"],
            {"fail": True, "silent": True, "output": "/tmp/x"},
            id="attached-value",
        ),
        pytest.param(
            ["-sow", "%{http_code}", "web"],
            {"silent": True, "output": "w", "urls": ["%{http_code}", "web"]},
            id="value-takes-rest-of-cluster",
        ),
        pytest.param(["web", "-sI"], {"head": True, "urls": ["web"]}, id="url-first"),
        pytest.param(
            ["--silent", "--show-error", "--head", "--include", "--fail", "web"],
            {"silent": True, "show_error": True, "head": True, "include": True},
            id="long-flags",
        ),
        pytest.param(
            ["--output", "f", "--write-out", "w", "--request", "PUT", "web"],
            {"output": "f", "write_out": "w", "method": "PUT"},
            id="long-values",
        ),
        pytest.param(
            ["-H", "X-A: 1", "--header", "X-B: 2", "-HX-C: 3", "web"],
            {"headers": ["X-A: 1", "X-B: 2", "X-C: 3"]},
            id="headers",
        ),
        pytest.param(
            ["-d", "a=1", "--data", "b=2", "--data-raw", "c", "web"],
            {"data": ["a=1", "b=2", "c"]},
            id="data",
        ),
        pytest.param(
            ["-A", "probe/1", "-m", "5", "--connect-timeout", "2.5", "web"],
            {"user_agent": "probe/1", "max_time": 5.0, "connect_timeout": 2.5},
            id="agent-and-timeouts",
        ),
        pytest.param(
            ["--user-agent", "x", "--max-time", "1", "-u", "a:b", "-e", "r", "web"],
            {"user_agent": "x", "max_time": 1.0, "user": "a:b", "referer": "r"},
            id="more-values",
        ),
        pytest.param(
            [
                "-k",
                "--insecure",
                "-x",
                "http://p:3128",
                "--resolve",
                "a:80:1.2.3.4",
                "a",
            ],
            {"resolve": ["a:80:1.2.3.4"], "urls": ["a"]},
            id="accepted-without-effect",
        ),
        pytest.param(["--sil", "web"], {"silent": True}, id="unique-prefix"),
        pytest.param(["-s", "--no-silent", "web"], {"silent": False}, id="no-prefix"),
        pytest.param(["--", "-weird"], {"urls": ["-weird"]}, id="double-dash"),
    ],
)
def test_parse_reads_the_command_line_as_curl_does(args, expected):
    opts = curl_args.parse(args)
    assert {k: getattr(opts, k) for k in expected} == expected


@pytest.mark.parametrize(
    ("args", "first_line"),
    [
        pytest.param(["--foo", "web"], "curl: option --foo: is unknown", id="long"),
        pytest.param(["-sW", "web"], "curl: option -sW: is unknown", id="short"),
        pytest.param(
            ["--max-time=5"], "curl: option --max-time=5: is unknown", id="eq"
        ),
        pytest.param(
            ["web", "-o"], "curl: option -o: requires parameter", id="no-value"
        ),
        pytest.param(["--s", "web"], "curl: option --s: is ambiguous", id="ambiguous"),
        pytest.param(
            ["--no-output", "f", "web"],
            "curl: option --no-output: used '--no-' for option that isn't a boolean",
            id="no-non-boolean",
        ),
        pytest.param(
            ["-m", "soon", "web"],
            "curl: option -m: expected a proper numerical parameter",
            id="bad-number",
        ),
        pytest.param(["-s"], "curl: no URL specified!", id="no-url"),
    ],
)
def test_a_bad_command_line_prints_curls_message_and_hint_and_exits_2(args, first_line):
    result = _run("curl", *args)
    assert (result.stdout, result.exit_code) == ("", 2)
    assert result.stderr == f"{first_line}\n{curl_args.HINT}\n"


def test_head_and_data_together_is_curls_wrapped_warning():
    result = _run("curl", "-I", "-d", "x", "web")
    assert result.exit_code == 2
    assert result.stderr == (
        "Warning: You can only select one HTTP request method! You asked for both POST \n"
        "Warning: (-d, --data) and HEAD (-I, --head).\n"
    )


# --- what curl prints ------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "stdout", "code"),
    [
        pytest.param(
            ["-s", "-o", "/dev/null", "-w", "%{http_code}\\n", "http://web/"],
            "200\n",
            0,
            id="status-only",
        ),
        pytest.param(
            [
                "-so/dev/null",
                "-w%{response_code}\\t%%\\t%{remote_ip}:%{remote_port}",
                "web",
            ],
            "200\t%\t10.96.100.10:80",
            0,
            id="attached-values",
        ),
        pytest.param(
            [
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{size_download} %{content_type} %{url_effective} %{time_total}",
                "web",
            ],
            "615 text/html http://web/ 0.001723",
            0,
            id="sizes-and-times",
        ),
        pytest.param(
            ["-s", "-w", "%{http_code}", "-o", "/dev/null", "nope"],
            "000",
            6,
            id="no-answer-is-000",
        ),
        pytest.param(["-sI", "web"], NGINX_HEAD, 0, id="head"),
        pytest.param(
            ["-s", "-i", "web"], NGINX_HEAD + responses.NGINX_WELCOME, 0, id="include"
        ),
        pytest.param(["-sf", "web/nope"], "", 22, id="fail-hides-the-body"),
        pytest.param(
            ["-sf", "-w", "%{http_code} %{size_download}", "web/nope"],
            "404 0",
            22,
            id="fail-reads-no-body",
        ),
    ],
)
def test_curl_writes_the_body_headers_and_write_out(argv, stdout, code):
    result = _run("curl", *argv)
    assert (result.stdout, result.exit_code) == (stdout, code)


@pytest.mark.parametrize(
    ("flags", "stderr"),
    [
        pytest.param(
            ["-f"], "curl: (22) The requested URL returned error: 404\n", id="f"
        ),
        pytest.param(["-sf"], "", id="silent"),
        pytest.param(
            ["-sSf"], "curl: (22) The requested URL returned error: 404\n", id="sS"
        ),
        pytest.param(
            ["--fail", "-s", "--show-error"],
            curl.HTTP_ERROR.format(status=404) + "\n",
            id="long",
        ),
    ],
)
def test_fail_on_a_404_exits_22_and_says_so_unless_silenced(flags, stderr):
    result = _run("curl", *flags, "http://web/missing")
    assert (result.stdout, result.stderr, result.exit_code) == ("", stderr, 22)


def test_without_fail_a_404_is_a_success_with_the_error_page():
    result = _run("curl", "-s", "web/missing")
    assert result.exit_code == 0
    assert "<title>404 Not Found</title>" in result.stdout


def test_verbose_traces_the_connection_request_and_response_on_stderr():
    result = _run("curl", "-v", "web")
    assert result.stdout == responses.NGINX_WELCOME
    assert result.stderr == (
        "*   Trying 10.96.100.10:80...\n"
        "* Connected to web (10.96.100.10) port 80 (#0)\n"
        "> GET / HTTP/1.1\r\n"
        "> Host: web\r\n"
        "> User-Agent: curl/7.88.1\r\n"
        "> Accept: */*\r\n"
        "> \r\n"
        + "".join(f"< {line}\n" for line in NGINX_HEAD.split("\n")[:-1])
        + "* Connection #0 to host web left intact\n"
    )


def test_verbose_of_curl_8_words_the_connection_as_8_does():
    result = _run(
        "curl", "-sv", "-o", "/dev/null", "web", image="curlimages/curl:8.11.1"
    )
    lines = result.stderr.split("\n")
    assert lines[:6] == [
        "* Host web:80 was resolved.",
        "* IPv6: (none)",
        "* IPv4: 10.96.100.10",
        "*   Trying 10.96.100.10:80...",
        "* Connected to web (10.96.100.10) port 80",
        "* using HTTP/1.x",
    ]
    assert "> User-Agent: curl/8.11.1\r" in lines
    assert "* Request completely sent off" in lines


@pytest.mark.parametrize(
    ("argv", "stderr"),
    [
        pytest.param(
            ["-v", "nope"],
            "* Could not resolve host: nope\n* Closing connection 0\n"
            "curl: (6) Could not resolve host: nope\n",
            id="no-such-host",
        ),
        pytest.param(
            ["-v", "-f", "web/x"],
            "* The requested URL returned error: 404\n* Closing connection 0\n"
            "curl: (22) The requested URL returned error: 404\n",
            id="fail",
        ),
    ],
)
def test_verbose_notes_how_a_request_ended(argv, stderr):
    assert _run("curl", *argv).stderr.endswith(stderr)


def test_the_response_headers_of_each_server_in_its_own_order():
    def names(body, status=200, text="x"):
        return [k for k, _ in responses.response_headers(body, status, text, AT)]

    assert names("httpd") == [
        "Date",
        "Server",
        "Last-Modified",
        "ETag",
        "Accept-Ranges",
        "Content-Length",
        "Content-Type",
    ]
    assert names("nginx", 404) == [
        "Server",
        "Date",
        "Content-Type",
        "Content-Length",
        "Connection",
    ]
    assert responses.response_headers("hello-app", 200, "hi\n", AT) == [
        ("Date", DATE),
        ("Content-Length", "3"),
        ("Content-Type", "text/plain; charset=utf-8"),
    ]
    httpd = dict(responses.response_headers("httpd", 200, responses.HTTPD_IT_WORKS, AT))
    assert httpd["ETag"] == '"2d-432a5e4a73a80"'
    assert httpd["Server"] == "Apache/2.4.62 (Unix)"
    assert responses.status_line(503) == "HTTP/1.1 503 Service Unavailable"


def test_post_with_data_reaches_the_echoserver_as_sent():
    result = _run(
        "curl", "-s", "-X", "POST", "-d", "x", "-H", "X-Trace: 1", "echo:8080/hi"
    )
    assert "command=POST\n" in result.stdout
    assert (
        "HEADERS RECEIVED:\naccept=*/*\ncontent-length=1\n"
        "content-type=application/x-www-form-urlencoded\nhost=echo:8080\n"
        "user-agent=curl/7.88.1\nx-trace=1\nBODY:\nx"
    ) in result.stdout


@pytest.mark.parametrize(
    ("flags", "agent"),
    [
        pytest.param([], "curl/7.88.1", id="default"),
        pytest.param(["-A", "probe/1"], "probe/1", id="A"),
        pytest.param(["--user-agent", "probe/2"], "probe/2", id="long"),
        pytest.param(["-H", "User-Agent: probe/3"], "probe/3", id="header"),
    ],
)
def test_the_user_agent_reaches_the_servers_access_log(flags, agent):
    ctx = _ctx()
    exec_shell.run(ctx, ["curl", "-s", *flags, "web"])
    entry = access_log.entry(ctx.served[-1])
    line = logs.request_line(images.lookup_name("nginx:1.27"), {}, entry, AT, 1)
    assert line.endswith(f'"GET / HTTP/1.1" 200 615 "-" "{agent}" "-"')


def test_head_is_logged_as_head_with_no_bytes():
    ctx = _ctx()
    exec_shell.run(ctx, ["curl", "-sI", "web"])
    entry = access_log.entry(ctx.served[-1])
    assert (entry["method"], entry["bytes"]) == ("HEAD", 0)


@pytest.mark.parametrize(
    ("flags", "stderr", "seconds"),
    [
        pytest.param(
            ["--connect-timeout", "2"],
            "curl: (28) Failed to connect to 10.1.2.3 port 80 after 2001 ms: "
            "Timeout was reached\n",
            "2.001000",
            id="connect-timeout",
        ),
        pytest.param(
            ["-m", "5"],
            "curl: (28) Connection timed out after 5001 milliseconds\n",
            "5.001000",
            id="max-time",
        ),
        pytest.param(
            ["-m", "300"],
            "curl: (28) Failed to connect to 10.1.2.3 port 80 after 130000 ms: "
            "Couldn't connect to server\n",
            "130.000000",
            id="kernel-gives-up-first",
        ),
    ],
)
def test_an_unreachable_address_times_out_after_curls_own_limit(flags, stderr, seconds):
    result = _run("curl", *flags, "-w", "%{time_total}", "http://10.1.2.3/")
    assert (result.stdout, result.stderr, result.exit_code) == (seconds, stderr, 28)


def test_output_to_a_file_writes_it_into_the_container():
    ctx = _ctx()
    result = exec_shell.run(ctx, ["curl", "-s", "-o", "/tmp/page.html", "web"])
    assert (result.stdout, result.exit_code) == ("", 0)
    assert ctx.written["/tmp/page.html"] == responses.NGINX_WELCOME.encode()
    assert (
        exec_shell.run(ctx, ["cat", "/tmp/page.html"]).stdout == responses.NGINX_WELCOME
    )


def test_output_into_a_missing_directory_fails_with_23():
    result = _run("curl", "-o", "/nope/page.html", "web")
    assert result.exit_code == 23
    assert result.stderr == (
        "Warning: Failed to open the file /nope/page.html: No such file or directory\n"
        "curl: (23) Failure writing output to destination\n"
    )


def test_write_out_handles_escapes_and_unknown_variables_as_curl_does():
    result = _run(
        "curl", "-s", "-o", "/dev/null", "-w", "%{nope}a\\qb%{http_code", "web"
    )
    assert result.stdout == "a\\qb%{http_code"
    assert result.stderr == "curl: unknown --write-out variable: 'nope'\n"


def test_command_substitution_of_a_write_out_feeds_the_script():
    script = (
        "echo \"web: $(curl -s -o /dev/null -w '%{http_code}' http://web/)\"; "
        "test \"$(curl -s -o /dev/null -w '%{http_code}' web/x)\" = 404 && echo gone"
    )
    result = _run("sh", "-c", script)
    assert (result.stdout, result.exit_code) == ("web: 200\ngone\n", 0)


# --- wget ------------------------------------------------------------------


def test_wget_quiet_to_stdout_prints_only_the_body():
    result = _run("wget", "-qO-", "http://web/", image="busybox:1.36")
    assert (result.stdout, result.stderr, result.exit_code) == (
        responses.NGINX_WELCOME,
        "",
        0,
    )


def test_wget_server_response_lists_the_headers_on_stderr():
    result = _run("wget", "-S", "-O", "-", "web", image="busybox:1.36")
    head = "".join(f"  {line}\n" for line in NGINX_HEAD.split("\r\n")[:-2])
    assert result.stderr == (
        "Connecting to web (10.96.100.10:80)\n"
        + head
        + "writing to stdout\n"
        + "-                    100% |********************************|   615  0:00:00 ETA\n"
        + "written to stdout\n"
    )


@pytest.mark.parametrize(
    ("argv", "stderr", "code"),
    [
        pytest.param(
            ["--spider", "web"],
            "Connecting to web (10.96.100.10:80)\nremote file exists\n",
            0,
            id="exists",
        ),
        pytest.param(["-q", "--spider", "web"], "", 0, id="quiet"),
        pytest.param(
            ["--spider", "-q", "web/x"],
            "wget: server returned error: HTTP/1.1 404 Not Found\n",
            1,
            id="missing",
        ),
        pytest.param(
            ["-T", "2", "-q", "10.1.2.3"], wget.WGET_TIMEOUT + "\n", 1, id="timeout"
        ),
        pytest.param(
            ["-qO-", "nope"], "wget: bad address 'nope'\n", 1, id="bad-address"
        ),
    ],
)
def test_wget_spider_and_errors(argv, stderr, code):
    result = _run("wget", *argv, image="busybox:1.36")
    assert (result.stdout, result.stderr, result.exit_code) == ("", stderr, code)


def test_wget_saves_index_html_and_will_not_overwrite_it():
    ctx = _ctx("busybox:1.36")
    first = exec_shell.run(ctx, ["wget", "web"])
    assert first.stderr.endswith("'index.html' saved\n")
    assert ctx.written["/index.html"] == responses.NGINX_WELCOME.encode()
    again = exec_shell.run(ctx, ["wget", "-q", "web"])
    assert (again.stderr, again.exit_code) == (
        "wget: can't open 'index.html': File exists\n",
        1,
    )


def test_wget_user_agent_and_unknown_options():
    ctx = _ctx("busybox:1.36")
    exec_shell.run(ctx, ["wget", "-q", "-U", "probe/1", "-O", "/dev/null", "web"])
    assert access_log.entry(ctx.served[-1])["agent"] == "probe/1"
    result = exec_shell.run(ctx, ["wget", "--foo", "web"])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "wget: unrecognized option '--foo'\n" + wget.WGET_BANNER + "\n"
    )


# --- headers through an Ingress --------------------------------------------


def _ingress_view():
    web = pod("web-1", "10.244.2.7", "worker-2", image="nginx:1.27")
    svc = service("web", "10.96.100.10", port=80, target=80)
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    rule = {"path": "/", "pathType": "Prefix", "backend": backend}
    ing = {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "ingressClassName": "nginx",
            "rules": [{"host": "a.example", "http": {"paths": [rule]}}],
        },
    }
    nginx_class = {
        "metadata": {"name": "nginx"},
        "spec": {"controller": "k8s.io/ingress-nginx"},
    }
    return view(
        [web],
        [svc],
        [slice_for(svc, [web], port=80)],
        ingresses=[ing],
        ingress_classes=[nginx_class],
    )


@pytest.mark.parametrize(
    ("host", "status", "headers"),
    [
        pytest.param(
            "a.example",
            200,
            [
                ("Date", DATE),
                ("Content-Type", "text/html"),
                ("Content-Length", "615"),
                ("Connection", "keep-alive"),
                ("Last-Modified", "Tue, 26 Nov 2024 15:55:00 GMT"),
                ("ETag", '"6745ef54-267"'),
                ("Accept-Ranges", "bytes"),
            ],
            id="proxied",
        ),
        pytest.param(
            "b.example",
            404,
            [
                ("Date", DATE),
                ("Content-Type", "text/html"),
                ("Content-Length", "146"),
                ("Connection", "keep-alive"),
            ],
            id="default-backend",
        ),
    ],
)
def test_the_ingress_controller_answers_with_its_own_framing_headers(
    host, status, headers
):
    trace = traffic.send_request(
        _ingress_view(), {"ip": "203.0.113.10"}, f"http://{host}/", random.Random(1), AT
    )
    assert (trace.status, trace.headers) == (status, headers)
