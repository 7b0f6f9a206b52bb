"""Many alerts about one device at once, in a browser: one notification in the bell, the Alerts
list filtered to that device, and the device page's Alerts panel as they are looked at.

Alerts are stored the way the station stores them (`lanward.threats.store.save_alerts` with the
engine's alert dicts) in the running server's database, and the notification job's collection
(`lanward.notify.sources.collect`) is run there once; everything after that goes through the pages.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.conftest import LiveServer, unique_email

from .helpers import create_user, run_py, screenshot, sign_in

pytestmark = pytest.mark.e2e

PASSWORD = "beacon orchard pewter 36"

# No addresses on the devices on purpose: the server's job runner would queue a security check
# (real probes) of any device with an address on a home network.
LAPTOP = ("02:1b:00:00:00:01", "Laptop")
SPEAKER = ("02:1b:00:00:00:02", "Kitchen speaker")
HITS = 12  # the laptop reaching 12 listed hosts in one flush
CRITICAL_AT = 6  # one of them (neither the first nor among the latest five) is critical


def remote(i: int) -> str:
    return f"198.51.100.{10 + i}"


def laptop_summary(i: int) -> str:
    return f"192.168.1.23 reached {remote(i)}, a listed botnet server."


SPEAKER_SUMMARY = "192.168.1.40 reached 198.51.100.99, a listed botnet server."

SEED = """
import json, time
from datetime import timedelta
from django.db import transaction
from django.utils import timezone
from lanward.engine.detect.alerts import alert
from lanward.inventory.models import Device
from lanward.notify.models import Notification
from lanward.notify.sources import collect
from lanward.threats.store import save_alerts

collect()  # the cursors exist, and no one else's alerts are left to announce to this user
user_id = {user_id}
now = timezone.now()
laptop, speaker = (
    Device.objects.create(mac=mac, name=name, first_seen=now - timedelta(days=1), last_seen=now)
    for mac, name in ({laptop!r}, {speaker!r})
)
t = int(time.time() * 1000) - 600_000
hits = [
    alert("indicator_match", {severities!r}[i], t + i * 1000, "192.168.1.23", dst,
          "{laptop_mac}", summary, evidence={{"indicator": dst}})
    for i, (dst, summary) in enumerate({hits!r})
]
hits.append(alert("indicator_match", "medium", t + 500, "192.168.1.40", "198.51.100.99",
                  "{speaker_mac}", {speaker_summary!r}, evidence={{"indicator": "198.51.100.99"}}))
save_alerts(hits)  # one transaction: the job runner sees all thirteen in one batch
collect()
mine = Notification.objects.filter(recipient_id=user_id)
deadline = time.monotonic() + 10  # the server's own job runner may be the one that announced them
while mine.count() < 2 and time.monotonic() < deadline:
    time.sleep(0.2)
print(json.dumps({{"laptop": laptop.pk, "speaker": speaker.pk, "notifications": mine.count()}}))
"""


@pytest.fixture
def home(live_server_proc: LiveServer) -> dict[str, object]:
    """An owner; a laptop with twelve network-protection alerts and a speaker with one, all new
    since the last collection, and the collection run."""
    server = live_server_proc
    owner = unique_email("groups-owner")
    user_id = create_user(server, owner, PASSWORD, staff=True)
    severities = ["critical" if i == CRITICAL_AT else "high" for i in range(HITS)]
    code = SEED.format(
        user_id=user_id,
        laptop=LAPTOP,
        speaker=SPEAKER,
        laptop_mac=LAPTOP[0],
        speaker_mac=SPEAKER[0],
        severities=severities,
        hits=[(remote(i), laptop_summary(i)) for i in range(HITS)],
        speaker_summary=SPEAKER_SUMMARY,
    )
    seeded = json.loads(run_py(server, code))
    assert seeded["notifications"] == 2, seeded  # one for the laptop's twelve, one for the speaker
    return {"owner": owner, **seeded}


def alert_rows(page: Page) -> Locator:
    return page.locator("tr.alert-row")


def alerts_panel(page: Page) -> Locator:
    return page.locator("section.panel").filter(
        has=page.get_by_role("heading", name="Alerts", exact=True)
    )


def panel_items(page: Page) -> Locator:
    return alerts_panel(page).locator("li")


def expect_panel_lists(page: Page, indexes: list[int]) -> None:
    """The panel lists exactly these laptop alerts, newest first."""
    expect(panel_items(page)).to_have_count(len(indexes))
    links = alerts_panel(page).locator("li a")
    expect(links).to_have_text([laptop_summary(i) for i in indexes])


def acknowledge_in_list(page: Page, summary: str) -> None:
    row = alert_rows(page).filter(has=page.get_by_role("link", name=summary, exact=True))
    row.get_by_role("button", name="Seen it").click()
    expect(row).to_contain_text("seen")
    expect(row.get_by_role("button", name="Seen it")).to_have_count(0)


def test_many_alerts_about_one_device_are_one_notification_and_a_device_panel(
    page, live_server_proc, home
):
    server = live_server_proc
    laptop_pk, laptop_name = home["laptop"], LAPTOP[1]
    sign_in(page, server, str(home["owner"]), PASSWORD)

    # 1. The bell: two unread, not thirteen; the laptop's twelve are one, at the worst severity.
    bell = page.locator("details.bell")
    expect(bell.locator(".bell-count")).to_have_text("2")
    expect(bell.locator("summary")).to_have_attribute("aria-label", "Notifications, 2 unread")
    bell.locator("summary").click()
    panel = page.get_by_role("region", name="Unread notifications")
    expect(panel).to_be_visible()
    expect(panel.locator("li")).to_have_count(2)
    group_title = f"{laptop_name}: {HITS} alerts (network protection)"
    group = panel.locator("li").filter(has=page.get_by_role("link", name=group_title, exact=True))
    expect(group).to_have_count(1)
    expect(group).to_contain_text("Critical")
    speaker = panel.locator("li").filter(
        has=page.get_by_role("link", name=SPEAKER_SUMMARY, exact=True)
    )
    expect(speaker).to_contain_text("Medium")
    one_of_the_twelve = panel.get_by_role("link", name=re.compile(r"^192\.168\.1\.23 reached "))
    expect(one_of_the_twelve).to_have_count(0)  # none of the laptop's alerts on its own
    screenshot(page, "alert-groups-bell")

    # 2. The notification leads to the Alerts list: that kind, not looked at yet, that device.
    group.get_by_role("link", name=group_title).click()
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/alerts/\?"))
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"kind": ["network_protection"], "open": ["1"], "device": [str(laptop_pk)]}
    expect(alert_rows(page)).to_have_count(HITS)
    for i in range(HITS):
        row = alert_rows(page).filter(
            has=page.get_by_role("link", name=laptop_summary(i), exact=True)
        )
        expect(row.get_by_role("link", name=laptop_name, exact=True)).to_be_visible()
        expect(row).to_contain_text(f"192.168.1.23 → {remote(i)}")
    expect(alert_rows(page).filter(has_text=SPEAKER[1])).to_have_count(0)
    only_laptop = page.get_by_label(f"Only about {laptop_name}", exact=True)
    expect(only_laptop).to_be_checked()
    expect(page.get_by_label("Kind")).to_have_value("network_protection")
    expect(page.get_by_label("Only ones not looked at yet")).to_be_checked()
    critical = alert_rows(page).filter(
        has=page.get_by_role("link", name=laptop_summary(CRITICAL_AT))
    )
    expect(critical.locator(".badge")).to_have_text("Critical")
    screenshot(page, "alert-groups-filtered")

    only_laptop.uncheck()
    page.get_by_role("button", name="Filter").click()
    expect(page).not_to_have_url(re.compile(r"[?&]device="))
    # Everyone's alerts of that kind now (other tests' too, when they share the server).
    laptop_rows = alert_rows(page).filter(
        has=page.get_by_role("link", name=laptop_name, exact=True)
    )
    expect(laptop_rows).to_have_count(HITS)
    speaker_row = alert_rows(page).filter(
        has=page.get_by_role("link", name=SPEAKER_SUMMARY, exact=True)
    )
    expect(speaker_row.get_by_role("link", name=SPEAKER[1], exact=True)).to_be_visible()
    expect(page.get_by_label(re.compile(r"^Only about "))).to_have_count(0)

    # 3. The laptop's page: its five latest alerts not looked at yet, and "and more".
    alert_rows(page).filter(has=page.get_by_role("link", name=laptop_summary(0))).get_by_role(
        "link", name=laptop_name, exact=True
    ).click()
    expect(page).to_have_url(re.compile(rf"/devices/{laptop_pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(laptop_name)
    newest = list(range(HITS - 1, -1, -1))
    expect_panel_lists(page, newest[:5])
    expect(alerts_panel(page).get_by_text("and more")).to_be_visible()
    screenshot(page, "alert-groups-device-panel")

    # The newest one, looked at from its own page, leaves the panel; the sixth newest comes in.
    alerts_panel(page).get_by_role("link", name=laptop_summary(newest[0])).click()
    expect(page).to_have_url(re.compile(r"/alerts/\d+/$"))
    expect(page.get_by_text(laptop_summary(newest[0]))).to_be_visible()
    page.get_by_role("main").get_by_role("button", name="Seen it").click()
    expect(page).to_have_url(re.compile(r"/alerts/\d+/$"))  # back on the alert
    expect(page.get_by_role("main").get_by_role("button", name="Seen it")).to_have_count(0)
    expect(page.get_by_role("main").get_by_text("seen", exact=True)).to_be_visible()
    page.get_by_role("main").get_by_role("link", name=laptop_name, exact=True).click()
    expect_panel_lists(page, newest[1:6])
    expect(alerts_panel(page).get_by_text("and more")).to_be_visible()

    # "All alerts about Laptop": the list of its alerts, looked at or not.
    alerts_panel(page).get_by_role("link", name=f"All alerts about {laptop_name}").click()
    expect(page).to_have_url(re.compile(rf"/alerts/\?device={laptop_pk}$"))
    expect(page.get_by_label(f"Only about {laptop_name}", exact=True)).to_be_checked()
    expect(page.get_by_label("Only ones not looked at yet")).not_to_be_checked()
    expect(alert_rows(page)).to_have_count(HITS)
    expect(alert_rows(page).get_by_role("button", name="Seen it")).to_have_count(HITS - 1)
    expect(alert_rows(page).filter(has_text=SPEAKER[1])).to_have_count(0)

    # Look at all but the two oldest there; the panel shrinks to those two, without "and more".
    for i in newest[1:-2]:
        acknowledge_in_list(page, laptop_summary(i))
    expect(page).to_have_url(re.compile(rf"/alerts/\?device={laptop_pk}$"))  # stayed on the list
    expect(alert_rows(page).get_by_role("button", name="Seen it")).to_have_count(2)
    page.locator("form.filters").get_by_role("link", name=laptop_name, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/devices/{laptop_pk}/$"))
    expect_panel_lists(page, [1, 0])
    expect(alerts_panel(page).get_by_text("and more")).to_have_count(0)

    # One more from its page: the panel's list is one shorter.
    alerts_panel(page).get_by_role("link", name=laptop_summary(1)).click()
    page.get_by_role("main").get_by_role("button", name="Seen it").click()
    expect(page.get_by_role("main").get_by_role("button", name="Seen it")).to_have_count(0)
    page.get_by_role("main").get_by_role("link", name=laptop_name, exact=True).click()
    expect_panel_lists(page, [0])

    # The last one from the list of those not looked at yet; then the panel has none waiting,
    # and still leads to the laptop's alerts.
    alerts_panel(page).get_by_role("link", name=f"All alerts about {laptop_name}").click()
    page.get_by_label("Only ones not looked at yet").check()
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(rf"[?&]device={laptop_pk}(&|$)"))
    expect(alert_rows(page)).to_have_count(1)
    alert_rows(page).get_by_role("button", name="Seen it").click()
    expect(alert_rows(page)).to_have_count(0)
    expect(page.get_by_role("main")).to_contain_text("No alerts.")
    page.goto(f"{server.url}/devices/{laptop_pk}/")
    expect(panel_items(page)).to_have_count(0)
    expect(alerts_panel(page)).to_contain_text("No alerts waiting for you.")
    alerts_panel(page).get_by_role("link", name=f"All alerts about {laptop_name}").click()
    expect(alert_rows(page)).to_have_count(HITS)
    expect(alert_rows(page).get_by_role("button", name="Seen it")).to_have_count(0)
    expect(alert_rows(page).filter(has_text="seen")).to_have_count(HITS)

    # The speaker's alert was not touched by any of this.
    page.goto(f"{server.url}/alerts/?device={home['speaker']}&open=1")
    expect(alert_rows(page)).to_have_count(1)
    expect(alert_rows(page).get_by_role("button", name="Seen it")).to_be_visible()

    # The notifications page: the two, the laptop's naming the other sides.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()
    expect(page.locator("tr.notification")).to_have_count(2)
    row = page.locator("tr.notification").filter(
        has=page.get_by_role("link", name=f"{laptop_name}: {HITS} alerts (network protection)")
    )
    expect(row.locator(".badge").first).to_have_text("Critical")
    others = ", ".join(remote(i) for i in range(5))
    expect(row).to_contain_text(
        f"{laptop_summary(0)} Other side: {others} and {HITS - 5} more. See them together in Alerts."
    )
