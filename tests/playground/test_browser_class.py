"""A class in real headless Chromium: a student joins with the code, works through lab 3
in the browser, and the instructor's wall follows every step without a reload.

The instructor and the class are made with `manage.py createinstructor` and
`createclass`, as an operator would. Both pages push their fallback polls out to an
hour, so every tick and every wall update seen here came over a WebSocket.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.playground.conftest import RestApi, new_page, screenshot, sign_in
from tests.playground.test_browser_lab import (
    LAB,
    LIVE_WEB_POD,
    STEPS,
    delete_a_web_pod,
    is_done,
    set_controller_manager,
    wait_done,
)

pytestmark = pytest.mark.e2e
PASSWORD = "kettle-orbit-42-lantern"
LAB_TITLE = "Self-healing with ReplicaSets"
ALL_STEPS = [*STEPS, "healed"]
# How long the wall may lag behind the student's page (a push takes well under a
# second; the bound leaves room for a loaded machine).
WALL_LAG_MS = 5_000
NO_POLL = "window.KUBELAB_WALL_POLL_MS = window.KUBELAB_LAB_POLL_MS = 3600000"


def open_class(lab_manage, tag: str) -> tuple[str, str, str]:
    """An instructor and their class, made from the command line: (instructor, class
    name, join code)."""
    teacher, name = f"teacher-{tag}", f"Kubernetes {tag}"
    lab_manage("createinstructor", teacher, "--no-input", INSTRUCTOR_PASSWORD=PASSWORD)
    out = lab_manage("createclass", name, "--instructor", teacher)
    return teacher, name, re.search(r"join code:\s+(\w+)", out)[1]


def sign_up(page, lab, username: str, code: str = "") -> None:
    page.goto(lab + "/signup/")
    page.fill("input[name=username]", username)
    page.fill("input[name=email]", f"{username}@example.org")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.fill("input[name=join_code]", code)
    page.click("button.primary")
    page.wait_for_url("**/labs/")


def join_with_code(page, code: str) -> None:
    page.locator("nav.nav a[href='/courses/join/']").click()
    page.wait_for_url("**/courses/join/")
    page.fill("input[name=code]", code.lower())  # codes ignore case
    page.click("form.row button.primary")
    page.wait_for_url("**/labs/")


def wall_row(username: str) -> str:
    return f".wall tbody tr[data-user='{username}']"


def wait_wall_steps(wall, username: str, done: int) -> int:
    """Wait until the wall shows `done` steps for the student; returns the seconds
    spent it shows."""
    row = wall_row(username)
    wall.wait_for_selector(f"{row} td.steps[data-done='{done}']", timeout=WALL_LAG_MS)
    assert wall.inner_text(f"{row} td.steps").strip() == f"{done}/{len(ALL_STEPS)}"
    assert wall.inner_text(f"{row} td.lab") == LAB_TITLE
    time_text = wall.inner_text(f"{row} td.time")
    assert re.fullmatch(r"\d+ (s|min)", time_text), time_text
    return int(wall.get_attribute(f"{row} td.time", "data-seconds"))


def test_the_wall_follows_a_student_through_lab_3_live(browser, lab, lab_manage):
    tag = uuid.uuid4().hex[:8]
    teacher, class_name, code = open_class(lab_manage, tag)
    student, classmate = f"student-{tag}", f"classmate-{tag}"

    # The instructor opens the wall from the labs page; nobody has joined yet.
    wall = new_page(browser)
    wall.add_init_script(NO_POLL)
    sign_in(wall, lab, teacher, PASSWORD)
    wall.goto(lab + "/labs/")
    wall.click(f"a:has-text('Wall of {class_name}')")
    wall.wait_for_selector("#wall-conn.live")
    wall.wait_for_selector(".wall .empty", state="visible")
    assert wall.inner_text(".join-code") == code
    wall.evaluate("window.notReloaded = true")

    # A classmate signs up with the code on the form and appears on the wall.
    mate = new_page(browser)
    sign_up(mate, lab, classmate, code)
    wall.wait_for_selector(wall_row(classmate), timeout=WALL_LAG_MS)
    assert wall.inner_text(f"{wall_row(classmate)} td.lab") == "—"
    mate.context.close()

    # The student signs up, then joins with the code on the join page.
    page = new_page(browser)
    page.add_init_script(NO_POLL)
    sign_up(page, lab, student)
    join_with_code(page, code)
    assert page.locator(".messages").inner_text() == f"You joined {class_name}."
    wall.wait_for_selector(wall_row(student), timeout=WALL_LAG_MS)

    page.goto(f"{lab}/labs/{LAB}/")
    page.click("button.primary:has-text('Start this lab')")
    page.wait_for_selector("#lab-conn.live")
    slug = page.get_attribute(".lab", "data-cluster")
    rest = RestApi(page, lab)
    try:
        spent = [wait_wall_steps(wall, student, 0)]
        with page.context.expect_page() as opened:
            page.click("text=Open the lab's cluster")
        diagram = opened.value
        diagram.wait_for_selector("#conn.live")
        diagram.click("[data-speed='10']")

        def step_done(step: str, timeout: float = 30_000) -> None:
            """The page ticks the step by itself; the wall shows it soon after."""
            wait_done(page, step, timeout=timeout)
            spent.append(wait_wall_steps(wall, student, ALL_STEPS.index(step) + 1))

        step_done("three-running", timeout=90_000)
        assert not any(is_done(page, s) for s in ALL_STEPS[1:])
        delete_a_web_pod(diagram)
        step_done("delete-a-pod")
        set_controller_manager(diagram, "Stop", "stopped")
        step_done("stop-controller-manager")
        diagram.wait_for_function(
            'document.querySelectorAll("' + LIVE_WEB_POD + '").length === 3'
        )
        delete_a_web_pod(diagram)
        step_done("no-healing")

        # The update that brought the step also brought the cluster's health.
        health = f"{wall_row(student)} td.health"
        stopped = "kube-controller-manager stopped on control-plane"
        assert stopped in wall.inner_text(health)
        wall.bring_to_front()
        screenshot(wall, "class-wall.png")
        page.bring_to_front()
        screenshot(page, "class-lab-steps.png")

        set_controller_manager(diagram, "Start", "running")
        step_done("healed")
        assert wall.inner_text(health) == "healthy"

        assert spent[1] > 0 and spent == sorted(spent), spent
        assert wall.evaluate("window.notReloaded") is True
        # The classmate who has not started stays as they were.
        assert wall.inner_text(f"{wall_row(classmate)} td.steps") == "—"
    finally:
        rest.call("DELETE", f"clusters/{slug}/", ok=(204, 404))
