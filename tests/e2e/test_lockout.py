"""Lockout after failed sign-ins, and an administrator unlocking the account from the admin site.

The live server locks for LANWARD_LOCKOUT_BASE_SECONDS=2 seconds, so a temporary lock ends by
itself almost at once. The test makes the lock permanent (as the fourth lock in a row would) and
checks the right password is still refused before the administrator unlocks the account.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.conftest import mail_body, unique_email

from .helpers import (
    activity_rows,
    create_users,
    expect_sign_in_refused,
    open_activity,
    run_py,
    sign_in,
    submit_sign_in,
)

pytestmark = pytest.mark.e2e

PASSWORD = "amber falcon window 73"
ADMIN_PASSWORD = "admin cedar rocket 64"


def test_lockout_and_admin_unlock(browser, page, live_server_proc):
    server = live_server_proc
    email = unique_email("locked")
    admin_email = unique_email("admin")
    create_users(
        server,
        {"email": email, "password": PASSWORD},
        {"email": admin_email, "password": ADMIN_PASSWORD, "staff": True},
    )

    for attempt in range(5):
        submit_sign_in(page, server, email, f"wrong password {attempt}")
        expect_sign_in_refused(page)
    locked_at = time.monotonic()
    # The sixth attempt, with the right password, gets the very same generic error (it comes well
    # inside the 2 s lock; the activity log below shows it was refused as locked).
    submit_sign_in(page, server, email, PASSWORD)
    expect_sign_in_refused(page)
    lock_mail = server.mailbox.wait_for(email, "locked")
    assert "too many failed sign-ins" in mail_body(lock_mail)

    # Make the lock permanent, wait out the 2 s temporary lock: the right password stays refused.
    run_py(
        server,
        f"from lanward.accounts.models import LockState; "
        f"print(LockState.objects.filter(user__email={email!r}).update(permanent=True))",
    )
    time.sleep(max(0.0, 2.5 - (time.monotonic() - locked_at)))
    submit_sign_in(page, server, email, PASSWORD)
    expect_sign_in_refused(page)

    # An administrator unlocks it: Users list -> select the user -> the unlock action.
    admin_context = browser.new_context()
    try:
        admin = admin_context.new_page()
        admin.set_default_timeout(15000)
        admin.goto(server.url + "/admin/")
        expect(admin).to_have_url(re.compile(r"/accounts/login/\?next=(/|%2F)admin(/|%2F)$"))
        submit_sign_in(admin, server, admin_email, ADMIN_PASSWORD)
        expect(admin.get_by_role("heading", name="Site administration")).to_be_visible()
        admin.get_by_role("link", name="Users", exact=True).click()
        admin.get_by_role("textbox", name="Search", exact=True).fill(email)
        admin.get_by_role("button", name="Search").click()
        expect(admin.get_by_text("1 result")).to_be_visible()
        row = admin.get_by_role("row").filter(has_text=email)
        locked_cell = row.locator("td.field-locked")  # the "Locked" column
        expect(locked_cell.get_by_role("img")).to_have_attribute("alt", "True")
        row.get_by_role("checkbox").check()
        admin.get_by_role("combobox", name="Action").select_option(
            label="Unlock the selected accounts"
        )
        admin.get_by_role("button", name="Go").click()
        expect(admin.get_by_text("1 locked account(s) unlocked.")).to_be_visible()
        expect(locked_cell.get_by_role("img")).to_have_attribute("alt", "False")
    finally:
        admin_context.close()

    sign_in(page, server, email, PASSWORD)
    open_activity(page)
    rows = activity_rows(page)
    kinds = [what for what, _ in rows]
    assert "Account locked" in kinds, rows
    assert ("Account unlocked", f"unlocked by administrator {admin_email}") in rows, rows
    assert rows.count(("Failed sign-in", "wrong password")) == 5, rows
    # The sixth attempt (temporary lock) and the one after it (permanent lock).
    assert rows.count(("Failed sign-in", "refused: account locked")) == 2, rows
