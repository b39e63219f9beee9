"""The cluster page in real headless Chromium against a real `manage.py lab`."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, stop_process, subprocess_env, wait_until

pytestmark = pytest.mark.e2e
SCREENSHOTS = ROOT / "docs" / "screenshots"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
"""


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The whole lab (daphne, Celery worker and beat, Redis) in a private directory."""
    port, k8s_port = free_port(), free_port()
    var = tmp_path_factory.mktemp("lab")
    env = subprocess_env(
        KUBELAB_VAR_DIR=str(var),
        PORT=str(port),
        K8S_PORT=str(k8s_port),
        DEMO_PASSWORD="demo-password",
        CELERY_CONCURRENCY="1",
    )
    log = open(Path(var) / "lab.log", "w")  # noqa: SIM115
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
def page(lab, chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path, args=["--no-sandbox"]
        )
        context = browser.new_context(
            viewport={"width": 1500, "height": 1000}, locale="en-US"
        )
        page = context.new_page()
        page.set_default_timeout(30_000)
        yield page
        browser.close()


def sign_in(page, lab):
    page.goto(lab + "/login/")
    page.fill("input[name=username]", "demo")
    page.fill("input[name=password]", "demo-password")
    page.click("button[type=submit]")
    page.wait_for_url("**/clusters/")


def test_sign_in_create_a_cluster_apply_a_deployment_and_see_it_run(page, lab):
    sign_in(page, lab)
    page.fill("input[name=name]", "e2e")
    page.select_option("select[name=template]", "single")
    page.click("form.row button[type=submit]")
    page.wait_for_url("**/clusters/e2e/")
    page.wait_for_selector("#conn.live")
    page.wait_for_selector(".machine.master .chip.c-kube-apiserver")
    assert page.locator(".machine.worker").count() == 2
    page.click("[data-tab=editor]")
    page.fill("#yaml", DEPLOYMENT)
    page.click("#apply")
    page.wait_for_selector("#apply-result .ok")
    page.wait_for_function(
        "document.querySelectorAll('.pod[data-name^=\"web-\"]').length === 3"
    )
    page.wait_for_selector(".svc[data-name=web]")
    page.wait_for_function(
        "document.querySelectorAll('.machine.worker .pod.st-ready[data-name^=\"web-\"]').length === 3",
        timeout=90_000,
    )
    page.locator(".pod[data-name^='web-']").first.click()
    page.wait_for_selector("#inspector pre.yaml")
    page.screenshot(path=str(SCREENSHOTS / "cluster-running.png"))


def test_field_errors_are_shown_at_their_line(page, lab):
    sign_in(page, lab)
    page.goto(lab + "/clusters/demo/")
    page.wait_for_selector("#conn.live")
    page.click("[data-tab=editor]")
    page.fill("#yaml", DEPLOYMENT.replace("replicas: 3", "replicas: -3"))
    page.click("#apply")
    error = page.wait_for_selector(".field-errors li")
    assert "spec.replicas" in error.inner_text()
    assert page.locator(".gutter .err").inner_text().strip() == "6"
    page.screenshot(path=str(SCREENSHOTS / "field-error.png"))


def test_names_are_shown_as_text_never_as_markup(page, lab):
    sign_in(page, lab)
    page.goto(lab + "/clusters/demo/")
    page.wait_for_selector("#conn.live")
    page.evaluate("window.pwned = false")
    page.click("[data-tab=editor]")
    page.fill(
        "#yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: xss\n  labels: {a: b}\n"
        "  annotations: {note: '<img src=x onerror=\"window.pwned=true\">'}\n"
        "spec:\n  containers:\n  - name: app\n    image: busybox\n"
        "    resources: {requests: {cpu: '64'}}\n",
    )
    page.click("#apply")
    page.wait_for_selector("#tray .pod[data-name=xss]")
    page.locator(".pod[data-name=xss]").click()
    page.wait_for_selector("#inspector pre.yaml")
    assert "<img src=x" in page.locator("#inspector pre.yaml").inner_text()
    assert page.evaluate("window.pwned") is False
    assert page.locator("#inspector img").count() == 0


def test_the_page_speaks_spanish(page, lab):
    sign_in(page, lab)
    page.goto(lab + "/clusters/")
    page.select_option("#lang-select", "es")
    page.wait_for_selector("h1:has-text('Mis clústeres')")
    page.goto(lab + "/clusters/demo/")
    page.wait_for_selector("#conn.live")
    assert (
        page.locator("h2.col-title")
        .first.inner_text()
        .lower()
        .startswith("plano de control")
    )
    page.click("[data-tab=legend]")
    assert "en ejecución" in page.locator("#legend").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "cluster-es.png"))
    page.select_option("#lang-select", "en")
