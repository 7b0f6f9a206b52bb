"""The bell in the console's header: the unread count, opening it, marking read."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import unique_email

from .helpers import create_user, run_py, screenshot, sign_in

pytestmark = pytest.mark.e2e

PASSWORD = "lantern meadow copper 71"


def test_bell_count_open_and_mark_read(page, live_server_proc):
    server = live_server_proc
    email = unique_email("bell")
    create_user(server, email, PASSWORD, staff=True)
    out = run_py(
        server,
        f"""
from lanward.accounts.models import User
from lanward.notify.services import publish
user = User.objects.get(email={email!r})
publish("alert", "medium", "Camera reached a botnet server", url="/alerts/", user=user)
publish("station", "low", "The station dropped 1200 flows", user=user)
print("published")
""",
    )
    assert out == "published"

    sign_in(page, server, email, PASSWORD)
    bell = page.locator("details.bell")
    count = bell.locator(".bell-count")
    expect(count).to_have_text("2")
    expect(bell.locator("summary")).to_have_attribute("aria-label", "Notifications, 2 unread")
    panel = page.get_by_role("region", name="Unread notifications")
    expect(panel).to_be_hidden()

    bell.locator("summary").click()
    expect(panel).to_be_visible()
    expect(panel.get_by_role("link", name="Camera reached a botnet server")).to_be_visible()
    expect(panel.get_by_text("The station dropped 1200 flows")).to_be_visible()
    screenshot(page, "notify-bell-open")

    here = page.url
    panel.locator("li", has_text="Camera reached a botnet server").get_by_role(
        "button", name="Mark read"
    ).click()
    expect(page).to_have_url(here)  # back where the person was
    expect(count).to_have_text("1")
    bell.locator("summary").click()
    expect(panel.get_by_text("Camera reached a botnet server")).to_have_count(0)
    expect(panel.get_by_text("The station dropped 1200 flows")).to_be_visible()

    panel.get_by_role("button", name="Mark all read").click()
    expect(count).to_have_count(0)
    expect(bell.locator("summary")).to_have_attribute("aria-label", "Notifications, 0 unread")

    # Read ones stay on the notifications page.
    page.locator("details.bell summary").click()
    panel.get_by_role("link", name="All notifications").click()
    expect(page.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()
    expect(page.locator("tr.notification")).to_have_count(2)
    expect(page.locator("tr.notification.unread")).to_have_count(0)
