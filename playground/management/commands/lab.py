"""`manage.py lab`: run the whole lab in the foreground (what `make run` calls).

It migrates, makes sure Redis is reachable (starting the embedded one when REDIS_URL is
unset), creates the TLS files and the demo account, then supervises the web server
(`config.serving`: WEB_CONCURRENCY daphne processes sharing the HTTP and HTTPS ports, one
per core by default), a Celery worker and Celery beat. Ctrl-C or SIGTERM stops every
process it started.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from cluster.models import Cluster
from cluster.provision import create_cluster
from config import embedded_redis, serving, tls

DEMO_USER = "demo"


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


class Command(BaseCommand):
    help = (
        "Run the lab: daphne processes (HTTP and the HTTPS Kubernetes API), Celery "
        "worker and beat."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("PORT", 8000))
        )
        parser.add_argument(
            "--no-demo", action="store_true", help="Skip the demo account."
        )

    def handle(self, *args, host, port, no_demo, **options):
        k8s_port = settings.K8S_PORT
        for taken in (port, k8s_port):
            if _port_in_use(host, taken):
                raise CommandError(
                    f"port {taken} on {host} is in use: is the lab already running? "
                    f"Set PORT / K8S_PORT to run another one."
                )
        redis_process = self._ensure_redis()
        children: list[subprocess.Popen] = []
        try:
            call_command("migrate", interactive=False, verbosity=0)
            files = tls.ensure(
                settings.VAR_DIR / "tls", ["127.0.0.1", "localhost", host]
            )
            if not no_demo:
                self._ensure_demo()
            children = self._start_children(host, port, k8s_port, files)
            self._announce(host, port, k8s_port, no_demo)
            self._supervise(children)
        finally:
            self._stop(children)
            embedded_redis.stop(redis_process)

    def _ensure_redis(self):
        if not settings.REDIS_IS_EMBEDDED:
            if not embedded_redis.is_up(settings.REDIS_URL, timeout=3):
                raise CommandError(f"REDIS_URL {settings.REDIS_URL} is unreachable")
            return None
        try:
            return embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None

    def _ensure_demo(self) -> None:
        """The demo account, its cluster and a ready kubeconfig under var/."""
        from cluster.k8sapi.kubeconfig import build

        User = get_user_model()
        user, created = User.objects.get_or_create(username=DEMO_USER)
        if created:
            user.set_password(os.environ.get("DEMO_PASSWORD", DEMO_USER))
            user.save()
        cluster = Cluster.objects.filter(owner=user, name="demo").first()
        if cluster is None:
            cluster = create_cluster(user, "demo", template="single")
        self.demo_kubeconfig = settings.VAR_DIR / "demo.kubeconfig"
        self.demo_kubeconfig.write_text(build(cluster, user))
        self.demo_kubeconfig.chmod(0o600)

    def _start_children(self, host, port, k8s_port, files):
        python = sys.executable
        commands = {
            "web": [
                python,
                "-m",
                "config.serving",
                "--bind",
                f"{host}:{port}",
                "--tls-bind",
                f"{host}:{k8s_port}",
                "--tls-key",
                str(files.server_key),
                "--tls-cert",
                str(files.server_cert),
            ],
            "celery-worker": [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                os.environ.get("CELERY_CONCURRENCY", "2"),
            ],
            "celery-beat": [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel",
                "WARNING",
                "--schedule",
                str(settings.VAR_DIR / "celerybeat-schedule"),
            ],
        }
        children = []
        for name, command in commands.items():
            process = subprocess.Popen(
                command,
                env=os.environ.copy(),
                # The simulation yields the CPU to kubectl's requests (see serving).
                preexec_fn=None if name == "web" else serving.background_priority,
            )
            process.name = name
            children.append(process)
        return children

    def _announce(self, host, port, k8s_port, no_demo):
        out = self.stdout
        out.write(self.style.SUCCESS(f"kubelab is running at http://{host}:{port}/"))
        out.write(
            f"  Kubernetes API: {settings.K8S_PUBLIC_URL}/k8s/clusters/<cluster>/"
        )
        if not no_demo:
            password = os.environ.get("DEMO_PASSWORD", DEMO_USER)
            out.write(f"  login: {DEMO_USER} / {password}")
            out.write(f"  kubeconfig: export KUBECONFIG={self.demo_kubeconfig}")
        out.write("  health: /healthz    stop: Ctrl-C")

    def _supervise(self, children):
        stopping = False

        def on_signal(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        while not stopping:
            for child in children:
                if child.poll() is not None:
                    raise CommandError(
                        f"{child.name} exited with status {child.returncode}"
                    )
            time.sleep(0.3)

    def _stop(self, children):
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
