"""The administration site: its sign-in goes through the portal's, second factor included."""

from __future__ import annotations

import base64
import os
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import unique_email

from .helpers import create_user, totp_code

pytestmark = pytest.mark.e2e

PASSWORD = "staff granite lamp 58"


def test_admin_sign_in_asks_for_the_second_factor(page, live_server_proc):
    server = live_server_proc
    email = unique_email("staff2fa")
    secret = base64.b32encode(os.urandom(20)).decode()
    create_user(server, email, PASSWORD, staff=True, totp_secret=secret)

    page.goto(server.url + "/admin/")
    # Whichever sign-in page /admin/ leads to, email and password alone must not open it.
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile(r"^(Sign In|Log in)$")).click()
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    expect(page.get_by_role("heading", name="Site administration")).to_have_count(0)

    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(server.url + "/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
