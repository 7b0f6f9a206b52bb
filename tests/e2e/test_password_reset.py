"""Forgot password, end to end: the link from the mail works once and the old password is gone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import first_link, unique_email

from .helpers import (
    activity_rows,
    create_user,
    expect_field_error,
    expect_sign_in_refused,
    label,
    open_activity,
    sign_in,
    submit_sign_in,
)

pytestmark = pytest.mark.e2e

OLD_PASSWORD = "old quiet harbour 17"
NEW_PASSWORD = "new bright meadow 29"


def test_forgot_password_end_to_end(page, live_server_proc):
    server = live_server_proc
    email = unique_email("reset")
    create_user(server, email, OLD_PASSWORD)

    page.goto(server.url + "/accounts/login/")
    sign_in_form = page.locator("form").filter(has=page.get_by_label("Password"))
    sign_in_form.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Password Reset")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Reset My Password").click()
    expect(page.get_by_text("We have sent you an email.")).to_be_visible()

    link = first_link(server.mailbox.wait_for(email, "Password Reset"), "/password/reset/key/")
    assert link.startswith(server.url + "/"), link
    page.goto(link)
    expect(page.get_by_role("heading", name="Change Password")).to_be_visible()
    # A weak new password is refused by the field first.
    page.get_by_label(label("New Password")).fill("password123")
    page.get_by_label(label("New Password (again)")).fill("password123")
    page.get_by_role("button", name="Change Password").click()
    expect_field_error(page, "New Password", "This password is too common.")
    page.get_by_label(label("New Password")).fill(NEW_PASSWORD)
    page.get_by_label(label("New Password (again)")).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_text("Your password is now changed.")).to_be_visible()

    # The same link a second time: invalid.
    page.goto(link)
    expect(page.get_by_role("heading", name="Bad Token")).to_be_visible()
    expect(page.get_by_text("The password reset link was invalid")).to_be_visible()
    expect(page.get_by_label(label("New Password"))).to_have_count(0)

    # The old password no longer works; the new one does.
    submit_sign_in(page, server, email, OLD_PASSWORD)
    expect_sign_in_refused(page)
    sign_in(page, server, email, NEW_PASSWORD)
    open_activity(page)
    assert ("Password reset", "") in activity_rows(page)
