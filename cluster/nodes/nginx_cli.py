"""`nginx` run by hand inside an nginx container (`kubectl exec web -- nginx -t`).

The master process already runs as PID 1, so what a student does by hand is look at
the version, test the configuration or signal the master; starting a second server
fails on the port the first one holds.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cluster.nodes.exec_result import ExecResult

CONF = "/etc/nginx/nginx.conf"
SIGNALS = ("stop", "quit", "reopen", "reload")
# nginx's own process ids in a container: the master is 1, its workers follow.
SIGNALLER_PID = 38


def run(version: str, args: list[str], now: float) -> ExecResult:
    """What `nginx <args>` prints and exits with; `version` is the image's release."""
    if args[:1] in (["-v"], ["-V"]):
        text = f"nginx version: nginx/{version}\n"
        if args[0] == "-V":
            text += "built by gcc 12.2.0 (Debian 12.2.0-14)\n"
        return ExecResult(stderr=text)
    if args[:1] in (["-t"], ["-T"]):
        return ExecResult(
            stderr=f"nginx: the configuration file {CONF} syntax is ok\n"
            f"nginx: configuration file {CONF} test is successful\n"
        )
    if args[:1] == ["-s"]:
        if len(args) < 2:
            return ExecResult(
                stderr='nginx: option "-s" requires parameter\n', exit_code=1
            )
        if args[1] not in SIGNALS:
            return ExecResult(
                stderr=f'nginx: invalid option: "-s {args[1]}"\n', exit_code=1
            )
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y/%m/%d %H:%M:%S")
        pid = SIGNALLER_PID
        return ExecResult(
            stderr=f"{stamp} [notice] {pid}#{pid}: signal process started\n"
        )
    if args:
        return ExecResult(stderr=f'nginx: invalid option: "{args[0]}"\n', exit_code=1)
    # It tries each listen address of default.conf five times, half a second apart.
    bind = "".join(
        f"nginx: [emerg] bind() to {address} failed (98: Address already in use)\n"
        for address in ("0.0.0.0:80", "[::]:80")
    )
    return ExecResult(
        stderr=bind * 5 + "nginx: [emerg] still could not bind()\n", exit_code=1
    )
