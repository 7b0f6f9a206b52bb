"""`lanward station run` on a live interface: devices appear in the console and go offline.

An isolated LAN of network namespaces (tests/net/netns.py): a router, a printer, a speaker, a
phone and a smart plug with real vendor MACs send DHCP, mDNS and SSDP and talk TCP/UDP to each
other. The station watches the LAN's bridge from inside the LAN's namespace and writes to the
database of a running console; a household member checks the devices in the browser, then four
of them fall silent and the console shows them offline once the timeout has passed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Locator, Page, expect

from tests.conftest import REPO, LiveServer, free_port, unique_email
from tests.e2e.helpers import create_user, run_py, sign_in
from tests.net import netns

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("netns")]

# The station learns of activity late: discovery packets within about 5 s (the discovery
# capture's active timeout), metered flows 15 s after their last packet (its idle timeout).
# Every device here also announces itself, so 25 s leaves room; the test waits for it twice.
OFFLINE_AFTER = 25
PASSWORD = "station live test 2718"
# A second console for one browser, on the database the first one migrated and keeps.
CONSOLE_OPTIONS = ("--no-migrate", "--no-jobs", "--workers", "1")

ROUTER = {
    "name": "router",
    "mac": "3c:a6:2f:5e:00:01",  # AVM (a FRITZ!Box)
    "ip": "192.168.77.1",
    "ssdp": {
        "server": "FRITZ!Box 7590 UPnP/1.0 AVM FRITZ!Box 7590 154.07.57",
        "nt": "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
        "usn": "uuid:75802409-bccb-40e7-8e6c-3CA62F5E0001",
        "location": "http://192.168.77.1:49000/igddesc.xml",
    },
}
PRINTER = {
    "name": "printer",
    "mac": "3c:d9:2b:1a:2b:3c",  # Hewlett Packard
    "ip": "192.168.77.10",
    "dhcp": {
        "hostname": "HP3CD92B1A2B3C",
        "params": [1, 3, 6, 12, 15, 28, 42],
        "vendor_class": "Hewlett-Packard JetDirect",
    },
    "mdns": {
        "host": "HP3CD92B1A2B3C",
        "services": [
            {
                "type": "_ipp._tcp",
                "instance": "HP LaserJet Pro M404dn (1A2B3C)",
                "port": 631,
                "txt": [
                    "txtvers=1",
                    "ty=HP LaserJet Pro M404dn",
                    "usb_MFG=HP",
                    "pdl=application/pdf",
                ],
            }
        ],
    },
    "serve": [631],
}
SPEAKER = {
    "name": "speaker",
    "mac": "5c:aa:fd:44:55:66",  # Sonos
    "ip": "192.168.77.11",
    "dhcp": {"hostname": "SonosZP", "params": [1, 3, 6, 12, 15, 28, 42]},
    "ssdp": {
        "server": "Linux UPnP/1.0 Sonos/70.3-35220 (ZPS27)",
        "nt": "urn:schemas-upnp-org:device:ZonePlayer:1",
        "usn": "uuid:RINCON_5CAAFD44556601400",
        "location": "http://192.168.77.11:1400/xml/device_description.xml",
    },
    "serve": [1400],
}
PHONE = {
    "name": "phone",
    "mac": "f0:18:98:77:88:99",  # Apple
    "ip": "192.168.77.12",
    "dhcp": {"hostname": "Annas-iPhone", "params": [1, 121, 3, 6, 15, 119, 252]},
    "mdns": {
        "host": "Annas-iPhone",
        "services": [
            {
                "type": "_companion-link._tcp",
                "instance": "Anna’s iPhone",
                "port": 49152,
                "txt": ["rpVr=510.4", "rpFl=0x20000"],
            }
        ],
    },
    "talk": [
        {
            "peer": "printer",
            "port": 631,
            "proto": "tcp",
            "payload": "POST /ipp/print HTTP/1.1\r\nHost: 192.168.77.10:631\r\n"
            "Content-Type: application/ipp\r\nContent-Length: 0\r\n\r\n",
        },
        {
            "peer": "speaker",
            "port": 1400,
            "proto": "tcp",
            "payload": "GET /xml/device_description.xml HTTP/1.1\r\nHost: 192.168.77.11:1400\r\n"
            "User-Agent: Sonos/16.1 (iOS 17.4.1)\r\n\r\n",
        },
    ],
}
PLUG = {
    "name": "plug",
    "mac": "24:0a:c4:1a:2b:3c",  # Espressif
    "ip": "192.168.77.13",
    "dhcp": {"hostname": "ESP_1A2B3C", "params": [1, 3, 28, 6], "vendor_class": "udhcp 1.33.2"},
    "mdns": {
        "host": "esp-1a2b3c",
        "services": [
            {
                "type": "_esphomelib._tcp",
                "instance": "esp-1a2b3c",
                "port": 6053,
                "txt": ["version=2024.6.1", "platform=ESP32", "network=wifi"],
            }
        ],
    },
    "talk": [{"peer": "phone", "port": 6053, "proto": "udp", "payload": "relay:on"}],
}
# The router keeps announcing itself to the end, as a home's always-on devices do: nfstream's
# live meter only moves its clock (and so expires flows) when packets arrive.
DEVICES = [ROUTER, PRINTER, SPEAKER, PHONE, PLUG]
FALLING_SILENT = {"printer", "speaker", "phone", "plug"}

# What the console's device list shows for each: (name, type, maker / model).
EXPECTED = {
    ROUTER["mac"]: ("AVM", "Router / access point", "AVM"),
    PRINTER["mac"]: ("HP3CD92B1A2B3C", "Printer", "HP LaserJet Pro M404dn"),
    SPEAKER["mac"]: ("SonosZP", "Speaker", "Sonos"),
    PHONE["mac"]: ("Annas-iPhone", "Phone", "Apple"),
    PLUG["mac"]: ("ESP_1A2B3C", "Smart plug / IoT hub", "Espressif"),
}


# --- Fixtures -------------------------------------------------------------------------------


@pytest.fixture
def lan() -> Iterator[netns.Lan]:
    reason = netns.unavailable_reason()
    if reason:
        pytest.skip(reason)
    lan = netns.Lan()
    try:
        try:
            lan.create()
            for spec in DEVICES:
                lan.add_device(spec)
        except subprocess.CalledProcessError as exc:  # e.g. no bridge or veth support
            pytest.skip(f"cannot build the test LAN here: {exc.stderr.strip()}")
        yield lan
    finally:
        lan.destroy()


@pytest.fixture
def console(live_server_proc: LiveServer) -> Iterator[LiveServer]:
    """A second `lanward serve` on the live server's database, with the short offline timeout.

    The console decides "online" from the last activity and its own timeout, so it must use
    the same one as the station.
    """
    env = {**live_server_proc.env, "LANWARD_OFFLINE_AFTER_SECONDS": str(OFFLINE_AFTER)}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = live_server_proc.data_dir / f"console-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lanward.cli", "serve", "--port", str(port), *CONSOLE_OPTIONS],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"console exited: {log_path.read_text()}"
            try:
                if requests.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, f"console did not start: {log_path.read_text()}"
            time.sleep(0.3)
        yield LiveServer(
            url=url, data_dir=live_server_proc.data_dir, env=env, mailbox=live_server_proc.mailbox
        )
    finally:
        netns.stop(proc)


class StationRunner:
    """`lanward station run` on the LAN's bridge, writing to the console's database."""

    def __init__(self, lan: netns.Lan, console: LiveServer) -> None:
        self.lan = lan
        self.env = {**console.env, "LANWARD_OFFLINE_AFTER_SECONDS": str(OFFLINE_AFTER)}
        self.log_path = console.data_dir / f"station-{lan.id}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.forward: netns.TcpForward | None = None

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def start(self) -> subprocess.Popen[bytes]:
        """Start the station; `wait_ready` tells when it captures."""
        db = urlsplit(self.env.get("DATABASE_URL", ""))
        if db.hostname in ("127.0.0.1", "localhost"):
            # The LAN namespace has a loopback of its own: relay the database port into it.
            self.forward = netns.TcpForward(self.lan.ns, "127.0.0.1", db.port or 5432)
        argv = ["station", "run", "--interface", netns.BRIDGE, "--home-net", netns.SUBNET]
        with self.log_path.open("wb") as log:
            self.proc = self.lan.popen(
                self.lan.ns,
                [sys.executable, "-m", "lanward.cli", *argv, "--flush-seconds", "1"],
                env=self.env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self.proc

    def wait_ready(self) -> None:
        """Ready when the captures' packet sockets are open on the bridge.

        Both captures (flows, discovery) open one per meter process (nfstream starts one per
        spare CPU): at least two, and no more coming.
        """
        assert self.proc is not None
        deadline = time.monotonic() + 45
        seen, stable_since = 0, time.monotonic()
        while True:
            assert self.proc.poll() is None, f"the station exited: {self.log}"
            assert time.monotonic() < deadline, f"the station did not start: {self.log}"
            count = self.lan.packet_sockets()
            if count != seen:
                seen, stable_since = count, time.monotonic()
            elif count >= 2 and time.monotonic() - stable_since >= 0.5:
                return
            time.sleep(0.1)

    def close(self) -> None:
        if self.proc is not None:
            netns.stop(self.proc, timeout=15)
        if self.forward is not None:
            self.forward.close()


@pytest.fixture
def station(lan: netns.Lan, console: LiveServer) -> Iterator[StationRunner]:
    runner = StationRunner(lan, console)
    try:
        yield runner
    finally:
        runner.close()


# --- Helpers --------------------------------------------------------------------------------


def reload_until(page: Page, url: str, check: Callable[[], None], timeout: float) -> None:
    """Open `url` again and again until `check` passes (the console does not refresh itself)."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(url)
        try:
            check()
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def device_row(page: Page, mac: str) -> Locator:
    return page.locator(f"tr.device-row[data-mac='{mac}']")


def expect_listed(page: Page, mac: str, status: str) -> None:
    name, kind, maker = EXPECTED[mac]
    cells = device_row(page, mac).get_by_role("cell")
    expect(cells.nth(0).get_by_role("link")).to_have_text(name, timeout=500)
    expect(cells.nth(1)).to_have_text(kind, timeout=500)
    expect(cells.nth(2)).to_contain_text(maker, timeout=500)
    expect(cells.nth(5).locator(".status")).to_have_text(status, timeout=500)


def household_member(server: LiveServer) -> str:
    """A user in the Household group: the one who sees the station's devices."""
    email = unique_email("household")
    create_user(server, email, PASSWORD)
    run_py(
        server,
        f"""
from django.contrib.auth.models import Group
from lanward.accounts.models import User
from lanward.inventory.apps import HOUSEHOLD_GROUP
User.objects.get(email={email!r}).groups.add(Group.objects.get(name=HOUSEHOLD_GROUP))
print("ok")
""",
    )
    return email


# --- The test -------------------------------------------------------------------------------


def test_devices_appear_in_the_console_and_go_offline(
    lan: netns.Lan, console: LiveServer, station: StationRunner, page: Page, tmp_path: Path
) -> None:
    go = lan.start_devices(tmp_path)  # they get ready, then wait for `go`
    proc = station.start()
    email = household_member(console)
    station.wait_ready()
    go.touch()

    sign_in(page, console, email, PASSWORD)
    devices_url = console.url + "/devices/"

    def all_listed(macs: set[str], status: str) -> Callable[[], None]:
        def check() -> None:
            for mac in macs:
                expect_listed(page, mac, status)

        return check

    # Discovery (DHCP, mDNS, SSDP) names and types the devices within seconds.
    reload_until(page, devices_url, all_listed(set(EXPECTED), "online"), timeout=30)
    expect(device_row(page, PRINTER["mac"])).to_contain_text(PRINTER["ip"])
    expect(device_row(page, PHONE["mac"])).to_contain_text("iOS")

    # The metered flows (the phone printing) show as the printer's service once nfstream expires
    # them (15 s idle): the flow capture works live too, not only the discovery one.
    page.get_by_role("link", name=EXPECTED[PRINTER["mac"]][0]).click()
    printer_url = page.url
    services = page.locator("dt", has_text="Services seen").locator(
        "xpath=following-sibling::dd[1]"
    )

    def printer_services() -> None:
        expect(services).to_contain_text("631/tcp", timeout=500)
        expect(services).to_contain_text("_ipp._tcp", timeout=500)

    reload_until(page, printer_url, printer_services, timeout=40)
    expect(page.locator(".device-status")).to_contain_text("Online")
    expect(page.get_by_text("1,3,6,12,15,28,42 · Hewlett-Packard JetDirect")).to_be_visible()

    # Four devices fall silent: still online at first, offline once the timeout has passed;
    # the router, still talking, stays online.
    silent = {d.spec["mac"] for d in lan.devices if d.name in FALLING_SILENT}
    lan.stop_devices(FALLING_SILENT)
    silent_since = time.monotonic()
    stopped_at = datetime.now(UTC).isoformat()
    page.goto(devices_url)
    expect_listed(page, PRINTER["mac"], "online")
    reload_until(page, devices_url, all_listed(silent, "offline"), timeout=OFFLINE_AFTER + 20)
    # Their last packets went out at most one round (2 s) before they were stopped.
    assert time.monotonic() - silent_since >= OFFLINE_AFTER - 5, "offline before the timeout"
    expect_listed(page, ROUTER["mac"], "online")

    page.goto(printer_url)
    expect(page.locator(".device-status")).to_contain_text("Offline")
    timeline = page.locator("ul.timeline")
    reload_until(
        page,
        printer_url,
        lambda: expect(timeline).to_contain_text("Went offline", timeout=500),
        timeout=10,
    )
    expect(timeline).to_contain_text("New device")

    # The station marked each silent device offline once, and none flapped back online.
    found = run_py(
        console,
        f"""
import json
from lanward.inventory.models import Device
rows = Device.objects.filter(mac__in={sorted(EXPECTED)!r}).order_by("mac")
print(json.dumps({{d.mac: [d.online, d.last_seen.isoformat(),
    [(e.kind, e.created.isoformat()) for e in d.events.order_by("id")]] for d in rows}}))
""",
    )
    state = {
        mac: (online, [kind for kind, _ in events if kind in ("online", "offline")])
        for mac, (online, _, events) in json.loads(found).items()
    }
    assert state == {
        mac: (mac not in silent, ["offline"] if mac in silent else []) for mac in EXPECTED
    }, f"{found}\nstopped at {stopped_at}\n{station.log}"

    # SIGTERM ends the station cleanly and promptly (its capture processes included).
    proc.terminate()
    assert proc.wait(timeout=15) == 0, station.log
    assert not re.search(r"ERROR|Traceback", station.log), station.log
