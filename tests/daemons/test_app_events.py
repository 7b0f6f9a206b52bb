"""Application-layer events and ARP through the real capture edge (nfstream, pcap readers,
packet sockets): corpus captures, generated captures, `analyze_file`, and live captures on
loopback (real HTTP, FTP and SMTP servers and clients) and in network namespaces (ARP).
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.utils import wrpcap

from lanward.daemons import applayer
from lanward.daemons.capture import analyze_file
from lanward.engine.events import (
    CredentialSeen,
    DnsQuery,
    HttpTransaction,
    TlsClientHello,
)
from lanward.engine.pipeline import Engine, EngineConfig
from tests.conftest import free_port
from tests.engine.applayer.build import (
    EICAR,
    EICAR_SHA256,
    Conversation,
    chunked,
    gzipped,
    http_response,
    shuffled_data,
)
from tests.ndpi_corpus import PCAPS, require_corpus

REPO = Path(__file__).resolve().parents[2]


def events_of(path: Path, **kwargs: Any) -> list[Any]:
    return list(applayer.app_events(str(path), **kwargs))


# --- corpus captures through nfstream ------------------------------------------------------


def test_corpus_sign_ins_with_macs() -> None:
    require_corpus()
    (basic,) = [e for e in events_of(PCAPS / "http_auth.pcap") if isinstance(e, CredentialSeen)]
    assert (basic.protocol, basic.username, basic.success) == ("http-basic", "test", False)
    assert basic.flow.src_ip == "192.168.0.4" and basic.flow.dst_port == 80
    assert basic.flow.src_mac == "28:cf:e9:21:3c:2b" and basic.flow.dst_mac == "4c:17:eb:ba:24:e1"
    (telnet,) = events_of(PCAPS / "telnet.pcap")
    assert isinstance(telnet, CredentialSeen)
    assert (telnet.protocol, telnet.username, telnet.success) == ("telnet", "fake", True)


def test_corpus_dns_including_pppoe_in_qinq() -> None:
    require_corpus()
    events = [e for e in events_of(PCAPS / "dns.pcap") if isinstance(e, DnsQuery)]  # + answers
    queries = sorted((e.name, e.qtype) for e in events)
    assert queries == [("e7.whatsapp.net", "A"), ("www.example.com", "AAAA")]
    (query,) = [e for e in events if e.name == "www.example.com"]
    assert (query.flow.src_ip, query.flow.dst_port) == ("192.168.170.8", 53)  # client first


def test_corpus_injection_uris_and_tls() -> None:
    require_corpus()
    (sqli,) = events_of(PCAPS / "sql_injection.pcap")
    assert isinstance(sqli, HttpTransaction) and "UNION+SELECT" in sqli.uri
    (xss,) = events_of(PCAPS / "xss.pcap")
    assert isinstance(xss, HttpTransaction) and "%3Cscript%3E" in xss.uri
    hellos = [e for e in events_of(PCAPS / "alexa-app.pcapng") if isinstance(e, TlsClientHello)]
    assert len(hellos) == 88 and all(h.ja3_hash for h in hellos)


# --- generated captures ----------------------------------------------------------------------


def eicar_capture(path: Path, seed: int = 7, spread_ms: int = 0) -> Path:
    payload = chunked(gzipped(EICAR), size=4)
    headers = {"Transfer-Encoding": "chunked", "Content-Encoding": "gzip"}
    c = Conversation(server_port=8080).handshake()
    c.client(b"GET /pub/eicar.com HTTP/1.1\r\nHost: files.example\r\n\r\n")
    c.server(http_response(payload, headers), mss=5).finish()
    packets = shuffled_data(c.packets, seed) + c.packets[-3:]
    for n, pkt in enumerate(packets):
        pkt.time = 1_700_000_000 + n * spread_ms / 1000
    wrpcap(str(path), packets)
    return path


def test_generated_eicar_download(tmp_path: Path) -> None:
    (tx,) = events_of(eicar_capture(tmp_path / "eicar.pcap"))
    assert isinstance(tx, HttpTransaction) and tx.file is not None
    assert (tx.file.sha256, tx.file.name, tx.file.complete) == (EICAR_SHA256, "eicar.com", True)
    assert tx.flow.src_port == 40000 and tx.flow.src_mac == "02:00:00:00:00:02"


def test_flow_cut_by_active_timeout_is_read_on(tmp_path: Path) -> None:
    """nfstream cuts the slow download into several flows; the parser carries over."""
    path = eicar_capture(tmp_path / "slow.pcap", spread_ms=500)
    events = events_of(path, active_timeout=3, idle_timeout=60)
    (tx,) = [e for e in events if isinstance(e, HttpTransaction)]
    assert tx.file is not None and tx.file.sha256 == EICAR_SHA256 and tx.file.complete


def arp_packets() -> list[Any]:
    request = Ether(src="aa:aa:aa:00:00:01", dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc="aa:aa:aa:00:00:01", psrc="10.1.1.5", pdst="10.1.1.1"
    )
    reply = (
        Ether(src="bb:bb:bb:00:00:01", dst="aa:aa:aa:00:00:01")
        / Dot1Q(vlan=7)
        / ARP(
            op=2,
            hwsrc="bb:bb:bb:00:00:01",
            psrc="10.1.1.1",
            hwdst="aa:aa:aa:00:00:01",
            pdst="10.1.1.5",
        )
    )
    packets = [request, Ether() / b"not arp at all, padding.....", reply]
    for n, pkt in enumerate(packets):
        pkt.time = 1_700_000_000 + n
    return packets


@pytest.mark.parametrize("ext", ["pcap", "pcapng"])
def test_arp_from_capture_files(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"arp.{ext}"
    if ext == "pcap":
        wrpcap(str(path), arp_packets())
    else:
        from scapy.utils import PcapNgWriter

        with PcapNgWriter(str(path)) as writer:
            for pkt in arp_packets():
                writer.write(pkt)
    events = list(applayer.arp_events(str(path)))
    assert [(e.op, e.sender_ip, e.sender_mac, e.target_ip, e.ts_ms) for e in events] == [
        (1, "10.1.1.5", "aa:aa:aa:00:00:01", "10.1.1.1", 1_700_000_000_000),
        (2, "10.1.1.1", "bb:bb:bb:00:00:01", "10.1.1.5", 1_700_000_002_000),
    ]


def test_arp_from_a_cut_file_keeps_what_came_before(tmp_path: Path) -> None:
    path = tmp_path / "cut.pcap"
    wrpcap(str(path), arp_packets())
    path.write_bytes(path.read_bytes()[:-20])
    assert [e.op for e in applayer.arp_events(str(path))] == [1]
    with pytest.raises(ValueError, match="cannot read"):
        list(applayer.arp_events(str(tmp_path / "missing.pcap")))


class Recorder:
    def __init__(self) -> None:
        self.seen: list[Any] = []

    def app_event(self, event: Any) -> list[Any]:
        self.seen.append(event)
        return []

    def arp(self, event: Any) -> list[Any]:
        self.seen.append(event)
        return []


def test_analyze_file_feeds_the_engine(tmp_path: Path) -> None:
    path = tmp_path / "both.pcap"
    eicar = eicar_capture(tmp_path / "e.pcap")
    from scapy.utils import rdpcap

    wrpcap(str(path), arp_packets() + list(rdpcap(str(eicar))))
    recorder = Recorder()
    engine = Engine(EngineConfig(), addons=[recorder])
    analyze_file(path, engine)
    kinds = [type(e).__name__ for e in recorder.seen]
    assert kinds == ["ArpSeen", "ArpSeen", "HttpTransaction"]
    assert engine.app_event_count == 1 and engine.flow_count >= 1


def test_live_ports() -> None:
    assert applayer.live_bpf((80, 21)) == "(tcp and (port 21 or port 80)) or (udp and port 53)"
    assert applayer.parse_ports("80, 8080,21") == (80, 8080, 21)
    with pytest.raises(ValueError, match="not a port"):
        applayer.parse_ports("80,http")
    bad = subprocess.run(
        [sys.executable, "-c", "import lanward.settings"],
        env={**os.environ, "LANWARD_INSPECT_PORTS": "80,web"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0 and "LANWARD_INSPECT_PORTS" in bad.stderr
    assert "Traceback" not in bad.stderr


# --- live on loopback: real servers and clients ---------------------------------------------

LIVE_SCRIPT = """
import json, sys
from lanward.daemons import applayer, capture
capture.repair_live_flow_expiry()  # as the station does
ports = tuple(int(p) for p in sys.argv[1].split(","))
for e in applayer.app_events("lo", bpf_filter=applayer.live_bpf(ports), idle_timeout=6, active_timeout=30):
    out = {"kind": type(e).__name__, "port": e.flow.dst_port}
    for name in ("protocol", "username", "success", "uri", "status"):
        if hasattr(e, name):
            out[name] = getattr(e, name)
    if getattr(e, "file", None) is not None:
        out["sha256"] = e.file.sha256
    print(json.dumps(out), flush=True)
"""


class EicarHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = gzipped(EICAR)
        self.send_response(200)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class LiveCapture:
    """The live-capture script in its own process group; its events as they are printed."""

    def __init__(self, ports: list[int]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LIVE_SCRIPT, ",".join(map(str, [*ports, 53]))],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            cwd=REPO,
        )
        self.lines: list[str] = []
        self.stopped = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in iter(self.proc.stdout.readline, ""):
            self.lines.append(line)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in list(self.lines) if line.startswith("{")]

    def _probe(self) -> None:
        """A DNS query to 127.0.0.1:53 every half second, each from a new port (a new flow).

        The first one reported says the capture is open. They also keep packets coming: the
        meter expires idle flows only when it sees packets, and a quiet loopback has none.
        """
        import dns.message

        probe = dns.message.make_query("probe.lanward.invalid", "A").to_wire()
        while self.proc.poll() is None and not self.stopped.is_set():
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.sendto(probe, ("127.0.0.1", 53))
            time.sleep(0.5)

    def wait_until_live(self, timeout: float = 60) -> None:
        threading.Thread(target=self._probe, daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e["kind"] == "DnsQuery" for e in self.events):
                return
            time.sleep(0.2)
        raise AssertionError(f"the live capture saw nothing: {self.stop()}")

    def wait_for(self, count: int, timeout: float = 45) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = [e for e in self.events if e["kind"] != "DnsQuery"]
            if len(events) >= count:
                return events
            time.sleep(0.2)
        return [e for e in self.events if e["kind"] != "DnsQuery"]

    def stop(self) -> str:
        self.stopped.set()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        _out, err = self.proc.communicate(timeout=10)
        return err[-2000:]


@pytest.fixture
def live_capture() -> Iterator[Any]:
    captures: list[LiveCapture] = []

    def start(ports: list[int]) -> LiveCapture:
        capture = LiveCapture(ports)
        captures.append(capture)
        capture.wait_until_live()
        return capture

    yield start
    for capture in captures:
        capture.stop()


@pytest.mark.skipif(os.geteuid() != 0, reason="a live capture needs root (or cap_net_raw)")
def test_live_loopback_http_ftp_smtp(live_capture: Any) -> None:
    import ftplib
    import smtplib

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import FTPServer

    web_port, ftp_port, smtp_port = free_port(), free_port(), free_port()
    capture = live_capture([web_port, ftp_port, smtp_port])

    web = http.server.ThreadingHTTPServer(("127.0.0.1", web_port), EicarHandler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    authorizer = DummyAuthorizer()
    authorizer.add_user("alice", "s3cret", str(REPO), perm="elr")
    handler = type("Handler", (FTPHandler,), {"authorizer": authorizer})
    ftp_server = FTPServer(("127.0.0.1", ftp_port), handler)
    threading.Thread(
        target=functools.partial(ftp_server.serve_forever, timeout=0.2), daemon=True
    ).start()

    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        return AuthResult(success=auth_data.login == b"erin" and auth_data.password == b"s3cret")

    smtp = Controller(
        object(),
        hostname="127.0.0.1",
        port=smtp_port,
        authenticator=authenticate,
        auth_require_tls=False,
    )
    smtp.start()
    try:
        import urllib.request

        body = urllib.request.urlopen(f"http://127.0.0.1:{web_port}/eicar.com", timeout=10).read()  # noqa: S310 - loopback
        assert body == gzipped(EICAR)
        with ftplib.FTP() as ftp:
            ftp.connect("127.0.0.1", ftp_port, timeout=10)
            with pytest.raises(ftplib.error_perm):
                ftp.login("alice", "wrong")
            ftp.login("alice", "s3cret")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
            client.ehlo()
            client.login("erin", "s3cret")
        events = capture.wait_for(4)
    finally:
        web.shutdown()
        ftp_server.close_all()
        smtp.stop()
    by_kind = {(e["kind"], e.get("protocol", "")): e for e in events}
    assert ("HttpTransaction", "") in by_kind, events
    http_tx = by_kind[("HttpTransaction", "")]
    assert (http_tx["uri"], http_tx["status"], http_tx["sha256"]) == (
        "/eicar.com",
        200,
        EICAR_SHA256,
    )
    ftp_logins = [(e["username"], e["success"]) for e in events if e.get("protocol") == "ftp"]
    assert ftp_logins == [("alice", False), ("alice", True)]
    assert [(e["username"], e["success"]) for e in events if e.get("protocol") == "smtp"] == [
        ("erin", True)
    ]
    assert "s3cret" not in json.dumps(events) and base64.b64encode(
        b"s3cret"
    ).decode() not in json.dumps(events)


# --- live ARP in network namespaces ---------------------------------------------------------

ARP_SCRIPT = """
import sys, threading, time
from lanward.daemons.applayer import live_arp_events
stop = threading.Event()
threading.Timer(float(sys.argv[2]), stop.set).start()
print("ready", flush=True)
for e in live_arp_events(sys.argv[1], stop, timeout=0.2):
    print(e.op, e.sender_ip, e.sender_mac, e.target_ip, flush=True)
"""


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def two_namespaces() -> Iterator[tuple[str, str]]:
    from tests.net import netns

    reason = netns.unavailable_reason()
    if reason:
        pytest.skip(reason)
    tag = uuid.uuid4().hex[:6]
    a, b = f"lw-arpa-{tag}", f"lw-arpb-{tag}"
    ip("netns", "add", a)
    ip("netns", "add", b)
    try:
        ip(
            "link",
            "add",
            f"va{tag}",
            "netns",
            a,
            "type",
            "veth",
            "peer",
            "name",
            f"vb{tag}",
            "netns",
            b,
        )
        ip("-n", a, "link", "set", f"va{tag}", "name", "eth0", "address", "02:00:00:aa:00:01")
        ip("-n", b, "link", "set", f"vb{tag}", "name", "eth0", "address", "02:00:00:bb:00:01")
        ip("-n", a, "addr", "add", "10.99.0.1/24", "dev", "eth0")
        ip("-n", b, "addr", "add", "10.99.0.2/24", "dev", "eth0")
        ip("-n", a, "link", "set", "eth0", "up")
        ip("-n", b, "link", "set", "eth0", "up")
        yield a, b
    finally:
        subprocess.run(["ip", "netns", "del", a], capture_output=True, timeout=30)
        subprocess.run(["ip", "netns", "del", b], capture_output=True, timeout=30)


def test_live_arp_reader(two_namespaces: tuple[str, str]) -> None:
    a, b = two_namespaces
    reader = subprocess.Popen(
        ["ip", "netns", "exec", a, sys.executable, "-c", ARP_SCRIPT, "eth0", "6"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert reader.stdout is not None and reader.stdout.readline().strip() == "ready"
    # A datagram from b to a: b asks who has 10.99.0.1 (a request a receives). Then one from a
    # to b with a's neighbour cache emptied: a asks, and b's reply comes in. (A packet socket
    # bound to ARP alone sees frames the host receives, not the ones it sends.)
    send = "import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', (sys.argv[1], 9))"
    subprocess.run(
        ["ip", "netns", "exec", b, sys.executable, "-c", send, "10.99.0.1"], check=True, timeout=30
    )
    time.sleep(0.5)
    ip("-n", a, "neigh", "flush", "all")
    subprocess.run(
        ["ip", "netns", "exec", a, sys.executable, "-c", send, "10.99.0.2"], check=True, timeout=30
    )
    out, err = reader.communicate(timeout=30)
    assert reader.returncode == 0, err
    lines = set(out.splitlines())
    assert "1 10.99.0.2 02:00:00:bb:00:01 10.99.0.1" in lines  # b asks who has .1
    assert "2 10.99.0.2 02:00:00:bb:00:01 10.99.0.1" in lines  # b answers a
