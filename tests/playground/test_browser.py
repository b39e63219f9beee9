"""The cluster page in real headless Chromium against a real `manage.py lab`."""

from __future__ import annotations

import pytest

from tests.playground.conftest import screenshot, sign_in
from tests.playground.manifests import WEB_SERVICE, documents, web_deployment

pytestmark = pytest.mark.e2e
DEPLOYMENT = documents(web_deployment(3), WEB_SERVICE)


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
    # Ready addresses, pods or not: the kubernetes Service's is the API server's.
    page.wait_for_function(
        "document.querySelector('.svc[data-name=web]').textContent"
        ".includes('3 endpoints')"
    )
    assert "· 1 endpoint" in page.inner_text(".svc[data-name=kubernetes]")
    page.locator(".pod[data-name^='web-']").first.click()
    page.wait_for_selector("#inspector pre.yaml")
    screenshot(page, "cluster-running.png")


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
    screenshot(page, "field-error.png")


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
    screenshot(page, "cluster-es.png")
    page.select_option("#lang-select", "en")
