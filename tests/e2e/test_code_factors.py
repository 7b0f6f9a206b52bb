"""Second factors by email code and by SMS code, turned on from the Security page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import unique_email

from .helpers import (
    create_user,
    expect_field_error,
    expect_signed_in,
    mail_count,
    open_security,
    reauthenticate_if_asked,
    sign_in,
    sign_out,
    sms_count,
    submit_sign_in,
    two_factor_row,
    wait_for_mail_code,
    wait_for_sms_code,
)

pytestmark = pytest.mark.e2e

PASSWORD = "violet glacier token 35"
PHONE = "+14155552671"


def expect_code_page(page) -> None:
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()


def test_email_code_second_factor(page, live_server_proc):
    server = live_server_proc
    email = unique_email("mailcode")
    create_user(server, email, PASSWORD)
    sign_in(page, server, email, PASSWORD)

    open_security(page)
    two_factor_row(page, "Email code").get_by_role("button", name="Turn on email codes").click()
    reauthenticate_if_asked(
        page,
        PASSWORD,
        page.get_by_text("Email code is on: we will ask for a code at each sign-in."),
    )
    expect(two_factor_row(page, "Email code")).to_contain_text("on")
    sign_out(page)

    submit_sign_in(page, server, email, PASSWORD)
    expect_code_page(page)
    before = mail_count(server, email, "code")
    page.get_by_role("button", name="Email a code to").click()
    expect(page.get_by_text("We sent a code to")).to_be_visible()
    code = wait_for_mail_code(server, email, after=before)
    # A wrong code first: an error by the field, still not signed in.
    page.get_by_label("Code").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Sign in").click()
    expect_field_error(page, "Code", "Incorrect code.")
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    expect_signed_in(page, email)
    sign_out(page)

    # The emailed code works once.
    submit_sign_in(page, server, email, PASSWORD)
    expect_code_page(page)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    expect_field_error(page, "Code", "Incorrect code.")
    expect(page.get_by_role("navigation", name="Account", exact=True)).to_have_count(0)


def test_sms_code_second_factor(page, live_server_proc):
    server = live_server_proc
    email = unique_email("smscode")
    create_user(server, email, PASSWORD)
    sign_in(page, server, email, PASSWORD)

    # Add and verify a phone: the log SMS provider writes the text to <data dir>/sms.log.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile").click()
    page.get_by_role("link", name="Add phone").click()
    expect(page.get_by_role("heading", name="Mobile phone number")).to_be_visible()
    before = sms_count(server, PHONE)
    page.get_by_label("Mobile phone number").fill("+1 415 555 2671")
    page.get_by_role("button", name="Send code").click()
    reauthenticate_if_asked(page, PASSWORD, page.get_by_text("We sent a six-digit code to"))
    code = wait_for_sms_code(server, PHONE, after=before)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Verify phone").click()
    expect(page.get_by_text("Your phone number is verified.")).to_be_visible()

    # Security: turn on SMS codes.
    expect(page.get_by_role("heading", name="Security", exact=True)).to_be_visible()
    row = two_factor_row(page, "SMS code")
    expect(row).to_contain_text("+14")
    row.get_by_role("button", name="Turn on SMS codes").click()
    reauthenticate_if_asked(
        page, PASSWORD, page.get_by_text("SMS code is on: we will ask for a code at each sign-in.")
    )
    open_security(page)
    expect(two_factor_row(page, "SMS code")).to_contain_text("on")
    sign_out(page)

    submit_sign_in(page, server, email, PASSWORD)
    expect_code_page(page)
    before = sms_count(server, PHONE)
    page.get_by_role("button", name="Text a code to").click()
    expect(page.get_by_text("We sent a code to")).to_be_visible()
    code = wait_for_sms_code(server, PHONE, after=before)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    expect_signed_in(page, email)
