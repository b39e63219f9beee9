"""Signing up and finding the way around, in real headless Chromium."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.e2e


def test_a_visitor_signs_up_lands_on_the_labs_and_signs_out(page, lab):
    name = f"new-{uuid.uuid4().hex[:8]}"
    page.goto(lab + "/login/")
    page.click("a[href='/signup/'] >> nth=-1")  # the link under the form
    page.wait_for_url("**/signup/")
    page.fill("input[name=username]", name)
    page.fill("input[name=email]", f"{name}@example.org")
    page.fill("input[name=password1]", "12345678")
    page.fill("input[name=password2]", "12345678")
    page.click("button.primary")
    # Django's validators refuse it, on the same page, next to the field.
    page.wait_for_selector("#id_password2-error p")
    assert page.locator("#id_password2-error p").all_inner_texts() == [
        "This password is too common.",
        "This password is entirely numeric.",
    ]
    page.fill("input[name=password1]", "kettle-orbit-42-lantern")
    page.fill("input[name=password2]", "kettle-orbit-42-lantern")
    page.click("button.primary")
    page.wait_for_url("**/labs/")
    assert page.locator(".messages").inner_text() == f"Welcome, {name}."
    nav = page.locator("nav.nav")
    assert nav.locator("a[aria-current=page]").inner_text() == "Labs"
    nav.locator("a[href='/courses/join/']").click()
    page.wait_for_url("**/courses/join/")
    page.click(f"button:has-text('Sign out ({name})')")
    page.wait_for_url("**/login/")
    page.click("text=Forgot your password?")
    page.fill("input[name=email]", f"{name}@example.org")
    page.click("button.primary")
    page.wait_for_url("**/password-reset/sent/")
    assert page.locator("h1").inner_text() == "Check your e-mail"
