"""Forms show their errors by the field, every control has a label, sign-in works by keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import unique_email

from .helpers import (
    GENERIC_LOGIN_ERROR,
    assert_every_input_labelled,
    create_user,
    expect_field_error,
    expect_sign_in_refused,
    expect_signed_in,
    label,
    reauthenticate_if_asked,
    screenshot,
    sign_in,
    submit_sign_in,
)

pytestmark = pytest.mark.e2e

PASSWORD = "saffron beacon orbit 64"


@pytest.mark.parametrize(
    ("email", "password1", "password2", "field", "error"),
    [
        ("not-an-email", PASSWORD, PASSWORD, "Email", "Enter a valid email address."),
        (None, "abc", "abc", "Password", "This password is too short."),
        (None, PASSWORD, PASSWORD + "!", "Password (again)", "You must type the same password"),
        (None, "password123", "password123", "Password", "This password is too common."),
    ],
    ids=["bad-email", "short", "mismatch", "common"],
)
def test_sign_up_shows_the_error_by_the_field(
    page, live_server_proc, email, password1, password2, field, error
):
    page.goto(live_server_proc.url + "/accounts/signup/")
    assert assert_every_input_labelled(page) >= 3
    page.get_by_label("Email").fill(email or unique_email("badsignup"))
    page.get_by_label(label("Password")).fill(password1)
    page.get_by_label(label("Password (again)")).fill(password2)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Sign Up")).to_be_visible()
    expect_field_error(page, field, error)
    expect(page.locator(".field-error")).to_have_count(1)  # only the field at fault


def test_sign_in_page_labels_errors_and_keyboard(page, live_server_proc):
    server = live_server_proc
    email = unique_email("keyboard")
    create_user(server, email, PASSWORD)
    page.goto(server.url + "/accounts/login/")
    screenshot(page, "sign-in")
    assert assert_every_input_labelled(page) >= 3  # email, password, remember me

    # Nothing filled in: each required field says so.
    page.get_by_role("button", name="Sign In").click()
    expect_field_error(page, "Email", "This field is required.")
    expect_field_error(page, "Password", "This field is required.")
    # A wrong password: the generic error for the whole form.
    submit_sign_in(page, server, email, "not the password")
    expect_sign_in_refused(page)
    expect(page.locator("main .form-errors")).to_have_text(GENERIC_LOGIN_ERROR)

    # By keyboard only: the skip link comes first, then Tab to the fields and Enter to send.
    page.goto(server.url + "/accounts/login/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    email_field = page.get_by_label("Email")
    for _ in range(10):
        if email_field.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(email_field).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect_signed_in(page, email)


def test_signed_in_forms_errors_and_labels(page, live_server_proc):
    server = live_server_proc
    email = unique_email("forms")
    create_user(server, email, PASSWORD)
    sign_in(page, server, email, PASSWORD)

    # Profile: the recovery email may not be the sign-in email (in any letter case).
    page.goto(server.url + "/accounts/profile/")
    assert assert_every_input_labelled(page) >= 4
    page.get_by_label("Backup recovery email").fill(email.upper())
    page.get_by_role("button", name="Save profile").click()
    expect_field_error(page, "Backup recovery email", "Use a different address")
    page.get_by_label("Backup recovery email").fill("not an address")
    page.get_by_role("button", name="Save profile").click()
    expect_field_error(page, "Backup recovery email", "Enter a valid email address.")
    page.get_by_label("Backup recovery email").fill(unique_email("backup"))
    page.get_by_label("Country").select_option(label="Norway")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.locator(".field-error")).to_have_count(0)

    # Phone: "12" is no phone number. Sending asks for the password again first; allauth then
    # replays the POST and shows its answer at /accounts/reauthenticate/, so the form must post
    # back to the phone page explicitly for the next try to work.
    page.goto(server.url + "/accounts/phone/")
    assert assert_every_input_labelled(page) >= 1
    page.get_by_label("Mobile phone number").fill("12")
    page.get_by_role("button", name="Send code").click()
    reauthenticate_if_asked(page, PASSWORD, page.locator(".field-error"))
    # (the profile's country, Norway, is the default region: "12" is no Norwegian number)
    expect_field_error(page, "Mobile phone number", "This number is not valid for its country.")
    # A real number, then a wrong code: the error is by the code field.
    page.get_by_label("Mobile phone number").fill("+1 415 555 2672")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_text("We sent a six-digit code to")).to_be_visible()
    assert assert_every_input_labelled(page) >= 2
    page.get_by_label("Code").fill("999999x")
    page.get_by_role("button", name="Verify phone").click()
    expect_field_error(page, "Code", "Enter the digits from the message we sent you.")

    # The authenticator app's activation code.
    page.goto(server.url + "/accounts/2fa/totp/activate/")
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    assert assert_every_input_labelled(page) >= 2  # the secret (read-only) and the code
    page.get_by_label("Authenticator code").fill("12345")
    page.get_by_role("button", name="Activate").click()
    expect_field_error(page, "Authenticator code", "Incorrect code.")

    # Every other form a signed-in person meets has labelled controls.
    for path, heading in [
        ("/accounts/security/", "Security"),
        ("/accounts/activity/", "Recent account activity"),
        ("/accounts/email/", "Email Addresses"),
        ("/accounts/password/change/", "Change Password"),
        ("/accounts/merge/", "Merge accounts"),
        ("/accounts/delete/", "Delete my account"),
        ("/accounts/sessions/", "Sessions"),
    ]:
        page.goto(server.url + path)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        assert_every_input_labelled(page)
    # The password-change form shows its errors by the field too.
    page.goto(server.url + "/accounts/password/change/")
    page.get_by_label("Current Password").fill("wrong current password")
    page.get_by_label(label("New Password")).fill("abc")
    page.get_by_label("New Password (again)").fill("abc")
    page.get_by_role("button", name="Change Password").click()
    expect_field_error(page, "Current Password", "Please type your current password.")


def test_delete_account_after_reauthentication(page, live_server_proc):
    server = live_server_proc
    email = unique_email("delete")
    create_user(server, email, PASSWORD)
    sign_in(page, server, email, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile").click()
    page.get_by_role("link", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Delete my account")).to_be_visible()
    assert assert_every_input_labelled(page) >= 2
    page.get_by_label("Your password").fill("not my password")
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Delete my account").click()
    reauthenticate_if_asked(page, PASSWORD, page.locator(".field-error"))
    expect_field_error(page, "Your password", "This is not your current password.")
    # The second try, from the page allauth showed after re-authentication, deletes the account.
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text(f"The account {email} and its data are deleted.")).to_be_visible()
    submit_sign_in(page, server, email, PASSWORD)
    expect_sign_in_refused(page)
