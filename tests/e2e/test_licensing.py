"""Licenses and stations in the portal, end to end: activation codes, auto-renew, renewals,
finding the sign-in email from a code, pairing stations within the seats, and the dashboard.

The station side of pairing is plain HTTP against the real server (what `lanward station pair`
sends); everything a person does goes through the browser.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import Locator, Page, expect

from lanward.lib import codes
from tests.conftest import LiveServer, mail_body, unique_email

from .helpers import create_user, expect_field_error, run_py, screenshot, sign_in

pytestmark = pytest.mark.e2e

PASSWORD = "amber lantern river 42"
PLAN_NAME = "lanward Home, 1 year"
GENERIC_RECOVER = "If this code was used to activate a license, we sent a reminder to the account's email address."


# --- setup ----------------------------------------------------------------------------------


def issue_code(server: LiveServer) -> str:
    """A new home-1y activation code, as `lanward manage issue-codes` prints it."""
    out = server.manage("issue-codes", "--plan", "home-1y", "--count", "1").stdout.strip()
    assert re.fullmatch(r"[0-9A-Z]{5}(-[0-9A-Z]{5}){3}", out), out
    return out


def licensed_user(server: LiveServer, email: str) -> str:
    """A verified user who activated a new home-1y code (in one shell run); returns the code."""
    return run_py(
        server,
        f"""
from allauth.account.models import EmailAddress
from lanward.accounts.models import User
from lanward.lib.codes import pretty
from lanward.licensing import services
from lanward.licensing.models import ActivationCode, Plan
u = User.objects.create_user({email!r}, {PASSWORD!r})
EmailAddress.objects.create(user=u, email=u.email, verified=True, primary=True)
code = ActivationCode.issue(Plan.objects.get(slug="home-1y"), 1)[0].code
services.activate(u, code)
print(pretty(code))
""",
    )


def mistype(code: str) -> str:
    """The code with one character replaced by another character of the alphabet."""
    i = 7  # inside the second group
    wrong = codes.ALPHABET[(codes.ALPHABET.index(code[i]) + 1) % len(codes.ALPHABET)]
    return code[:i] + wrong + code[i + 1 :]


def shown_date(day: datetime) -> str:
    """A date as the pages show it (Django's "M j, Y"), e.g. "Mar 5, 2027"."""
    return f"{day:%b} {day.day}, {day.year}"


def parse_shown_date(text: str) -> datetime:
    return datetime.strptime(text.strip(), "%b %d, %Y")


def open_nav(page: Page, name: str, heading: str = "") -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=heading or name, exact=True, level=1)).to_be_visible()


def flash(page: Page, text: str) -> Locator:
    return page.locator(".messages .msg").filter(has_text=text)


def pair(server: LiveServer, pairing_code: str, name: str) -> requests.Response:
    """What a station sends to pair itself: no account credentials, only the code."""
    return requests.post(
        server.url + "/api/v1/stations/pair",
        json={"pairing_code": pairing_code, "name": name},
        timeout=10,
    )


def show_pairing_code(page: Page) -> str:
    """Stations page: ask for a pairing code and read it off the page."""
    page.get_by_role("button", name=re.compile(r"^(Show a|New) pairing code$")).click()
    code = page.locator(".pairing-code")
    expect(code).to_have_text(re.compile(r"^[2-9A-Z]{4}-[2-9A-Z]{4}$"))
    return code.inner_text()


def station_row(page: Page, name: str) -> Locator:
    return page.locator("tr.station-row").filter(
        has=page.get_by_role("cell", name=name, exact=True)
    )


# --- tests ----------------------------------------------------------------------------------


def test_activate_code_typo_and_used(page, live_server_proc):
    server = live_server_proc
    email = unique_email("activate")
    create_user(server, email, PASSWORD)
    code = issue_code(server)
    sign_in(page, server, email, PASSWORD)
    open_nav(page, "Licenses")
    expect(page.get_by_text("No licenses yet.")).to_be_visible()

    # One mistyped character is caught by the check character, before any lookup.
    page.get_by_label("Activation code").fill(mistype(code))
    page.get_by_role("button", name="Activate").click()
    expect_field_error(page, "Activation code", "typo")

    # Lower case, spaces instead of hyphens: still the same code.
    before = datetime.now(UTC)
    page.get_by_label("Activation code").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Activate").click()
    after = datetime.now(UTC)
    expect(page).to_have_url(server.url + "/licenses/")
    ends = {shown_date(t + timedelta(days=365)) for t in (before, after)}
    expect(flash(page, f"{PLAN_NAME} is active until")).to_be_visible()
    license = page.locator("section.license")
    expect(license).to_have_count(1)
    expect(license.get_by_role("heading", level=2)).to_contain_text(PLAN_NAME)
    expect(license.locator(".license-status")).to_have_text("Active")
    assert license.locator(".license-end").inner_text() in ends
    expect(license).to_contain_text("(365 days left)")
    expect(license).to_contain_text("0 of 3 in use")
    screenshot(page, "licenses")

    # The same code again: already used.
    page.get_by_label("Activation code").fill(code)
    page.get_by_role("button", name="Activate").click()
    expect_field_error(page, "Activation code", "already been used")
    open_nav(page, "Licenses")
    expect(page.locator("section.license")).to_have_count(1)


def test_auto_renew_toggle_and_renew_now(page, live_server_proc):
    server = live_server_proc
    email = unique_email("renew")
    licensed_user(server, email)
    sign_in(page, server, email, PASSWORD)
    open_nav(page, "Licenses")
    license = page.locator("section.license")
    state = license.locator(".auto-renew-state")
    cancel = license.get_by_role("button", name="Cancel subscription")
    set_up = license.get_by_role("button", name="Set up auto renew")
    renew = license.get_by_role("button", name="Renew now")
    end = license.locator(".license-end")

    # Activated codes renew automatically: only "Cancel subscription" is offered.
    expect(state).to_contain_text(f"On — renews {end.inner_text()}")
    expect(cancel).to_be_visible()
    expect(set_up).to_have_count(0)
    expect(renew).to_have_count(0)

    cancel.click()
    expect(flash(page, "Subscription canceled. The license stays active until")).to_be_visible()
    expect(state).to_have_text("Off")
    expect(set_up).to_be_visible()
    expect(renew).to_be_visible()
    expect(cancel).to_have_count(0)

    set_up.click()
    expect(flash(page, "Auto-renew is on: it renews on")).to_be_visible()
    expect(state).to_contain_text("On — renews")
    expect(cancel).to_be_visible()
    expect(set_up).to_have_count(0)
    expect(renew).to_have_count(0)

    # Renew now (auto-renew off): one more year from the current end date.
    cancel.click()
    expect(state).to_have_text("Off")
    old_end = parse_shown_date(end.inner_text())
    renew.click()
    new_end = old_end + timedelta(days=365)
    expect(flash(page, "Renewed: active until")).to_be_visible()
    expect(end).to_have_text(shown_date(new_end))
    expect(license).to_contain_text("(730 days left)")
    # Renewing by hand does not turn auto-renew back on.
    expect(state).to_have_text("Off")
    expect(renew).to_be_visible()
    msg = server.mailbox.wait_for(email, "license is renewed")
    assert f"renewed until {new_end:%B} {new_end.day}, {new_end.year}" in mail_body(msg)


def test_forgot_email_via_activation_code(page, live_server_proc):
    server = live_server_proc
    email = unique_email("forgot")
    code = licensed_user(server, email)

    page.goto(server.url + "/accounts/login/")
    page.get_by_role("link", name="Forgot which email you used?").click()
    expect(page.get_by_role("heading", name="Forgot which email you used?")).to_be_visible()
    page.get_by_label("An activation code you used").fill(code.lower())
    page.get_by_role("button", name="Find my email").click()
    result = page.locator(".recover-result")
    expect(result).to_contain_text(GENERIC_RECOVER)
    masked = f"{email[0]}***@e******.com"
    expect(result.locator(".masked-email")).to_have_text(masked)
    expect(page.get_by_text(email)).to_have_count(0)  # never the whole address
    msg = server.mailbox.wait_for(email, "email address of your lanward account")
    assert email in mail_body(msg)

    # A well-formed code nobody used: the same message, no address, no mail.
    reminders = "email address of your lanward account"
    reminders_before = sum(reminders in str(m["Subject"]) for m in server.mailbox.messages)
    page.goto(server.url + "/accounts/login/")
    page.get_by_role("link", name="Forgot which email you used?").click()
    page.get_by_label("An activation code you used").fill(codes.pretty(codes.generate()))
    page.get_by_role("button", name="Find my email").click()
    expect(result).to_contain_text(GENERIC_RECOVER)
    expect(result.locator(".masked-email")).to_have_count(0)
    expect(result).not_to_contain_text("@")
    assert sum(reminders in str(m["Subject"]) for m in server.mailbox.messages) == reminders_before


def test_pair_stations_within_seats_and_dashboard(page, live_server_proc):
    server = live_server_proc
    email = unique_email("stations")
    licensed_user(server, email)
    sign_in(page, server, email, PASSWORD)

    protection = page.locator("section.protection")
    expect(protection).to_contain_text("Licensed, but no station is paired yet.")
    expect(protection).to_contain_text("0 online · 0 offline")

    open_nav(page, "Stations")
    seats = page.locator(".seats")
    expect(seats).to_have_text("0 of 3 seats in use.")
    expect(page.get_by_text("No stations paired yet.")).to_be_visible()

    paired: dict[str, dict] = {}
    for n, name in enumerate(["Living room", "Kitchen", "Office"], start=1):
        response = pair(server, show_pairing_code(page), name)
        assert response.status_code == 201, response.text
        paired[name] = response.json()
        page.reload()
        expect(station_row(page, name)).to_contain_text("offline")
        expect(seats).to_have_text(f"{n} of 3 seats in use.")
        # A pairing code works once: the page offers a new one.
        expect(page.locator(".pairing-code")).to_have_count(0)

    # A fourth station: refused, the seats are full.
    spare_code = show_pairing_code(page)
    refused = pair(server, spare_code, "Garage")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "no_seats"
    assert "All 3 seats of your license are in use" in refused.json()["detail"]
    page.reload()
    expect(seats).to_have_text("3 of 3 seats in use.")
    expect(station_row(page, "Garage")).to_have_count(0)

    # Remove one in the portal, then the fourth station pairs.
    station_row(page, "Kitchen").get_by_role("link", name="Remove").click()
    expect(page.get_by_role("heading", name="Remove Kitchen?")).to_be_visible()
    page.get_by_role("button", name="Remove station").click()
    expect(flash(page, "Kitchen is removed; its seat is free.")).to_be_visible()
    expect(station_row(page, "Kitchen")).to_have_count(0)
    expect(seats).to_have_text("2 of 3 seats in use.")
    # The refused pairing did not use up its code.
    expect(page.locator(".pairing-code")).to_have_text(spare_code)
    response = pair(server, spare_code, "Garage")
    assert response.status_code == 201, response.text
    paired["Garage"] = response.json()
    # The removed station's secret no longer works.
    kitchen = paired["Kitchen"]
    gone = requests.post(
        f"{server.url}/api/v1/stations/{kitchen['station_id']}/heartbeat",
        json={"version": "1.0"},
        headers={"Authorization": f"Bearer {kitchen['secret']}"},
        timeout=10,
    )
    assert gone.status_code == 401, gone.text

    # Two stations report in; the third stays silent.
    for name in ("Living room", "Garage"):
        station = paired[name]
        beat = requests.post(
            f"{server.url}/api/v1/stations/{station['station_id']}/heartbeat",
            json={"version": "1.0"},
            headers={"Authorization": f"Bearer {station['secret']}"},
            timeout=10,
        )
        assert beat.status_code == 200, beat.text
        assert beat.json()["license_status"] == "active"
    page.reload()
    expect(seats).to_have_text("3 of 3 seats in use.")
    expect(station_row(page, "Living room")).to_contain_text("online")
    expect(station_row(page, "Garage")).to_contain_text("online")
    expect(station_row(page, "Office")).to_contain_text("offline")
    expect(station_row(page, "Office")).to_contain_text("never")
    screenshot(page, "stations")

    # The dashboard: license days left and stations online/offline.
    open_nav(page, "Overview", "Welcome")
    expect(protection.locator(".protection-headline")).to_have_text("1 station offline.")
    expect(protection).to_contain_text("2 online · 1 offline")
    expect(protection).to_contain_text(
        re.compile(rf"{re.escape(PLAN_NAME)}: active, 365 days left \(until ")
    )
    screenshot(page, "dashboard-protection")
