"""What the Kubernetes API benchmarks share: a live lab and a lean HTTPS client for it.

The lab is the one the end-to-end tests start (`tests/k8sapi/live.py`): daphne workers
serving the API over TLS as `make run` does, its own Redis and SQLite file, and a Celery
worker with beat when asked. The client speaks to it the way kubectl does, with the
bearer token and CA of the kubeconfig the lab generates, over one kept-alive
connection, so a benchmark measures the server rather than connection setup.
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
from urllib.parse import urlsplit

import yaml

TABLE_ACCEPT = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,"
    "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)
USER_AGENT = "kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07"


def start_lab(with_worker: bool = False, workers: int = 2):
    import django

    django.setup()
    from tests.k8sapi import live

    return live.start(with_worker=with_worker, web_workers=workers)


def stop_lab(lab) -> None:
    from tests.k8sapi import live

    live.stop(lab)


class Client:
    """One kept-alive HTTPS connection to one cluster's API, as one user."""

    def __init__(self, server: str, token: str, ca_pem: str):
        parts = urlsplit(server)
        self.host, self.port, self.prefix = parts.hostname, parts.port, parts.path
        self.token = token
        self.context = ssl.create_default_context(cadata=ca_pem)
        self.connection: http.client.HTTPSConnection | None = None

    @classmethod
    def from_kubeconfig(cls, text: str) -> Client:
        config = yaml.safe_load(text)
        cluster = config["clusters"][0]["cluster"]
        ca = base64.b64decode(cluster["certificate-authority-data"]).decode()
        return cls(cluster["server"], config["users"][0]["user"]["token"], ca)

    @classmethod
    def for_lab(cls, lab, slug: str = "alice-lab", user: str | None = None) -> Client:
        return cls.from_kubeconfig(lab.kubeconfig(slug, user).read_text())

    def _connect(self) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(
            self.host, self.port, context=self.context, timeout=60
        )

    def _headers(self, accept: str, content_type: str | None) -> dict:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": accept,
            "User-Agent": USER_AGENT,
        }
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def request(
        self,
        method: str,
        path: str,
        body=None,
        accept: str = "application/json",
        content_type: str = "application/json",
    ) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        headers = self._headers(accept, content_type if data is not None else None)
        for attempt in (1, 2):  # a kept-alive connection the server closed: reconnect
            if self.connection is None:
                self.connection = self._connect()
            try:
                self.connection.request(method, self.prefix + path, data, headers)
                answer = self.connection.getresponse()
                return answer.status, answer.read()
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get_json(self, path: str) -> dict:
        status, body = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body[:200]!r}")
        return json.loads(body)

    def create_configmap(self, namespace: str, name: str) -> None:
        status, body = self.request(
            "POST",
            f"/api/v1/namespaces/{namespace}/configmaps",
            {"metadata": {"name": name}, "data": {"written": name}},
        )
        if status != 201:
            raise RuntimeError(f"create {name}: {status} {body[:200]!r}")

    def open_stream(self, path: str) -> Stream:
        connection = self._connect()
        connection.request("GET", self.prefix + path, None, self._headers("*/*", None))
        answer = connection.getresponse()
        if answer.status != 200:
            raise RuntimeError(f"watch {path}: {answer.status} {answer.read()[:200]!r}")
        return Stream(connection, answer)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class Stream:
    """The lines of a streamed answer (a watch), as they arrive."""

    def __init__(self, connection, answer):
        self.connection, self.answer = connection, answer

    def __iter__(self):
        try:
            while line := self.answer.readline():
                yield line
        except (OSError, ValueError, http.client.HTTPException):
            return  # closed under the reader

    def close(self) -> None:
        self.connection.close()
