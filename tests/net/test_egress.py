"""Every packet the station sends goes where the privacy registry says, and nowhere else.

The station runs in a network namespace whose only link is a veth into the home LAN's bridge
(tests/net/netns.py), in a namespace that is also the router: its way to the "internet" is one
more veth, to a namespace holding the servers the session talks to, on documentation addresses:

    station ns (192.168.77.2) ── vst ─┐ br0 192.168.77.1        internet ns
    printer, phone (LAN devices) ─────┘ router ── wan0 ──────── 203.0.113.10  licensing portal
                                        tcpdump on vst           203.0.113.20  lists and feeds
                                                                  203.0.113.25  mail server
                                                                  203.0.113.30  webhook receiver
                                                                  203.0.113.53  DNS upstream

tcpdump on vst records everything the station sends. A scripted session runs twice: with every
optional feature on (devices seen, a block-list and threat-feed refresh from URLs, a license
check, a security-check scan of the printer, notifications by email and webhook), then with
everything optional switched off. Each destination the station opened (a TCP SYN, the first
UDP packet of a flow, anything else but answers and ARP) must be one that `lanward privacy
disclosure --json` declares for a feature that is on; in the second run only the required ones,
and the servers confirm they heard nothing more.

Run as a module (`python -m tests.net.test_egress PEER ...` in the internet namespace), this is
one of those servers.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.net import netns

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("netns")]

STATION_IP, STATION_MAC, ROUTER_IP = "192.168.77.2", "02:00:00:77:00:02", "192.168.77.1"
PORTAL, LISTS, SMTP, HOOKS, UPSTREAM = (
    "203.0.113.10",
    "203.0.113.20",
    "203.0.113.25",
    "203.0.113.30",
    "203.0.113.53",
)
ANSWER = '"answered by the test upstream"'  # a TXT record: no address for rebinding checks
PRINTER = {
    "name": "printer",
    "mac": "3c:d9:2b:1a:2b:3c",
    "ip": "192.168.77.10",
    "dhcp": {"hostname": "HP3CD92B1A2B3C", "params": [1, 3, 6, 12, 15, 28, 42]},
    "ssdp": {
        "server": "HP HTTP Server; HP LaserJet Pro M404dn",
        "nt": "urn:schemas-upnp-org:device:Printer:1",
        "usn": "uuid:3cd92b1a-2b3c-0000-0000-3cd92b1a2b3c",
        "location": "http://192.168.77.10:631/",
    },
    "serve": [631],
}
PHONE = {
    "name": "phone",
    "mac": "f0:18:98:77:88:99",
    "ip": "192.168.77.12",
    "dhcp": {"hostname": "Annas-iPhone", "params": [1, 121, 3, 6, 15, 119, 252]},
    "mdns": {"host": "Annas-iPhone", "services": []},
}


# --- The servers (run inside the internet namespace) -----------------------------------------


def _log(path: str, entry: dict[str, Any]) -> None:
    with open(path, "a") as fh:
        fh.write(json.dumps(entry) + "\n")


def serve_dns(address: str, log: str) -> None:
    import socket

    import dns.message
    import dns.rrset

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 53))
    print("ready", flush=True)
    while True:
        data, peer = sock.recvfrom(4096)
        query = dns.message.from_wire(data)
        _log(log, {"from": peer[0], "name": str(query.question[0].name)})
        reply = dns.message.make_response(query)
        reply.answer.append(dns.rrset.from_text(query.question[0].name, 60, "IN", "TXT", ANSWER))
        sock.sendto(reply.to_wire(), peer)


def serve_http(address: str, log: str) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    files = {"/list.txt": "blocked-by-the-test.example\n", "/feed.txt": "198.51.100.66\n"}

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            _log(log, {"from": self.client_address[0], "method": "GET", "path": self.path})
            self._answer(files.get(self.path, "").encode())

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            _log(log, {"from": self.client_address[0], "method": "POST", "path": self.path})
            self._answer(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((address, 80), Handler)
    print("ready", flush=True)
    server.serve_forever()


def serve_smtp(address: str, log: str) -> None:
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            _log(log, {"from": session.peer[0], "to": envelope.rcpt_tos})
            return "250 OK"

    Controller(Handler(), hostname=address, port=25).start()
    print("ready", flush=True)
    while True:
        time.sleep(3600)


# --- The namespaces -----------------------------------------------------------------------------


@dataclass
class Lab:
    lan: netns.Lan
    work: Path
    station_env: dict[str, str] = field(default_factory=dict)
    portal_env: dict[str, str] = field(default_factory=dict)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def router(self) -> str:
        return self.lan.ns

    @property
    def station(self) -> str:
        return f"lw-st-{self.lan.id}"

    @property
    def internet(self) -> str:
        return f"lw-net-{self.lan.id}"

    def build(self) -> None:
        lan, ip = self.lan, netns.ip
        lan.create()
        for spec in (PRINTER, PHONE):
            lan.add_device(spec)
        ip("-n", self.router, "addr", "add", f"{ROUTER_IP}/24", "dev", netns.BRIDGE)
        lan._add_ns(self.station)
        ip("-n", self.router, "link", "add", "vst", "type", "veth", "peer", "name", "eth0",
           "netns", self.station)  # fmt: skip
        ip("-n", self.router, "link", "set", "vst", "master", netns.BRIDGE)
        ip("-n", self.router, "link", "set", "vst", "up")
        ip("-n", self.station, "link", "set", "eth0", "address", STATION_MAC)
        ip("-n", self.station, "addr", "add", f"{STATION_IP}/24", "dev", "eth0")
        ip("-n", self.station, "link", "set", "eth0", "up")
        ip("-n", self.station, "route", "add", "default", "via", ROUTER_IP)
        lan._add_ns(self.internet)
        ip("-n", self.router, "link", "add", "wan0", "type", "veth", "peer", "name", "eth0",
           "netns", self.internet)  # fmt: skip
        ip("-n", self.router, "addr", "add", "198.51.100.1/24", "dev", "wan0")
        ip("-n", self.router, "link", "set", "wan0", "up")
        ip("-n", self.internet, "addr", "add", "198.51.100.2/24", "dev", "eth0")
        ip("-n", self.internet, "link", "set", "eth0", "up")
        ip("-n", self.internet, "route", "add", "default", "via", "198.51.100.1")
        for server in (PORTAL, LISTS, SMTP, HOOKS, UPSTREAM):
            ip("-n", self.internet, "addr", "add", f"{server}/32", "dev", "lo")
        ip("-n", self.router, "route", "add", "203.0.113.0/24", "via", "198.51.100.2")
        lan.exec(self.router, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])

    def start(self, ns: str, argv: list[str], name: str, env: dict[str, str] | None = None,
              ready: str = "") -> subprocess.Popen[bytes]:  # fmt: skip
        log = self.work / f"{name}.log"
        with log.open("ab") as fh:
            proc = self.lan.popen(ns, argv, env=env, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        if ready:
            wait_for(lambda: ready in log.read_text(errors="replace"), 60, f"{name}: {ready!r}",
                     lambda: log.read_text(errors="replace"), proc)  # fmt: skip
        return proc

    def peer(self, kind: str, address: str) -> None:
        argv = [
            sys.executable,
            "-m",
            "tests.net.test_egress",
            kind,
            address,
            str(self.work / f"{kind}-hits.log"),
        ]
        self.start(self.internet, argv, f"peer-{kind}-{address}", ready="ready")

    def hits(self, kind: str) -> list[dict[str, Any]]:
        path = self.work / f"{kind}-hits.log"
        return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []

    def lanward(self, ns: str | None, *args: str, env: dict[str, str] | None = None,
                check: bool = True, timeout: float = 180) -> subprocess.CompletedProcess[str]:  # fmt: skip
        argv = [sys.executable, "-m", "lanward.cli", *args]
        if ns:
            argv = ["ip", "netns", "exec", ns, *argv]
        result = subprocess.run(argv, env=env or self.station_env, cwd=REPO, capture_output=True,
                                text=True, timeout=timeout)  # fmt: skip
        if check:
            assert result.returncode == 0, (
                f"lanward {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def shell(self, code: str, env: dict[str, str] | None = None, ns: str | None = None) -> str:
        out = self.lanward(ns, "manage", "shell", "--no-imports", "-c", code, env=env).stdout
        return out.strip().splitlines()[-1] if out.strip() else ""


def wait_for(check: Callable[[], bool], timeout: float, what: str,
             details: Callable[[], str] = lambda: "", proc: Any = None) -> None:  # fmt: skip
    deadline = time.monotonic() + timeout
    while not check():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"exited while waiting for {what}:\n{details()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{details()}")
        time.sleep(0.3)


def base_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANWARD_")}
    env.pop("DATABASE_URL", None)  # SQLite files: one per lanward, reached from any namespace
    env.update(
        {
            "LANWARD_DATA_DIR": str(data_dir),
            "LANWARD_SECRET_KEY": uuid.uuid4().hex,
            "PYTHONUNBUFFERED": "1",
            "LANWARD_DISABLE_RATE_LIMITS": "1",
        }  # fmt: skip
    )
    return env


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    reason = netns.unavailable_reason()
    if reason:
        pytest.skip(reason)
    if not Path("/usr/bin/tcpdump").exists() and not Path("/usr/sbin/tcpdump").exists():
        pytest.skip("tcpdump is not installed (apt-get install tcpdump; scripts/test-services.sh)")
    lab = Lab(netns.Lan(), tmp_path)
    try:
        try:
            lab.build()
        except subprocess.CalledProcessError as exc:
            pytest.skip(f"cannot build the test network here: {exc.stderr.strip()}")
        yield lab
    finally:
        for proc in lab.procs:
            netns.stop(proc)
        lab.lan.destroy()


# --- Capturing and reading what the station sent ----------------------------------------------


class Capture:
    """tcpdump on the station's port of the bridge: both directions, to tell answers apart."""

    def __init__(self, lab: Lab, name: str) -> None:
        self.path = lab.work / f"{name}.pcap"
        self.proc = lab.start(
            lab.router,
            ["tcpdump", "-i", "vst", "-n", "-U", "-w", str(self.path)],
            f"tcpdump-{name}",
            ready="listening on",
        )

    def stop(self) -> list[Any]:
        import scapy.layers.all  # noqa: F401 - registers Ethernet, so packets are parsed
        from scapy.utils import rdpcap

        netns.stop(self.proc)
        return list(rdpcap(str(self.path)))


@dataclass
class Sent:
    """What the station sent: the destinations it opened, and how many packets were answers."""

    opened: Counter[tuple[str, int | None, str]] = field(default_factory=Counter)
    answers: int = 0
    arp: set[str] = field(default_factory=set)
    other: list[str] = field(default_factory=list)


def what_the_station_sent(packets: list[Any]) -> Sent:
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.l2 import ARP, Ether

    sent = Sent()
    first: dict[tuple[str, int, str, int], str] = {}  # flow -> who spoke first ("out"/"in")
    for p in packets:
        if Ether not in p:
            continue
        out = p[Ether].src.lower() == STATION_MAC
        if ARP in p:
            if out:
                sent.arp.add(p[ARP].pdst)
            continue
        if IP not in p:
            if out:
                sent.other.append(p.summary())
            continue
        ip = p[IP]
        l4 = p[TCP] if TCP in p else p[UDP] if UDP in p else None
        if l4 is not None:
            proto = "tcp" if TCP in p else "udp"
            key = (
                (proto, l4.sport, ip.dst, l4.dport) if out else (proto, l4.dport, ip.src, l4.sport)
            )
            if key not in first:
                first[key] = "out" if out else "in"
            if out and first[key] == "out":
                sent.opened[(ip.dst, l4.dport, proto)] += 1
            elif out:
                sent.answers += 1
        elif out and ICMP in p and p[ICMP].type in (0, 3, 11):  # echo reply, unreachable, ttl
            sent.answers += 1
        elif out:
            sent.opened[(ip.dst, None, f"ip-proto-{ip.proto}")] += 1
    return sent


def declared(lab: Lab, required_only: bool) -> list[tuple[str, Any]]:
    """(why, Destination) the station's own disclosure allows now (required ones only)."""
    from lanward.privacy.declare import Destination

    data = json.loads(lab.lanward(None, "privacy", "disclosure", "--json").stdout)
    out = []
    for feature in data["features"]:
        for e in feature["leaves_the_station"]:
            if e["required"] or (not required_only and e["allowed_now"]):
                why = f"{feature['name']}: {e['why']}"
                out += [(why, Destination.parse(d)) for d in e["destinations_now"]]
    return out


def undeclared(sent: Sent, allowed: list[tuple[str, Any]]) -> list[str]:
    bad = []
    for (address, port, proto), n in sorted(sent.opened.items(), key=str):
        if not any(d.matches(address, port, proto) for _, d in allowed):
            bad.append(f"{n} packet(s) to {proto} {address}:{port}")
    return bad


def reached(sent: Sent, allowed: list[tuple[str, Any]]) -> set[str]:
    """Which declared destinations the station actually opened."""
    return {
        str(d)
        for (address, port, proto) in sent.opened
        for _, d in allowed
        if d.matches(address, port, proto)
    }


# --- The session -------------------------------------------------------------------------------

PORTAL_SETUP = """
from lanward.accounts.models import User
from lanward.licensing import services
from lanward.licensing.models import ActivationCode, Plan
from lanward.stations.models import PairingCode
owner = User.objects.create_user("owner@example.com", "portal passphrase 1")
code = ActivationCode.issue(Plan.objects.get(slug="home-1y"), 1)[0]
services.activate(owner, code.code, ip="192.0.2.1")
print(PairingCode.issue(owner).code)
"""
STATION_SETUP = f"""
from lanward.accounts.models import User
from lanward.dnsfilter.models import BlockListSource
from lanward.lib import webhook
from lanward.notify.models import Channel
from lanward.threats.models import ThreatFeed
owner = User.objects.create_superuser("owner@example.com", "station passphrase 1")
BlockListSource.objects.create(name="Test list", source="http://{LISTS}/list.txt")
ThreatFeed.objects.create(name="Test feed", source="http://{LISTS}/feed.txt")
Channel.objects.create(owner=owner, type="webhook", name="Hooks", url="http://{HOOKS}/hook",
                       secret=webhook.new_secret())
print("ok")
"""
ALL_OPTIONAL_OFF = """
from lanward.notify.services import Message, publish_message
from lanward.privacy.models import PrivacySettings
prefs = PrivacySettings.load()
prefs.blocklist_downloads = prefs.notify_email = prefs.notify_webhooks = False
prefs.save()
publish_message(Message(kind="alert", severity="critical", title="Egress test"))
print("ok")
"""


def set_up(lab: Lab) -> None:
    for kind, address in (("dns", UPSTREAM), ("http", LISTS), ("http", HOOKS), ("smtp", SMTP)):
        lab.peer(kind, address)
    portal_dir = lab.work / "portal"
    portal_dir.mkdir()
    lab.portal_env = base_env(portal_dir)
    serve = ["serve", "--host", PORTAL, "--port", "80", "--workers", "1", "--no-jobs"]
    lab.start(lab.internet, [sys.executable, "-m", "lanward.cli", *serve], "portal",
              env=lab.portal_env, ready="Listening at")  # fmt: skip
    code = lab.shell(PORTAL_SETUP, env=lab.portal_env)

    station_dir = lab.work / "station"
    station_dir.mkdir()
    lab.station_env = {
        **base_env(station_dir),
        "LANWARD_DNS_UPSTREAMS": f"{UPSTREAM}:53",
        "LANWARD_EMAIL_URL": f"smtp://{SMTP}:25",
        "LANWARD_HOME_NETS": netns.SUBNET,
        "LANWARD_WEBHOOK_ALLOWED_NETS": f"{HOOKS}/32",
        "LANWARD_SCAN_INTERVAL_DAYS": "0",  # scans only when the session asks for one
        "LANWARD_SCAN_NEW_DEVICES": "0",
        "LANWARD_SCAN_NMAP": "off",
    }
    lab.lanward(None, "manage", "migrate", "-v0")
    assert lab.shell(STATION_SETUP) == "ok"
    lab.lanward(lab.station, "station", "pair", "--portal", f"http://{PORTAL}", "--code", code,
                "--name", "egress-test")  # fmt: skip


def devices_seen(lab: Lab, since: float) -> dict[str, list[str]]:
    """MAC -> addresses of the devices the station saw after `since` (epoch seconds)."""
    db = sqlite3.connect(lab.work / "station" / "lanward.sqlite3", timeout=30)
    try:
        rows = db.execute("SELECT mac, ips, last_seen FROM inventory_device").fetchall()
    finally:
        db.close()
    from datetime import datetime

    return {
        mac: json.loads(ips)
        for mac, ips, last in rows
        if datetime.fromisoformat(last).timestamp() >= since - 1
    }


def session(lab: Lab, name: str, scan: bool, go: Path | None = None) -> Sent:
    """One scripted session under whatever Privacy settings are in force; what was sent."""
    capture = Capture(lab, name)
    started = time.time()
    station_argv = [
        "station",
        "run",
        "-i",
        "eth0",
        "--home-net",
        netns.SUBNET,
        "--flush-seconds",
        "1",
    ]
    station = lab.start(lab.station, [sys.executable, "-m", "lanward.cli", *station_argv],
                        f"station-{name}", env=lab.station_env, ready="lanward dns: ready")  # fmt: skip
    wait_for(lambda: len(lab.lan.exec(lab.station, ["cat", "/proc/net/packet"]).stdout.splitlines()) > 2,
             60, "the station's capture", proc=station)  # fmt: skip
    if go is not None:
        go.touch()  # the devices join the network and start announcing themselves
    wait_for(lambda: PHONE["mac"] in devices_seen(lab, started), 60, "the phone",
             lambda: (lab.work / f"station-{name}.log").read_text(), station)  # fmt: skip

    phone = next(d for d in lab.lan.devices if d.name == "phone")
    answer = lab.lan.exec(phone.ns, ["dig", f"@{STATION_IP}", "www.example.com", "TXT", "+short",
                                     "+time=3", "+tries=2"])  # fmt: skip
    assert answer.stdout.strip() == ANSWER, answer
    assert lab.shell("from lanward.threats.feeds import load_feeds\nload_feeds()\nprint('ok')",
                     ns=lab.station) == "ok"  # a threat-feed refresh, as the console does it  # fmt: skip
    lab.lanward(lab.station, "station", "heartbeat")  # the license check
    if scan:
        wait_for(lambda: PRINTER["mac"] in devices_seen(lab, started), 30, "the printer")
        lab.lanward(lab.station, "scan", "--target", PRINTER["ip"], "--ports", "631",
                    "--no-passwords", "--no-nmap")  # fmt: skip
    notified = lab.shell("from lanward.notify.jobs import run\nprint(run())", ns=lab.station)
    assert "new notifications" in notified, notified
    netns.stop(station, timeout=20)
    return what_the_station_sent(capture.stop())


def test_the_station_sends_only_what_the_registry_declares(lab: Lab) -> None:
    set_up(lab)
    go = lab.lan.start_devices(lab.work)

    # 1. Everything optional on: each destination is declared, and each declared one is used.
    sent = session(lab, "all-on", scan=True, go=go)
    allowed = declared(lab, required_only=False)
    assert undeclared(sent, allowed) == [], f"undeclared destinations; declared: {allowed}"
    assert reached(sent, allowed) == {
        f"any {UPSTREAM}:53",  # DNS lookups the station could not answer itself
        f"tcp {LISTS}:80",  # the block list and the threat feed
        f"tcp {PORTAL}:80",  # the license check
        f"tcp {SMTP}:25",  # a notification by email
        f"tcp {HOOKS}:80",  # a notification by webhook
        f"any {netns.SUBNET}",  # the security check of the printer
    }
    assert {ip for (ip, _, _) in sent.opened if ip.startswith("192.168.77.")} == {PRINTER["ip"]}
    assert sent.answers > 0  # DNS answers to the phone: answers, not destinations
    assert sent.arp <= {ROUTER_IP, PRINTER["ip"], PHONE["ip"]} and sent.other == []
    assert {h["path"] for h in lab.hits("http") if h["method"] == "GET"} == {
        "/list.txt",
        "/feed.txt",
    }
    assert {h["path"] for h in lab.hits("http") if h["method"] == "POST"} == {"/hook"}
    assert len(lab.hits("smtp")) >= 1
    heard = {kind: len(lab.hits(kind)) for kind in ("http", "smtp", "dns")}

    # 2. Everything optional off: only what the registry marks as required leaves.
    assert lab.shell(ALL_OPTIONAL_OFF) == "ok"
    sent = session(lab, "optional-off", scan=False)
    required = declared(lab, required_only=True)
    assert undeclared(sent, required) == [], f"more than the required; required: {required}"
    assert {f"{proto} {ip}:{port}" for (ip, port, proto) in sent.opened} <= {
        f"udp {UPSTREAM}:53",
        f"tcp {UPSTREAM}:53",
        f"tcp {PORTAL}:80",
    }
    assert reached(sent, required) == {f"any {UPSTREAM}:53", f"tcp {PORTAL}:80"}
    assert len(lab.hits("http")) == heard["http"]  # no list, feed or webhook request
    assert len(lab.hits("smtp")) == heard["smtp"]  # no mail
    assert len(lab.hits("dns")) > heard["dns"]  # lookups still work
    db = sqlite3.connect(lab.work / "station" / "lanward.sqlite3", timeout=30)
    shown, sent_out = db.execute(
        "SELECT n.in_app, (SELECT count(*) FROM notify_delivery d WHERE d.notification_id = n.id)"
        " FROM notify_notification n WHERE n.title = 'Egress test'"
    ).fetchone()
    db.close()
    assert (shown, sent_out) == (1, 0)  # the alert is in the console only


if __name__ == "__main__":
    {"dns": serve_dns, "http": serve_http, "smtp": serve_smtp}[sys.argv[1]](
        sys.argv[2], sys.argv[3]
    )
