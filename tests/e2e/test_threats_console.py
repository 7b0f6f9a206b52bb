"""The threat-protection console in a browser: alerts, allow/approve, allowances, feeds, EVE export.

Alerts are stored the way the station stores them (`lanward.threats.store.save_alerts` with the
engine's alert dicts) in the running server's database; everything after that goes through the
pages, and what the pages did is checked in the database again.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.conftest import LiveServer, unique_email
from tests.dnsfilter.conftest import ListServer, list_server  # noqa: F401 - fixture

from .helpers import create_users, run_py, screenshot, sign_in

pytestmark = pytest.mark.e2e

PASSWORD = "harbour lantern quartz 58"
UNTIL = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")

# One device (MAC, name) per flow, so the flows do not see each other's allowances. They have no
# addresses on purpose: the server's job runner would queue a security check (real probes) of
# any device with an address on a home network.
STUDY_PC = ("02:1a:00:00:00:01", "Study PC")
LAPTOP = ("02:1a:00:00:00:02", "Work laptop")
TV = ("02:1a:00:00:00:03", "Living room TV")
TABLET = ("02:1a:00:00:00:04", "Kids tablet")

RDP_SUMMARY = "203.0.113.5 opened an RDP session to 192.168.1.20."
SCAN_SUMMARY = "198.51.100.20 probed 12 ports on 192.168.1.20."
ROUTER_SUMMARY = "192.168.1.30 opened the router's HTTP admin console."
TABLET_RDP_SUMMARY = "203.0.113.44 opened an RDP session to 192.168.1.50."
TABLET_ROUTER_SUMMARY = "192.168.1.50 opened the router's HTTP admin console."

RULES = (
    'alert http any any -> any any (msg:"evil agent"; http.user_agent; content:"EvilBot"; '
    "sid:1000001; rev:1;)\n"
    "alert http any any -> any any (msg:broken\n"
    'alert http any any -> any any (msg:"files"; filemagic:"PE32"; sid:1000002; rev:1;)\n'
)
SEEDED_FEED = "household c2 list"
FEED = "# botnet C2\n198.51.100.7\nc2.bad.example\nnot an indicator!\n"

SEED = """
import json, time
from datetime import timedelta
from django.contrib.auth.models import Permission
from django.utils import timezone
from lanward.accounts.models import User
from lanward.engine.detect.alerts import alert
from lanward.inventory.models import Device
from lanward.threats.models import RouterApproval, ThreatFeed
from lanward.threats.store import save_alerts

User.objects.get(pk={viewer_id}).user_permissions.add(
    Permission.objects.get(content_type__app_label="inventory", codename="view_device")
)
now = timezone.now()
for mac, name in {devices!r}:
    Device.objects.create(mac=mac, name=name, first_seen=now - timedelta(days=1), last_seen=now)
t = int(time.time() * 1000) - 600_000
rdp_evidence = {{"src_port": 51000, "dst_port": 3389, "protocol": 6}}
for i in range(3):  # three flushes of the same session: one row, "3 times"
    save_alerts([alert("remote_access_inbound", "high", t + i * 60_000, "203.0.113.5",
                       "192.168.1.20", "{study_mac}", {rdp!r}, app="RDP",
                       evidence=rdp_evidence)])
save_alerts([
    alert("scan_inbound", "medium", t + 1000, "198.51.100.20", "192.168.1.20", "{study_mac}",
          {scan!r}, evidence={{"ports": 12}}),
    alert("router_access", "medium", t + 2000, "192.168.1.30", "192.168.1.1:80", "{laptop_mac}",
          {router!r}, app="HTTP", evidence={{"service": "HTTP", "port": 80}}),
    alert("remote_access_inbound", "high", t + 3000, "203.0.113.44", "192.168.1.50",
          "{tablet_mac}", {tablet_rdp!r}, app="RDP", evidence=rdp_evidence),
    alert("router_access", "medium", t + 4000, "192.168.1.50", "192.168.1.1:80", "{tablet_mac}",
          {tablet_router!r}, app="HTTP", evidence={{"service": "HTTP", "port": 80}}),
])
RouterApproval.objects.create(device=Device.objects.get(mac="{tablet_mac}"))
ThreatFeed.objects.create(name={seeded_feed!r}, source="/nonexistent/c2.txt")
try:  # the guard above held: no probes of anyone's network queued
    from lanward.securitycheck.models import ScanRun
    queued = ScanRun.objects.exists()
except ImportError:
    queued = False
print("a security check was queued" if queued else "seeded")
"""


@pytest.fixture(scope="module")
def home(live_server_proc: LiveServer) -> dict[str, str]:
    """An owner, a member who may only look (inventory.view_device), four devices, five alerts,
    a router approval for the tablet and a feed (so the viewer has rows without buttons)."""
    server = live_server_proc
    owner, viewer = unique_email("threat-owner"), unique_email("threat-viewer")
    _, viewer_id = create_users(
        server,
        {"email": owner, "password": PASSWORD, "staff": True},
        {"email": viewer, "password": PASSWORD},
    )
    code = SEED.format(
        viewer_id=viewer_id,
        devices=[STUDY_PC, LAPTOP, TV, TABLET],
        study_mac=STUDY_PC[0],
        laptop_mac=LAPTOP[0],
        tablet_mac=TABLET[0],
        rdp=RDP_SUMMARY,
        scan=SCAN_SUMMARY,
        router=ROUTER_SUMMARY,
        tablet_rdp=TABLET_RDP_SUMMARY,
        tablet_router=TABLET_ROUTER_SUMMARY,
        seeded_feed=SEEDED_FEED,
    )
    assert run_py(server, code) == "seeded"
    return {"owner": owner, "viewer": viewer}


def stored(server: LiveServer, expression: str) -> Any:
    """A value computed in the server's database, through JSON."""
    code = (
        "import json\n"
        "from django.utils import timezone\n"
        "from lanward.threats.models import (\n"
        "    Alert, RemoteAccessAllowance, RouterApproval, ThreatFeed)\n"
        f"print(json.dumps({expression}, default=str))"
    )
    return json.loads(run_py(server, code))


def open_alerts(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()


def alert_row(page: Page, summary: str) -> Locator:
    return page.locator("tr.alert-row").filter(has=page.get_by_role("link", name=summary))


def allowance_row(page: Page, section: str, device: str) -> Locator:
    panel = page.locator("section.panel").filter(
        has=page.get_by_role("heading", name=section, exact=True)
    )
    return panel.locator("tbody tr").filter(has=page.get_by_role("cell", name=device, exact=True))


def message(page: Page, text: str) -> Locator:
    return page.get_by_role("status").locator("p.msg").filter(has_text=text)


def feed_row(page: Page, name: str) -> Locator:
    return page.locator("tr.feed-row").filter(has_text=name)


def test_alert_filters_detail_and_allowing_rdp_for_an_hour(page, live_server_proc, home):
    server = live_server_proc
    sign_in(page, server, home["owner"], PASSWORD)
    open_alerts(page)
    rdp = alert_row(page, RDP_SUMMARY)
    expect(rdp).to_have_count(1)  # three saves folded into one line
    expect(rdp).to_contain_text("3 times, last")
    expect(rdp.locator(".badge")).to_have_text("High")
    expect(rdp).to_contain_text("Remote access · RDP · 203.0.113.5 → 192.168.1.20")
    expect(rdp.get_by_role("link", name=STUDY_PC[1])).to_be_visible()
    expect(rdp.get_by_role("button", name="Allow RDP for an hour")).to_be_visible()
    expect(alert_row(page, SCAN_SUMMARY)).to_be_visible()

    page.get_by_label("Kind").select_option(label="Remote access")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"kind=remote_access"))
    expect(rdp).to_be_visible()
    expect(alert_row(page, SCAN_SUMMARY)).to_have_count(0)
    expect(alert_row(page, ROUTER_SUMMARY)).to_have_count(0)
    for row in page.locator("tr.alert-row").all():
        expect(row).to_contain_text("Remote access")

    page.get_by_label("Kind").select_option(label="All")
    page.get_by_label("Severity").select_option(label="Medium")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"severity=medium"))
    expect(alert_row(page, SCAN_SUMMARY)).to_be_visible()
    expect(alert_row(page, ROUTER_SUMMARY)).to_be_visible()
    expect(rdp).to_have_count(0)
    page.get_by_label("Severity").select_option(label="High")
    page.get_by_role("button", name="Filter").click()
    expect(rdp).to_be_visible()
    expect(alert_row(page, SCAN_SUMMARY)).to_have_count(0)
    expect(page.get_by_label("Severity")).to_have_value("high")  # the filter stays chosen

    rdp.get_by_role("link", name=RDP_SUMMARY).click()
    expect(page).to_have_url(re.compile(r"/alerts/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Remote access\s+High"))
    expect(page.get_by_text("What to do:")).to_be_visible()
    expect(page.locator(".advice")).to_contain_text("allow the program for this device")
    evidence = page.locator("section.panel").filter(
        has=page.get_by_role("heading", name="Evidence")
    )
    expect(evidence.locator("dt", has_text="dst_port")).to_be_visible()
    expect(evidence.locator("dd", has_text="3389")).to_be_visible()
    expect(page.locator("dl.kv").first).to_contain_text("3 times, last")
    screenshot(page, "threats-alert-detail")

    page.get_by_role("button", name="Allow RDP for an hour").click()
    expect(message(page, f"RDP is allowed on {STUDY_PC[1]} until")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/alerts/\d+/$"))  # back on the alert
    expect(page.get_by_role("button", name=re.compile("^Allow RDP"))).to_have_count(0)
    expect(page.locator("section.panel .muted", has_text="seen")).to_be_visible()

    saved = stored(
        server,
        f"{{'acknowledged': Alert.objects.get(summary={RDP_SUMMARY!r}).acknowledged,"
        " 'allowances': [(a.app, (a.until - timezone.now()).total_seconds(),"
        " timezone.localtime(a.until).strftime('%Y-%m-%d %H:%M'))"
        f" for a in RemoteAccessAllowance.objects.filter(device__mac={STUDY_PC[0]!r})]}}",
    )
    assert saved["acknowledged"] is True
    [(app, seconds_left, until_text)] = saved["allowances"]
    assert app == "RDP" and 3500 < seconds_left <= 3600

    page.get_by_role("link", name="← Alerts").click()
    expect(alert_row(page, RDP_SUMMARY)).to_contain_text("seen")
    expect(alert_row(page, RDP_SUMMARY).get_by_role("button")).to_have_count(0)
    page.get_by_role("link", name="Allowances and approvals").click()
    expect(page.get_by_role("heading", name="Allowances and approvals")).to_be_visible()
    row = allowance_row(page, "Remote-control programs allowed", STUDY_PC[1])
    expect(row.get_by_role("cell").nth(1)).to_have_text("RDP")
    expect(row.get_by_role("cell").nth(2)).to_have_text(until_text)
    assert UNTIL.match(until_text)

    row.get_by_role("button", name="Remove").click()
    expect(message(page, "Removed.")).to_be_visible()
    expect(row).to_have_count(0)
    left = f"RemoteAccessAllowance.objects.filter(device__mac={STUDY_PC[0]!r}).count()"
    assert stored(server, left) == 0


def test_approving_router_access_for_good(page, live_server_proc, home):
    server = live_server_proc
    sign_in(page, server, home["owner"], PASSWORD)
    open_alerts(page)
    row = alert_row(page, ROUTER_SUMMARY)
    expect(row).to_contain_text("Router access · HTTP · 192.168.1.30 → 192.168.1.1:80")
    expect(row.get_by_role("button", name="Approve for an hour")).to_be_visible()
    row.get_by_role("button", name="Approve for good").click()
    expect(message(page, f"{LAPTOP[1]} may manage the router for good.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/alerts/$"))
    expect(row).to_contain_text("seen")
    expect(row.get_by_role("button")).to_have_count(0)

    page.get_by_role("link", name="Allowances and approvals").click()
    approved = allowance_row(page, "Devices approved to manage the router", LAPTOP[1])
    expect(approved.get_by_role("cell").nth(1)).to_have_text("for good")
    approvals = stored(
        server,
        f"[str(r.until) for r in RouterApproval.objects.filter(device__mac={LAPTOP[0]!r})]",
    )
    assert approvals == ["None"]
    assert stored(server, f"Alert.objects.get(summary={ROUTER_SUMMARY!r}).acknowledged")


def test_adding_a_vnc_allowance_on_the_allowances_page(page, live_server_proc, home):
    server = live_server_proc
    count = f"RemoteAccessAllowance.objects.filter(device__mac={TV[0]!r}).count()"
    sign_in(page, server, home["owner"], PASSWORD)
    page.goto(server.url + "/alerts/allowances/")
    expect(page.get_by_role("heading", name="Add")).to_be_visible()

    page.get_by_label("Device").select_option(label=TV[1])
    page.get_by_label("Allow").select_option(label="a remote-control program on it")
    page.get_by_label("For", exact=True).select_option(label="a day")
    page.get_by_role("button", name="Add").click()  # no program named
    expect(
        message(page, "Name the remote-control program (e.g. RDP, VNC, SSH) or *.")
    ).to_be_visible()
    expect(allowance_row(page, "Remote-control programs allowed", TV[1])).to_have_count(0)
    assert stored(server, count) == 0

    page.get_by_label("Device").select_option(label=TV[1])
    page.get_by_label("Program (for remote control)").fill("VNC")
    page.get_by_label("For", exact=True).select_option(label="a day")
    page.get_by_role("button", name="Add").click()
    expect(message(page, "Saved. The station applies it within seconds.")).to_be_visible()
    row = allowance_row(page, "Remote-control programs allowed", TV[1])
    expect(row.get_by_role("cell").nth(1)).to_have_text("VNC")
    until_text = row.get_by_role("cell").nth(2).inner_text().strip()
    assert UNTIL.match(until_text), until_text
    saved = stored(
        server,
        "[(a.app, (a.until - timezone.now()).total_seconds(),"
        " timezone.localtime(a.until).strftime('%Y-%m-%d %H:%M'))"
        f" for a in RemoteAccessAllowance.objects.filter(device__mac={TV[0]!r})]",
    )
    [(app, seconds_left, stored_until)] = saved
    assert app == "VNC" and 86_300 < seconds_left <= 86_400
    assert stored_until == until_text


def test_threat_feeds_upload_switch_off_remove_and_url(
    page,
    live_server_proc,
    home,
    list_server: ListServer,  # noqa: F811 - the fixture imported above
):
    server = live_server_proc
    sign_in(page, server, home["owner"], PASSWORD)
    open_alerts(page)
    page.get_by_role("link", name="Threat feeds").click()
    expect(page.get_by_role("heading", name="Threat feeds")).to_be_visible()

    page.get_by_label("Name").fill("my rules")
    page.get_by_label("What it holds").select_option(label="Suricata/Snort rules")
    page.get_by_label("Or upload a file").set_input_files(
        files=[{"name": "mine.rules", "mimeType": "text/plain", "buffer": RULES.encode()}]
    )
    page.get_by_role("button", name="Add", exact=True).click()
    expect(message(page, "my rules added.")).to_be_visible()
    row = feed_row(page, "my rules")
    cells = row.get_by_role("cell")
    expect(cells.nth(1)).to_have_text("Suricata/Snort rules")
    expect(cells.nth(2)).to_have_text("1")  # loaded
    expect(cells.nth(3)).to_have_text("2")  # skipped
    row.get_by_text("Lines not used").click()
    problems = row.locator("details li")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text(re.compile(r"^line 2: no option list in parentheses"))
    expect(problems.nth(1)).to_have_text(
        "line 3: sid 1000002 not used: lanward does not support filemagic"
    )
    screenshot(page, "threats-feeds-problems")
    feed = stored(
        server,
        "[(f.enabled, f.entries, f.skipped, [p['line'] for p in f.problems], f.source)"
        " for f in ThreatFeed.objects.filter(name='my rules')]",
    )
    [(enabled, entries, skipped, lines, source)] = feed
    assert (enabled, entries, skipped, lines) == (True, 1, 2, [2, 3])
    assert source.startswith(str(server.data_dir)) and source.endswith("mine.rules")
    assert Path(source).read_text() == RULES

    row.get_by_role("button", name="Turn off").click()
    expect(row.locator(".badge-off")).to_have_text("off")
    expect(row.get_by_role("button", name="Turn on")).to_be_visible()
    assert stored(server, "ThreatFeed.objects.get(name='my rules').enabled") is False

    row.get_by_role("button", name="Remove").click()
    expect(message(page, "my rules removed.")).to_be_visible()
    expect(row).to_have_count(0)
    assert stored(server, "ThreatFeed.objects.filter(name='my rules').count()") == 0

    # By URL: the server process fetches it from the test's HTTP server on loopback.
    list_server.files["/c2.txt"] = FEED
    page.get_by_label("Name").fill("botnet c2")
    page.get_by_label("Feed URL").fill(list_server.url("/c2.txt"))
    page.get_by_role("button", name="Add", exact=True).click()
    expect(message(page, "botnet c2 added.")).to_be_visible()
    assert "/c2.txt" in list_server.hits
    row = feed_row(page, "botnet c2")
    cells = row.get_by_role("cell")
    expect(cells.nth(2)).to_have_text("2")
    expect(cells.nth(3)).to_have_text("1")
    expect(row).to_contain_text(list_server.url("/c2.txt"))
    row.get_by_text("Lines not used").click()
    expect(row.locator("details li")).to_have_text(
        ["line 4: more than one value on the line: not an indicator!"], use_inner_text=True
    )
    assert stored(server, "ThreatFeed.objects.get(name='botnet c2').entries") == 2


def test_eve_json_export_downloads_alert_lines(page, live_server_proc, home):
    server = live_server_proc
    sign_in(page, server, home["owner"], PASSWORD)
    open_alerts(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Export as EVE-JSON").click()
    download = info.value
    assert download.suggested_filename == "lanward-alerts.eve.json"
    lines = Path(download.path()).read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert all(isinstance(e, dict) and e["event_type"] == "alert" for e in events)
    assert sorted(e["lanward"]["id"] for e in events) == stored(
        server, "sorted(Alert.objects.values_list('id', flat=True))"
    )
    [rdp] = [e for e in events if e["lanward"]["summary"] == RDP_SUMMARY]
    assert (rdp["src_ip"], rdp["dest_ip"], rdp["dest_port"]) == (
        "203.0.113.5",
        "192.168.1.20",
        3389,
    )
    assert rdp["proto"] == "TCP" and rdp["lanward"]["count"] == 3

    # The export follows the filters on the page.
    page.get_by_label("Kind").select_option(label="Router access")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"kind=router_access"))
    with page.expect_download() as info:
        page.get_by_role("link", name="Export as EVE-JSON").click()
    events = [json.loads(x) for x in Path(info.value.path()).read_text().splitlines()]
    assert len(events) == 2
    assert {e["alert"]["metadata"]["lanward_kind"][0] for e in events} == {"router_access"}


def test_a_member_who_may_only_look_sees_alerts_but_no_actions(page, live_server_proc, home):
    server = live_server_proc
    sign_in(page, server, home["viewer"], PASSWORD)
    open_alerts(page)
    for summary in (TABLET_RDP_SUMMARY, TABLET_ROUTER_SUMMARY):
        expect(alert_row(page, summary)).to_be_visible()
    expect(alert_row(page, TABLET_RDP_SUMMARY)).to_contain_text(TABLET_RDP_SUMMARY)
    main = page.get_by_role("main")
    expect(main.get_by_role("button", name="Filter")).to_be_visible()
    expect(main.get_by_role("button")).to_have_count(1)  # the filter; no action on any row
    expect(main.get_by_role("link", name="Export as EVE-JSON")).to_be_visible()

    alert_row(page, TABLET_RDP_SUMMARY).get_by_role("link", name=TABLET_RDP_SUMMARY).click()
    expect(page.get_by_text("What to do:")).to_be_visible()
    expect(page.get_by_role("main").get_by_role("button")).to_have_count(0)

    page.goto(server.url + "/alerts/allowances/")
    expect(page.get_by_role("heading", name="Allowances and approvals")).to_be_visible()
    approved = allowance_row(page, "Devices approved to manage the router", TABLET[1])
    expect(approved.get_by_role("cell").nth(1)).to_have_text("for good")
    expect(page.get_by_role("heading", name="Add")).to_have_count(0)
    expect(page.get_by_role("main").get_by_role("button")).to_have_count(0)

    page.goto(server.url + "/alerts/feeds/")
    expect(page.get_by_role("heading", name="Threat feeds")).to_be_visible()
    expect(feed_row(page, SEEDED_FEED)).to_be_visible()
    expect(page.get_by_role("heading", name="Add a feed")).to_have_count(0)
    expect(page.get_by_role("main").get_by_role("button")).to_have_count(0)
    acted = stored(
        server,
        f"[a.acknowledged for a in Alert.objects.filter(device__mac={TABLET[0]!r})]",
    )
    assert acted == [False, False]
