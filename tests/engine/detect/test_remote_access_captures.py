"""Desktop-sharing sessions from outside into the home, as captures nDPI has to recognise.

The corpus has RDP (tcp_scan.pcapng) and Telnet; these captures add VNC, SSH and RDP sessions
on their usual and on unusual ports, built packet by packet (lanward.demo.wire) with the bytes
each protocol really opens with, and run through `lanward analyze` like any capture: nDPI names
the program, the remote-access detector raises the alert.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
from pathlib import Path
from typing import Any

import pytest

from lanward.demo.wire import Capture, Node, TcpSession

HOME = Node("192.168.1.20", "02:00:00:00:00:20")
ROUTER_MAC = "02:00:00:00:00:01"
# The first bytes each side sends, as the protocol specifications give them.
RFB = (b"RFB 003.008\n", b"RFB 003.008\n", b"\x01\x02", b"\x02")  # server, client, types, pick
SSH = (b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", b"SSH-2.0-PuTTY_Release_0.78\r\n")
RDP_REQ = (
    b"\x03\x00\x00\x2b\x26\xe0\x00\x00\x00\x00\x00Cookie: mstshash=administrator\r\n"
    b"\x01\x00\x08\x00\x03\x00\x00\x00"
)
RDP_CONFIRM = b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x1f\x08\x00\x02\x00\x00\x00"


def session(cap: Capture, port: int, remote_ip: str) -> TcpSession:
    remote = Node(remote_ip, ROUTER_MAC, ttl=52, local=False)
    s = TcpSession(cap, random.Random(port), remote, HOME, 51000 + port % 1000, port, 0.03)
    s.connect(0.1)
    return s


def vnc(cap: Capture, port: int) -> None:
    s = session(cap, port, "203.0.113.50")
    s.send(False, RFB[0])
    s.send(True, RFB[1])
    s.send(False, RFB[2])
    s.send(True, RFB[3])
    s.send(False, b"\x00" * 16)  # the VNC auth challenge
    s.send(True, bytes(range(16)))
    s.send(False, b"\x00\x00\x00\x00")
    s.send(False, bytes(2000), rate=2e6)  # the first screen update
    s.close()


def ssh(cap: Capture, port: int) -> None:
    s = session(cap, port, "198.51.100.23")
    s.send(False, SSH[0])
    s.send(True, SSH[1])
    s.send(True, b"\x00\x00\x05\xdc\x06\x14" + bytes(1494))  # KEXINIT
    s.send(False, b"\x00\x00\x04\x3c\x05\x14" + bytes(1080))
    s.close()


def rdp(cap: Capture, port: int) -> None:
    s = session(cap, port, "192.0.2.77")
    s.exchange(RDP_REQ, RDP_CONFIRM)
    s.send(True, b"\x16\x03\x01\x00\x50" + bytes(80))  # TLS hello of the RDP security layer
    s.send(False, b"\x16\x03\x03\x00\x40" + bytes(64))
    s.close()


def analyze(path: Path) -> dict[str, Any]:
    from lanward import cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["analyze", "--json", str(path)]) == 0
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    ("make", "port", "app"),
    [
        (vnc, 5900, "VNC"),
        (vnc, 15900, "VNC"),
        (ssh, 22, "SSH"),
        (ssh, 2222, "SSH"),
        (rdp, 3389, "RDP"),
    ],
)
def test_inbound_desktop_sharing_is_a_high_alert(
    tmp_path: Path, make: Any, port: int, app: str
) -> None:
    cap = Capture(start_us=1_700_000_000_000_000, duration=30)
    make(cap, port)
    cap.write(tmp_path / "session.pcap")
    alerts = analyze(tmp_path / "session.pcap")["alerts"]
    [a] = [a for a in alerts if a["kind"] == "remote_access"]
    assert (a["detector"], a["severity"], a["app"], a["dst"]) == (
        "remote_access_inbound",
        "high",
        app,
        HOME.ip,
    )
    assert a["mac"] == HOME.mac
    assert a["evidence"]["dst_port"] == port and a["evidence"]["answered"] is True
