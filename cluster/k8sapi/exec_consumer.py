"""`kubectl exec` over WebSocket, subprotocol v5.channel.k8s.io.

Each binary frame starts with its channel: 0 stdin, 1 stdout, 2 stderr, 3 the final
Status, 4 resize; `[255, n]` closes stream n. A command runs in the simulated shell and
its output, then its Status, are written before the server closes. With stdin, `sh`
reads one command per line until stdin closes or `exit`.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from cluster.apiserver import errors
from cluster.k8sapi import exec_session
from cluster.nodes import exec_shell

PROTOCOL = "v5.channel.k8s.io"
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
_SHELLS = ("sh", "bash", "/bin/sh", "/bin/bash")
# What a session keeps of stdin for a command that reads it all (`tar xf -`); the
# rest is dropped and tar reports a broken archive.
MAX_STDIN_BYTES = 16 * 2**20


class ExecConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        if PROTOCOL not in self.scope.get("subprotocols", []):
            await self.close()
            return
        kwargs = self.scope["url_route"]["kwargs"]
        query = parse_qs(self.scope.get("query_string", b"").decode())
        headers = dict(self.scope.get("headers") or [])
        request = exec_session.ExecRequest(
            slug=kwargs["cluster"],
            namespace=kwargs["namespace"],
            pod=kwargs["pod"],
            container=(query.get("container") or [""])[0],
            command=query.get("command") or [],
            authorization=headers.get(b"authorization", b"").decode("latin-1"),
            impersonation=_impersonation_headers(self.scope.get("headers") or []),
        )
        self.stdin = (query.get("stdin") or ["false"])[0] in ("true", "1")
        self.pending = b""
        self.context = None
        try:
            self.context = await database_sync_to_async(exec_session.open_session)(
                request
            )
        except exec_session.Refused:
            await self.close()  # not 101: kubectl retries and gets the HTTP Status
            return
        except errors.ApiError as exc:
            await self.accept(PROTOCOL)
            await self._finish(exc.status())
            return
        await self.accept(PROTOCOL)
        self.command = request.command
        if self.stdin and self._interactive():
            return  # lines arrive on stdin
        self.collecting = self.stdin and exec_shell.reads_stdin(self.command)
        self.received = b""
        if self.collecting:
            return  # runs once stdin closes (`tar xf -` under kubectl cp)
        await self._run(self.command)
        await self._finish(self.last.status())

    def _interactive(self) -> bool:
        return len(self.command) == 1 and self.command[0] in _SHELLS

    async def _run(self, argv: list[str], stdin: bytes = b"") -> None:
        self.last = exec_shell.run(self.context, argv, stdin)
        if self.context.served:
            await database_sync_to_async(exec_session.record_served)(self.context)
        if self.context.dirty:
            await database_sync_to_async(exec_session.record_written)(self.context)
        if self.last.stdout:
            await self.send(bytes_data=bytes([STDOUT]) + self.last.stdout_bytes())
        if self.last.stderr:
            await self.send(bytes_data=bytes([STDERR]) + self.last.stderr.encode())

    async def _finish(self, status: dict) -> None:
        await self.send(bytes_data=bytes([ERROR]) + json.dumps(status).encode())
        await self.close()

    async def receive(self, text_data=None, bytes_data=None):
        if self.context is None or not bytes_data:
            return
        channel, data = bytes_data[0], bytes_data[1:]
        if getattr(self, "collecting", False):
            if channel == STDIN and len(self.received) < MAX_STDIN_BYTES:
                self.received += data
            elif channel == CLOSE and data[:1] == bytes([STDIN]):
                await self._run(self.command, self.received)
                await self._finish(self.last.status())
            return
        if channel == CLOSE and data[:1] == bytes([STDIN]):
            await self._finish(
                self.last.status() if hasattr(self, "last") else {"status": "Success"}
            )
            return
        if channel != STDIN or not self._interactive():
            return
        self.pending += data
        while b"\n" in self.pending:
            line, self.pending = self.pending.split(b"\n", 1)
            text = line.decode("utf-8", "replace").strip()
            if text == "exit":
                await self._finish({"metadata": {}, "status": "Success"})
                return
            if text:
                await self._run(["sh", "-c", text])
                if self.last.exited:  # `exit 3` ends the shell with that status
                    await self._finish(self.last.status())
                    return


def _impersonation_headers(raw: list) -> dict[str, str]:
    """The `Impersonate-*` headers by their canonical name, repeats comma-joined."""
    found: dict[str, str] = {}
    for key, value in raw:
        name = key.decode("latin-1")
        if not name.lower().startswith("impersonate-"):
            continue
        name = "-".join(part.capitalize() for part in name.split("-"))
        text = value.decode("latin-1")
        found[name] = f"{found[name]},{text}" if name in found else text
    return found
