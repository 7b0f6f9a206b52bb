"""Merging account B (with an authenticator app) into account A, and the merges refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import unique_email

from .helpers import (
    activity_rows,
    create_users,
    enable_totp,
    expect_field_error,
    expect_sign_in_refused,
    screenshot,
    sign_in,
    submit_sign_in,
    totp_code,
)

pytestmark = pytest.mark.e2e

PASSWORD_A = "walnut comet ledger 11"
PASSWORD_B = "copper heron signal 86"
GENERIC_MERGE_ERROR = "The email or password is not correct, or that account cannot sign in"


def test_merge_b_into_a(browser, page, live_server_proc):
    server = live_server_proc
    email_a, email_b = unique_email("merge-a"), unique_email("merge-b")
    create_users(
        server,
        {"email": email_a, "password": PASSWORD_A},
        {"email": email_b, "password": PASSWORD_B},
    )

    # B signs in in its own browser and turns on an authenticator app; it stays signed in.
    b_context = browser.new_context()
    b_page = b_context.new_page()
    b_page.set_default_timeout(15000)
    sign_in(b_page, server, email_b, PASSWORD_B)
    secret_b = enable_totp(b_page, PASSWORD_B)

    # A: Profile -> Merge accounts -> confirm own password.
    sign_in(page, server, email_a, PASSWORD_A)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile").click()
    page.get_by_role("link", name="Merge accounts").click()
    expect(page.get_by_role("heading", name="Merge accounts")).to_be_visible()
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Continue").click()
    expect_field_error(page, "Your password", "This is not your current password.")
    page.get_by_label("Your password").fill(PASSWORD_A)
    page.get_by_role("button", name="Continue").click()

    # Step 2, refused: A into itself.
    fill_other_account(page, email_a, PASSWORD_A)
    expect(form_error(page)).to_contain_text("That is the account you are signed in to.")
    # Refused: B with a wrong password gets the generic error.
    fill_other_account(page, email_b, "wrong password")
    expect(form_error(page)).to_contain_text(GENERIC_MERGE_ERROR)
    # Right: on to B's second factor.
    fill_other_account(page, email_b, PASSWORD_B)
    expect(page.get_by_text("The other account has two-factor authentication.")).to_be_visible()
    code_field = "Two-factor code of the other account"
    page.get_by_label(code_field).fill("12345")
    page.get_by_role("button", name="Continue").click()
    expect_field_error(page, code_field, "That code is not right.")
    page.get_by_label(code_field).fill(totp_code(secret_b))
    page.get_by_role("button", name="Continue").click()

    # Step 4: the review lists what moves.
    expect(page.get_by_role("heading", name="Review")).to_be_visible()
    items = page.locator("ul.merge-items li")
    expect(items.filter(has_text=re.compile(r"^\d+ activity log entries$"))).to_have_count(1)
    expect(
        items.filter(has_text=f"Email address {email_b} (becomes a secondary address)")
    ).to_have_count(1)
    screenshot(page, "merge-review")
    page.get_by_role("button", name="Merge accounts").click()

    # Success: A's activity shows the merge and B's former events.
    expect(page.get_by_text(re.compile(r"^Merged\. \d+ item\(s\) moved"))).to_be_visible()
    expect(page.get_by_role("heading", name="Recent account activity")).to_be_visible()
    rows = activity_rows(page)
    assert ("Accounts merged", f"merged {email_b} into this account") in rows, rows
    assert ("Two-factor method added", "TOTP Authenticator") in rows, rows  # B's app
    assert ("Two-factor method added", "Recovery codes") in rows, rows
    assert ("Wrong two-factor code", "wrong code during a merge") in rows, rows  # against B
    assert ("Failed sign-in", "wrong password") in rows, rows  # B's wrong password above
    assert sum(what == "Signed in" for what, _ in rows) == 2, rows  # A's and B's

    # B's email is now a verified, secondary address of A.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Email addresses").click()
    expect(page.get_by_role("heading", name="Email Addresses")).to_be_visible()
    b_address = page.get_by_label(email_b)
    expect(b_address).to_have_count(1)
    b_label = page.locator("label", has_text=email_b)
    expect(b_label).to_contain_text("Verified")
    expect(b_label).not_to_contain_text("Primary")
    expect(page.locator("label", has_text=email_a)).to_contain_text("Primary")

    assert server.mailbox.wait_for(email_a, "Accounts merged")
    assert server.mailbox.wait_for(email_b, "Your account was merged")

    # B is closed: its open session has ended and it can no longer sign in.
    b_page.reload()
    expect(b_page).to_have_url(re.compile(r"/accounts/login/"))
    b_context.close()
    fresh = browser.new_context()
    try:
        other = fresh.new_page()
        other.set_default_timeout(15000)
        submit_sign_in(other, server, email_b, PASSWORD_B)
        expect_sign_in_refused(other)
    finally:
        fresh.close()


def fill_other_account(page, email: str, password: str) -> None:
    page.get_by_label("Email of the other account").fill(email)
    page.get_by_label("Password of the other account").fill(password)
    page.get_by_role("button", name="Continue").click()


def form_error(page):
    return page.locator("main .form-errors[role=alert]")
