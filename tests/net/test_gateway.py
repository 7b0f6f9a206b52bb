"""Gateway mode for real: `lanward station run --mode gateway` routes between two namespaces and
blocks real connections with nftables.

    lw-gwl-<id> pc        eth0 192.168.77.10 ── lan0 192.168.77.1  lw-gwr-<id>  the station,
                                                 wan0 198.51.100.1               forwarding on
    lw-gww-<id> internet  eth0 198.51.100.2 and 198.51.100.66 (on the indicator feed)

The pc serves RDP, VNC and SSH ports (and one that is not remote control), the router its web
admin page, the internet host HTTPS. Every check is a TCP connection the test opens from one
namespace to another; the station writes alerts to a SQLite database in a temp data dir.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lanward.lib.nftables import find_nft
from tests.conftest import REPO
from tests.net import netns

pytestmark = [pytest.mark.xdist_group("netns")]

PC_IP, PC_MAC = "192.168.77.10", "02:00:00:77:00:10"
ROUTER_LAN, ROUTER_WAN = "192.168.77.1", "198.51.100.1"
INTERNET, LISTED = "198.51.100.2", "198.51.100.66"
RDP, VNC, SSH, NOT_REMOTE, ADMIN, HTTPS = 3389, 5900, 22, 8000, 80, 443
HEARTBEAT = 3  # seconds; the default is 10


@dataclass
class Net:
    lan: netns.Lan
    tmp: Path
    router: str = ""
    pc: str = ""
    internet: str = ""
    servers: list[socket.socket] = field(default_factory=list)

    def serve(self, ns: str, port: int) -> None:
        server = netns._in_namespace(ns, lambda: socket.create_server(("0.0.0.0", port)))  # noqa: S104
        self.servers.append(server)
        threading.Thread(target=_answer, args=(server,), daemon=True).start()

    def reach(self, ns: str, host: str, port: int, timeout: float = 1.0) -> bool:
        """Whether a TCP connection from `ns` to host:port gets the server's greeting."""

        def connect() -> socket.socket:
            try:
                with socket.create_connection((host, port), timeout=timeout) as conn:
                    ok = conn.recv(16) == b"hello\n"
            except OSError:
                ok = False
            return ok  # type: ignore[return-value]

        return bool(netns._in_namespace(ns, connect))

    def nft(self, *args: str) -> str:
        return self.lan.exec(self.router, ["nft", *args]).stdout


def _answer(server: socket.socket) -> None:
    while True:
        try:
            conn, _ = server.accept()
        except OSError:  # closed at the end
            return
        with conn:
            try:
                conn.sendall(b"hello\n")
            except OSError:
                pass


def _link(net: Net, a: str, a_if: str, b: str, b_if: str) -> None:
    netns.ip("-n", a, "link", "add", a_if, "type", "veth", "peer", "name", b_if, "netns", b)


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Net]:
    reason = netns.unavailable_reason()
    if reason:
        pytest.skip(reason)
    if not find_nft():
        pytest.skip("nft is not installed (apt-get install nftables; scripts/test-services.sh)")
    lan = netns.Lan()
    n = Net(lan, tmp_path)
    n.router, n.pc, n.internet = (f"lw-gw{r}-{lan.id}" for r in ("r", "l", "w"))
    try:
        for ns in (n.router, n.pc, n.internet):
            lan._add_ns(ns)
        _link(n, n.router, "lan0", n.pc, "eth0")
        _link(n, n.router, "wan0", n.internet, "eth0")
        for ns, link, mac, addresses in (
            (n.router, "lan0", "02:00:00:77:00:01", [f"{ROUTER_LAN}/24"]),
            (n.router, "wan0", "02:00:00:51:00:01", [f"{ROUTER_WAN}/24"]),
            (n.pc, "eth0", PC_MAC, [f"{PC_IP}/24"]),
            (n.internet, "eth0", "02:00:00:51:00:02", [f"{INTERNET}/24", f"{LISTED}/24"]),
        ):
            netns.ip("-n", ns, "link", "set", link, "address", mac)
            for address in addresses:
                netns.ip("-n", ns, "addr", "add", address, "dev", link)
            netns.ip("-n", ns, "link", "set", link, "up")
        netns.ip("-n", n.pc, "route", "add", "default", "via", ROUTER_LAN)
        netns.ip("-n", n.internet, "route", "add", "default", "via", ROUTER_WAN)
        lan.exec(n.router, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        for port in (RDP, VNC, SSH, NOT_REMOTE):
            n.serve(n.pc, port)
        n.serve(n.router, ADMIN)
        n.serve(n.internet, HTTPS)
        yield n
    finally:
        for server in n.servers:
            server.close()
        lan.destroy()  # the namespaces, and the nftables table inside the router's, go


class Station:
    """`lanward station run --mode gateway` inside the router's namespace."""

    def __init__(self, n: Net) -> None:
        self.net = n
        self.data = n.tmp / "data"
        self.feed = n.tmp / "botnet-c2.txt"
        self.feed.write_text(f"# a C2 feed\n{LISTED}\n")
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env.update(
            LANWARD_DATA_DIR=str(self.data),
            LANWARD_GATEWAY_HEARTBEAT_SECONDS=str(HEARTBEAT),
            LANWARD_POLICY_REFRESH_SECONDS="1",
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0
        self.home_nets = ["192.168.77.0/24"]  # test_gateway_v6 adds the LAN's IPv6 prefix

    @property
    def log(self) -> str:
        return "\n".join(
            (self.net.tmp / f"station-{i}.log").read_text(errors="replace")
            for i in range(1, self.runs + 1)
        )

    def start(self) -> subprocess.Popen[bytes]:
        self.runs += 1
        argv = [
            *("station", "run", "--mode", "gateway", "--lan", "lan0", "--wan", "wan0"),
            *(arg for home in self.home_nets for arg in ("--home-net", home)),
            *("--indicators", str(self.feed)),
            *("--flush-seconds", "1", "--no-dns"),
        ]
        with (self.net.tmp / f"station-{self.runs}.log").open("wb") as log:
            self.proc = self.net.lan.popen(
                self.net.router,
                [sys.executable, "-m", "lanward.cli", *argv],
                env=self.env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while '"elem"' not in self.alive():
            assert self.proc.poll() is None, f"the station exited: {self.log}"
            assert time.monotonic() < deadline, f"the station did not start: {self.log}"
            time.sleep(0.2)
        return self.proc

    def alive(self) -> str:
        result = self.net.lan.exec(self.net.router, ["nft", "list", "tables"])
        if "table inet lanward" not in result.stdout:
            return ""
        return self.net.nft("-j", "list", "set", "inet", "lanward", "alive")

    def django(self, code: str) -> None:
        setup = "import django\ndjango.setup()\n"
        env = {**self.env, "DJANGO_SETTINGS_MODULE": "lanward.settings"}
        subprocess.run(
            [sys.executable, "-c", setup + code], env=env, cwd=REPO, check=True, timeout=60
        )

    def alerts(self) -> list[dict[str, Any]]:
        with sqlite3.connect(self.data / "lanward.sqlite3", timeout=10) as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT detector, severity, src, dst, app, action FROM threats_alert")
            return [dict(r) for r in rows]

    def stop(self) -> None:
        if self.proc is not None:
            netns.stop(self.proc, timeout=15)


def eventually(check: Callable[[], Any], timeout: float, what: str, log: Callable[[], str]) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what} not within {timeout} s\n{log()}"
        time.sleep(0.3)


@pytest.fixture
def station(net: Net) -> Iterator[Station]:
    s = Station(net)
    stop_chatter = threading.Event()

    def chatter() -> None:
        # The LAN is never silent; nfstream's live meter only moves its clock on packets.
        sender = netns._in_namespace(
            net.pc, lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        )
        while not stop_chatter.wait(0.3):
            try:
                sender.sendto(b"tick", (ROUTER_LAN, 9))
            except OSError:
                pass
        sender.close()

    threading.Thread(target=chatter, daemon=True).start()
    try:
        yield s
    finally:
        stop_chatter.set()
        s.stop()


def test_gateway_blocks_allows_and_fails_open(net: Net, station: Station) -> None:
    pc, internet = net.pc, net.internet
    # Before the station: everything passes (and the router learns the pc's MAC).
    assert net.reach(pc, ROUTER_LAN, ADMIN)
    for port in (RDP, VNC, SSH):
        assert net.reach(internet, PC_IP, port), port
    assert net.reach(pc, LISTED, HTTPS)

    station.start()
    # Inbound remote control from the internet is dropped; other inbound traffic is not.
    for port in (RDP, VNC, SSH):
        assert not net.reach(internet, PC_IP, port), f"port {port} still open\n{station.log}"
    assert net.reach(internet, PC_IP, NOT_REMOTE)
    # The listed address is blocked from the first packet; the rest of the internet is not.
    assert not net.reach(pc, LISTED, HTTPS)
    assert net.reach(pc, INTERNET, HTTPS)
    # The router's admin page is closed to a device nobody approved.
    assert not net.reach(pc, ROUTER_LAN, ADMIN)

    def dropped_rdp() -> list[dict[str, Any]]:
        return [
            a
            for a in station.alerts()
            if a["detector"] == "remote_access_inbound" and a["app"] == "RDP"
        ]

    [rdp] = eventually(dropped_rdp, 10, "an alert for the dropped RDP attempt", lambda: station.log)
    assert (rdp["severity"], rdp["src"], rdp["dst"]) == ("high", INTERNET, PC_IP)
    assert rdp["action"] == f"blocked {INTERNET} from opening RDP (port {RDP}) on {PC_IP}"

    # The owner allows RDP on the pc and approves it to manage the router.
    station.django(
        f"""
from django.utils import timezone
from lanward.inventory.models import Device
from lanward.threats.models import RemoteAccessAllowance, RouterApproval
now = timezone.now()
pc, _ = Device.objects.get_or_create(mac={PC_MAC!r}, defaults={{"first_seen": now, "last_seen": now}})
RemoteAccessAllowance.objects.create(device=pc, app="RDP")
RouterApproval.objects.create(device=pc)
"""
    )
    changed = time.monotonic()
    eventually(lambda: net.reach(internet, PC_IP, RDP), 10, "RDP allowed", lambda: station.log)
    eventually(lambda: net.reach(pc, ROUTER_LAN, ADMIN), 10, "admin approved", lambda: station.log)
    print(f"allowance and approval in force {time.monotonic() - changed:.1f} s after the change")
    assert not net.reach(internet, PC_IP, VNC)  # allowed was RDP, not every program

    # The household pauses the pc: nothing of it gets through, until it is resumed.
    pause = f"from lanward.inventory.models import Device\nDevice.objects.filter(mac={PC_MAC!r})"
    station.django(pause + ".update(blocked=True)")
    eventually(
        lambda: not net.reach(pc, INTERNET, HTTPS, timeout=0.5), 10, "paused", lambda: station.log
    )
    station.django(pause + ".update(blocked=False)")
    eventually(lambda: net.reach(pc, INTERNET, HTTPS), 10, "resumed", lambda: station.log)

    # The blocked attempt to the listed address is an alert that says it was blocked (once
    # nfstream ends the flow: 15 s without packets of its own).
    def feed_alert() -> list[dict[str, Any]]:
        return [a for a in station.alerts() if a["detector"] == "indicator_match"]

    [listed] = eventually(feed_alert, 30, "the indicator alert", lambda: station.log)
    assert (listed["severity"], listed["src"], listed["dst"]) == ("high", PC_IP, LISTED)
    assert listed["action"] == (
        f"blocked {LISTED} from the first packet: it is on the feed 'botnet-c2.txt'"
    )

    fails_open(net, station, PC_IP, LISTED)


def fails_open(net: Net, station: Station, pc_addr: str, listed: str) -> None:
    """With the pc allowed RDP: SIGTERM removes the station's table and everything passes;
    started again it blocks again from the start, the allowance already in place; killed
    with -9 no cleanup runs and the table stays, but its drops end with the heartbeat."""
    pc, internet = net.pc, net.internet
    assert station.proc is not None
    station.proc.send_signal(signal.SIGTERM)
    assert station.proc.wait(timeout=20) == 0, station.log
    assert "table inet lanward" not in net.nft("list", "tables")
    assert net.reach(internet, pc_addr, VNC)
    assert net.reach(pc, listed, HTTPS)

    proc = station.start()
    assert net.reach(internet, pc_addr, RDP)
    assert not net.reach(internet, pc_addr, VNC)
    assert not net.reach(pc, listed, HTTPS)

    assert proc.poll() is None, station.log
    proc.kill()
    proc.wait(timeout=10)
    killed = time.monotonic()
    eventually(
        lambda: net.reach(internet, pc_addr, VNC, timeout=0.5),
        HEARTBEAT + 5,
        f"VNC to {pc_addr} passing after the heartbeat ran out",
        lambda: station.log,
    )
    print(f"open again {time.monotonic() - killed:.1f} s after kill -9 (heartbeat {HEARTBEAT} s)")
    assert "table inet lanward" in net.nft("list", "tables")
    assert net.reach(pc, listed, HTTPS)
    assert "Traceback" not in station.log, station.log
