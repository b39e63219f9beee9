"""Personas for the web tests (alice owns a cluster, bob is another student), and the
live lab with a real Chromium page for the browser tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from cluster.provision import create_cluster
from tests.conftest import ROOT, free_port, stop_process, subprocess_env, wait_until

PASSWORD = "correct horse battery"


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", password=PASSWORD)


@pytest.fixture
def bob(db):
    return get_user_model().objects.create_user("bob", password=PASSWORD)


@pytest.fixture
def cluster(alice):
    return create_cluster(alice, "lab", template="single")


@pytest.fixture
def alice_api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


@pytest.fixture
def bob_api(bob):
    client = APIClient()
    client.force_authenticate(bob)
    return client


# --- the live lab in a real browser ----------------------------------------------------
SCREENSHOTS = ROOT / "docs" / "screenshots"
DEMO_PASSWORD = "demo-password"


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def lab_dir(tmp_path_factory) -> Path:
    """The lab's private var directory: its SQLite database, Redis socket and log."""
    return tmp_path_factory.mktemp("lab")


def _lab_env(var: Path, **extra: str) -> dict[str, str]:
    return subprocess_env(KUBELAB_VAR_DIR=str(var), **extra)


@pytest.fixture(scope="session")
def lab(lab_dir):
    """The whole lab (daphne, Celery worker and beat, Redis) in a private directory.

    One lab serves every browser test of the run: starting it costs about 20 s.
    """
    port, k8s_port = free_port(), free_port()
    env = _lab_env(
        lab_dir,
        PORT=str(port),
        K8S_PORT=str(k8s_port),
        DEMO_PASSWORD=DEMO_PASSWORD,
        CELERY_CONCURRENCY="1",
    )
    log = open(lab_dir / "lab.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "manage.py", "lab", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _up(base + "/login/"), timeout=60)
        yield base
    finally:
        stop_process(process, timeout=20)
        log.close()


@pytest.fixture
def lab_manage(lab, lab_dir):
    """Run `manage.py <args>` against the running lab's database; returns its stdout."""

    def run(*args: str, **env: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=_lab_env(lab_dir, **env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"manage.py {args}: {done.stderr}"
        return done.stdout

    return run


@pytest.fixture
def browser(lab, chromium_path):
    """One headless Chromium; each `new_page` is a context of its own (own cookies)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


def new_page(browser):
    context = browser.new_context(
        viewport={"width": 1500, "height": 1000}, locale="en-US"
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


@pytest.fixture
def page(browser):
    return new_page(browser)


def sign_in(page, lab, username: str = "demo", password: str = DEMO_PASSWORD):
    page.goto(lab + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/clusters/")


def screenshot(page, name: str) -> bytes:
    """Take a screenshot; write it to docs/screenshots only when KUBELAB_SCREENSHOTS=1.

    The tests always take it (a page that cannot be drawn fails), but a normal run
    leaves the working tree untouched.
    """
    # Call pulses are in-flight animation, not state: leave them out of the picture.
    png = page.screenshot(animations="disabled", style=".pulse { display: none; }")
    assert png.startswith(b"\x89PNG") and len(png) > 10_000, name
    if os.environ.get("KUBELAB_SCREENSHOTS") == "1":
        (SCREENSHOTS / name).write_bytes(png)
    return png


class RestApi:
    """The REST API as the signed-in browser calls it (session cookie and CSRF token)."""

    def __init__(self, page, lab):
        self.request = page.request
        self.base = lab + "/api/"
        self.context = page.context

    def _headers(self) -> dict:
        token = next(
            c["value"] for c in self.context.cookies() if c["name"] == "csrftoken"
        )
        return {"X-CSRFToken": token, "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None, ok=(200, 201)):
        response = self.request.fetch(
            self.base + path,
            method=method,
            headers=self._headers(),
            data=json.dumps(body) if body is not None else None,
        )
        assert response.status in ok, f"{method} {path}: {response.text()}"
        return response

    def post(self, path: str, body: dict | None = None) -> dict:
        return self.call("POST", path, body).json()

    def get(self, path: str) -> dict:
        return self.call("GET", path).json()


@pytest.fixture
def rest(page, lab):
    """The REST API of a browser signed in as the demo student."""
    sign_in(page, lab)
    return RestApi(page, lab)


@pytest.fixture
def new_cluster(rest):
    """Make clusters for one test and delete them afterwards (clusters are quota'd)."""
    made: list[str] = []

    def make(name: str, yaml: str = "") -> str:
        slug = rest.post("clusters/", {"name": name, "template": "single"})["slug"]
        made.append(slug)
        if yaml:
            rest.post(f"clusters/{slug}/apply/", {"yaml": yaml})
        return slug

    yield make
    for slug in made:
        rest.call("DELETE", f"clusters/{slug}/", ok=(204, 404))
