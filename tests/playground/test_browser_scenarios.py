"""Break the cluster from the page and watch it react, in real headless Chromium.

Each test makes its own cluster through the REST API, then does the student's part with
clicks on the diagram (or a real kubectl), and never reloads the page.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.playground.conftest import screenshot
from tests.playground.manifests import web_deployment

pytestmark = pytest.mark.e2e


deployment = web_deployment

WEB_PODS = ".pod[data-name^='web-']"


def count(page, selector: str) -> int:
    return page.locator(selector).count()


def wait_count(page, selector: str, n: int, timeout: float = 60_000) -> None:
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length === n",
        arg=[selector, n],
        timeout=timeout,
    )


def open_cluster(page, lab, slug: str) -> None:
    page.goto(f"{lab}/clusters/{slug}/")
    page.wait_for_selector("#conn.live")
    # A marker that a reload would wipe: every step below happens on this one page.
    page.evaluate("window.notReloaded = true")


def click_inspector_button(page, label: str) -> None:
    page.locator("#inspector button", has_text=label).first.click()


def set_component(page, machine: str, component: str, action: str, state: str):
    page.click(f".machine[data-machine='{machine}'] .chip.c-{component}")
    page.wait_for_selector(f"#inspector h3:has-text('{component}')")
    click_inspector_button(page, action)
    page.wait_for_selector(
        f".machine[data-machine='{machine}'] .chip.c-{component}.s-{state}"
    )


def fast_forward(page) -> None:
    """Press "+5 min" and wait until the server has run the five minutes."""
    with page.expect_response("**/clock/advance/", timeout=120_000) as response:
        page.click("[data-advance='300']")
    assert response.value.status == 200, response.value.text()


def scale_in_inspector(page, replicas: int) -> None:
    """Pod → its owners → the Deployment, and scale it with the inspector's field."""
    page.locator(f".machine {WEB_PODS}").first.click()
    owners = page.wait_for_selector("#inspector .owners")
    deployment_link = page.locator("#inspector .owners a", has_text="Deployment/web")
    if deployment_link.count() == 0:  # the chain shows one owner at a time
        owners.query_selector("a").click()
        page.wait_for_selector("#inspector h3:has-text('ReplicaSet')")
    page.locator("#inspector .owners a", has_text="Deployment/web").click()
    page.wait_for_selector("#inspector h3:has-text('Deployment')")
    page.fill("#inspector input.replicas", str(replicas))
    click_inspector_button(page, "Scale")


def test_a_stopped_scheduler_leaves_new_pods_in_the_tray_until_it_starts(
    page, lab, new_cluster
):
    slug = new_cluster("no-scheduler", deployment(2))
    open_cluster(page, lab, slug)
    wait_count(page, f".machine.worker {WEB_PODS}.st-ready", 2, timeout=90_000)

    set_component(page, "control-plane", "kube-scheduler", "Stop", "stopped")
    scale_in_inspector(page, 5)
    wait_count(page, f"#tray {WEB_PODS}.st-unscheduled", 3)
    assert count(page, f".machine {WEB_PODS}") == 2
    # Show why they wait: the stopped scheduler, explained in the inspector.
    page.click(".machine[data-machine='control-plane'] .chip.c-kube-scheduler")
    page.wait_for_selector("#inspector .state.s-stopped")
    screenshot(page, "unscheduled-tray.png")

    click_inspector_button(page, "Start")
    wait_count(page, f".machine.worker {WEB_PODS}", 5)
    wait_count(page, f"#tray {WEB_PODS}", 0)
    wait_count(page, f".machine.worker {WEB_PODS}.st-ready", 5, timeout=90_000)
    assert page.evaluate("window.notReloaded") is True


def test_a_powered_off_worker_loses_its_pods_to_the_other_after_the_toleration(
    page, lab, new_cluster
):
    slug = new_cluster("node-failure", deployment(4))
    open_cluster(page, lab, slug)
    wait_count(page, f".machine.worker {WEB_PODS}.st-ready", 4, timeout=90_000)
    on = {
        w: count(page, f".machine[data-machine='{w}'] {WEB_PODS}")
        for w in ("worker1", "worker2")
    }
    victim, survivor = sorted(on, key=on.get, reverse=True)
    assert on[victim] > 0

    page.click(f".machine[data-machine='{victim}'] header")
    click_inspector_button(page, "Power off")
    page.wait_for_selector(f".machine.off[data-machine='{victim}']")
    # 40 s until the node is NotReady, then 300 s of `unreachable` toleration.
    fast_forward(page)
    page.wait_for_selector(f".machine.notready[data-machine='{victim}']")
    fast_forward(page)
    wait_count(page, f".machine[data-machine='{survivor}'] {WEB_PODS}.st-ready", 4)
    # What is left on the dead node is on its way out, not running.
    assert count(page, f".machine[data-machine='{victim}'] {WEB_PODS}.st-ready") == 0
    page.click(f".machine[data-machine='{victim}'] header")
    page.wait_for_selector("#inspector h3:has-text('powered off'), #inspector p")
    screenshot(page, "node-failure.png")
    assert page.evaluate("window.notReloaded") is True


def test_kubectl_scale_in_a_terminal_updates_the_open_diagram(
    page, lab, rest, new_cluster, kubectl_path, tmp_path
):
    slug = new_cluster("kubectl-scale", deployment(2))
    open_cluster(page, lab, slug)
    wait_count(page, f".machine.worker {WEB_PODS}", 2)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(rest.call("GET", f"clusters/{slug}/kubeconfig/").text())

    done = subprocess.run(
        [kubectl_path, "--kubeconfig", str(kubeconfig)]
        + ["scale", "deployment/web", "--replicas=4"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "deployment.apps/web scaled"
    wait_count(page, f".machine.worker {WEB_PODS}", 4)
    assert page.evaluate("window.notReloaded") is True
