"""Serve the site with several daphne processes sharing the same listening sockets.

One daphne process uses one core at most (the GIL), and kubectl's many short requests
would queue behind each other in it. So the sockets are opened once, here, and N worker
processes inherit them; the kernel gives each new connection to whichever worker
accepts it first. Long-lived connections (watches, `logs -f`, exec and the browser's
WebSockets) stay on the ASGI side, where an idle one holds no thread.

The Kubernetes API port speaks TLS (kubectl sends its token only over HTTPS). daphne's
`--fd` adopts a plain socket only, so each worker wraps its inherited socket in TLS
itself, with the lab's certificate.

    python -m config.serving --bind 0.0.0.0:8000 --workers 2
    python -m config.serving --bind 127.0.0.1:8000 \\
        --tls-bind 127.0.0.1:6443 --tls-key server.key --tls-cert server.crt

`--workers` defaults to WEB_CONCURRENCY, else the number of cores. SIGTERM or SIGINT
stops every worker; a worker that dies is started again. Processes started beside the
web workers on the same machine (the lab's Celery worker and beat) run at a lower
priority (`background_priority`).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

APPLICATION = "config.asgi:application"
BACKLOG = 1024
RESTART_PAUSE = 1.0  # seconds before a dead worker is started again
# Celery's ticks are background work: run beside the web workers, they yield the CPU
# to a student's request instead of making it wait behind a hundred clusters' ticks.
BACKGROUND_NICENESS = 10
# Seconds a WebSocket may take from connecting to being accepted. daphne drops it after
# 5 s, and a class opening its labs at once on a busy machine waited longer than that
# behind the other handshakes: each browser dropped came straight back (with the
# work done for it wasted), so a burst never drained.
WEBSOCKET_HANDSHAKE_TIMEOUT = 30


def background_priority() -> None:
    """`preexec_fn` for processes that must not slow the web workers down."""
    os.nice(BACKGROUND_NICENESS)


def default_workers() -> int:
    raw = os.environ.get("WEB_CONCURRENCY", "")
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            raise SystemExit(f"WEB_CONCURRENCY must be a number, not {raw!r}") from None
    return os.cpu_count() or 1


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket that child processes can inherit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    sock.setblocking(False)  # the workers' reactors expect non-blocking sockets
    return sock


def worker_command(
    plain: socket.socket | None,
    tls: socket.socket | None,
    key: Path | None,
    cert: Path | None,
    application: str = APPLICATION,
) -> list[str]:
    command = [sys.executable, "-m", "config.serving", "--worker", "--app", application]
    if plain is not None:
        command += ["--fd", str(plain.fileno())]
    if tls is not None:
        command += ["--tls-fd", str(tls.fileno()), "--tls-key", str(key)]
        command += ["--tls-cert", str(cert)]
    return command


class Supervisor:
    """Keeps `workers` worker processes running on the inherited sockets."""

    def __init__(self, command: list[str], fds: list[int], workers: int):
        self.command, self.fds, self.count = command, fds, workers
        self.processes: list[subprocess.Popen] = []
        self.stopping = False

    def _spawn(self) -> subprocess.Popen:
        return subprocess.Popen(self.command, pass_fds=self.fds)

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop_on_signal)
        self.processes = [self._spawn() for _ in range(self.count)]
        while not self.stopping:
            for n, process in enumerate(self.processes):
                if process.poll() is not None and not self.stopping:
                    print(
                        f"web worker {process.pid} exited with {process.returncode};"
                        " starting another",
                        file=sys.stderr,
                    )
                    time.sleep(RESTART_PAUSE)
                    self.processes[n] = self._spawn()
            time.sleep(0.2)
        self.stop()
        return 0

    def _stop_on_signal(self, signum, frame) -> None:
        self.stopping = True

    def stop(self, timeout: float = 10) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _family(fd: int) -> int:
    probe = socket.socket(fileno=os.dup(fd))
    try:
        return probe.family
    finally:
        probe.close()


def run_worker(application: str, fd: int | None, tls_fd: int | None, key, cert):
    """One daphne process serving the inherited sockets (the TLS one wrapped here)."""
    from daphne.server import Server  # first: it installs the asyncio reactor
    from daphne.utils import import_by_path
    from twisted.internet import reactor
    from twisted.internet import ssl as twisted_ssl
    from twisted.protocols.tls import TLSMemoryBIOFactory

    sys.path.insert(0, ".")
    app = import_by_path(application)
    # daphne's `fd:` endpoint adopts IPv4 sockets; anything else is adopted below.
    plain_v4 = fd is not None and _family(fd) == socket.AF_INET
    endpoints = [f"fd:fileno={fd}"] if plain_v4 else []
    server = None

    def adopt_sockets():
        if fd is not None and not plain_v4:
            reactor.adoptStreamPort(fd, _family(fd), server.http_factory)
        if tls_fd is not None:
            pem = Path(cert).read_bytes() + Path(key).read_bytes()
            options = twisted_ssl.PrivateCertificate.loadPEM(pem).options()
            factory = TLSMemoryBIOFactory(options, False, server.http_factory)
            reactor.adoptStreamPort(tls_fd, _family(tls_fd), factory)

    server = Server(
        application=app,
        # daphne refuses to start without an endpoint string; the sockets it cannot
        # describe with one are adopted by `adopt_sockets` instead.
        endpoints=endpoints or ["adopted"],
        ready_callable=adopt_sockets,
        server_name="daphne",
        websocket_handshake_timeout=WEBSOCKET_HANDSHAKE_TIMEOUT,
        websocket_connect_timeout=WEBSOCKET_HANDSHAKE_TIMEOUT,
    )
    server.endpoints = endpoints
    server.run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", type=_address, help="HOST:PORT for plain HTTP")
    parser.add_argument("--tls-bind", type=_address, help="HOST:PORT for HTTPS")
    parser.add_argument("--tls-key", type=Path)
    parser.add_argument("--tls-cert", type=Path)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--app", default=APPLICATION)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tls-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        run_worker(args.app, args.fd, args.tls_fd, args.tls_key, args.tls_cert)
        return 0
    if not args.bind and not args.tls_bind:
        parser.error("give --bind, --tls-bind or both")
    if args.tls_bind and not (args.tls_key and args.tls_cert):
        parser.error("--tls-bind needs --tls-key and --tls-cert")
    plain = listen(*args.bind) if args.bind else None
    tls = listen(*args.tls_bind) if args.tls_bind else None
    command = worker_command(plain, tls, args.tls_key, args.tls_cert, args.app)
    fds = [s.fileno() for s in (plain, tls) if s is not None]
    workers = args.workers if args.workers is not None else default_workers()
    return Supervisor(command, fds, max(1, workers)).run()


if __name__ == "__main__":
    sys.exit(main())
