"""A guided lab in real headless Chromium: its steps tick off as the student works.

The student keeps the lab page open and does the steps in the cluster's diagram in a
second tab. The lab page's fallback poll is pushed out to an hour, so every tick seen
here came from the cluster's WebSocket stream, and the page is never reloaded.
"""

from __future__ import annotations

import pytest

from tests.playground.conftest import screenshot

pytestmark = pytest.mark.e2e
LAB = "03-self-healing"
STEPS = ["three-running", "delete-a-pod", "stop-controller-manager", "no-healing"]
LIVE_WEB_POD = ".machine .pod.st-ready[data-name^='web-']"


def is_done(page, step: str) -> bool:
    return "done" in page.get_attribute(f"#step-{step}", "class").split()


def wait_done(page, step: str, timeout: float = 30_000) -> None:
    page.wait_for_selector(f"#step-{step}.done", timeout=timeout)
    assert page.inner_text(f"#step-{step} .tick") == "✔"


def delete_a_web_pod(diagram) -> None:
    pod = diagram.locator(LIVE_WEB_POD).first
    name = pod.get_attribute("data-name")
    pod.click()
    diagram.wait_for_selector(f"#inspector h3:has-text('{name}')")
    diagram.locator("#inspector button", has_text="Delete").click()
    # nginx exits within a second of SIGTERM, so Terminating may last less than a
    # frame: wait until the pod is no longer a live one, terminating or gone.
    diagram.wait_for_function(
        "name => !document.querySelector(`.pod.st-ready[data-name='${name}']`)",
        arg=name,
    )


def set_controller_manager(diagram, action: str, state: str) -> None:
    chip = ".machine[data-machine='control-plane'] .chip.c-kube-controller-manager"
    diagram.click(chip)
    diagram.wait_for_selector("#inspector h3:has-text('kube-controller-manager')")
    diagram.locator("#inspector button", has_text=action).click()
    diagram.wait_for_selector(f"{chip}.s-{state}")


def test_lab_3_steps_tick_off_live_while_the_student_works_in_the_diagram(
    page, lab, rest
):
    page.add_init_script("window.KUBELAB_LAB_POLL_MS = 3600000")
    page.goto(f"{lab}/labs/{LAB}/")
    page.click("button.primary:has-text('Start this lab')")
    page.wait_for_selector("#lab-conn.live")
    slug = page.get_attribute(".lab", "data-cluster")
    page.evaluate("window.notReloaded = true")
    try:
        with page.context.expect_page() as opened:
            page.click("text=Open the lab's cluster")
        diagram = opened.value
        diagram.wait_for_selector("#conn.live")
        diagram.click("[data-speed='10']")

        wait_done(page, "three-running", timeout=90_000)
        assert not any(is_done(page, s) for s in STEPS[1:])
        assert page.inner_text("#step-delete-a-pod .explanation")  # says why not

        delete_a_web_pod(diagram)
        wait_done(page, "delete-a-pod")

        assert not is_done(page, "stop-controller-manager")
        set_controller_manager(diagram, "Stop", "stopped")
        wait_done(page, "stop-controller-manager")

        assert not is_done(page, "no-healing")
        diagram.wait_for_function(
            'document.querySelectorAll("' + LIVE_WEB_POD + '").length === 3'
        )
        delete_a_web_pod(diagram)
        wait_done(page, "no-healing")

        assert not is_done(page, "healed")
        set_controller_manager(diagram, "Start", "running")
        wait_done(page, "healed")

        assert page.evaluate("window.notReloaded") is True
        assert int(page.get_attribute(".lab", "data-checks")) >= len(STEPS) + 1
        page.bring_to_front()
        screenshot(page, "lab-steps.png")
    finally:
        rest.call("DELETE", f"clusters/{slug}/", ok=(204, 404))
