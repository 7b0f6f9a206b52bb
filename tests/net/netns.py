"""An isolated home LAN made of Linux network namespaces, and the devices that talk on it.

`Lan` builds, in namespaces of its own (the root namespace's links and routes are never touched):

    lw-lan-<id>     the LAN's switch: a bridge br0, where the station listens
    lw-dev<i>-<id>  one namespace per device: eth0, a veth into br0, with the device's MAC and
                    an address in 192.168.77.0/24

Run as a script inside a device namespace (`ip netns exec NS python netns.py SPEC_JSON`), this
file is that device: it announces itself with real DHCP, mDNS and SSDP packets (scapy, sent on
eth0 to broadcast and multicast only), serves its TCP ports and talks to its peers on the LAN,
until it is terminated. It uses only scapy and the standard library.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUBNET = "192.168.77.0/24"
BRIDGE = "br0"
CLONE_NEWNET = 0x40000000


# --- Building the LAN (runs in the test process, as root) -----------------------------------


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


def unavailable_reason() -> str:
    """Why namespaces cannot be used here ('' when they can): not root, no `ip`, no privilege."""
    if os.geteuid() != 0:
        return "network namespace tests need root (ip netns add)"
    if shutil.which("ip") is None:
        return "the `ip` command (iproute2) is not installed"
    probe = f"lw-probe-{uuid.uuid4().hex[:8]}"
    result = ip("netns", "add", probe, check=False)
    if result.returncode != 0:
        return f"cannot create a network namespace here: {result.stderr.strip()}"
    ip("netns", "del", probe, check=False)
    return ""


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)


@dataclass
class DeviceNs:
    """One device: its namespace and its SPEC (below): name, MAC, address, what it says."""

    ns: str
    spec: dict[str, Any]
    proc: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return str(self.spec["name"])


@dataclass
class Lan:
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    devices: list[DeviceNs] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)

    @property
    def ns(self) -> str:
        return f"lw-lan-{self.id}"

    def exec(self, ns: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ip", "netns", "exec", ns, *argv], capture_output=True, text=True, check=True
        )

    def popen(self, ns: str, argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(["ip", "netns", "exec", ns, *argv], **kwargs)

    def _add_ns(self, name: str) -> None:
        ip("netns", "add", name)
        self.namespaces.append(name)
        ip("-n", name, "link", "set", "lo", "up")
        # No IPv6: its autoconfiguration would add traffic the test did not make.
        self.exec(name, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
        self.exec(name, ["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])

    def create(self) -> None:
        self._add_ns(self.ns)
        ip("-n", self.ns, "link", "add", BRIDGE, "type", "bridge")
        ip("-n", self.ns, "link", "set", BRIDGE, "up")

    def add_device(self, spec: dict[str, Any]) -> DeviceNs:
        """A device namespace wired into the bridge, with the MAC and address of `spec`."""
        index = len(self.devices)
        name, port = f"lw-dev{index}-{self.id}", f"vd{index}"
        self._add_ns(name)
        ip(
            "-n",
            self.ns,
            "link",
            "add",
            port,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            name,
        )
        ip("-n", self.ns, "link", "set", port, "master", BRIDGE)
        ip("-n", self.ns, "link", "set", port, "up")
        ip("-n", name, "link", "set", "eth0", "address", spec["mac"])
        ip("-n", name, "addr", "add", f"{spec['ip']}/24", "dev", "eth0")
        ip("-n", name, "link", "set", "eth0", "up")
        device = DeviceNs(name, spec)
        self.devices.append(device)
        return device

    def packet_sockets(self) -> int:
        """How many packet (capture) sockets are open in the LAN's namespace."""
        lines = self.exec(self.ns, ["cat", "/proc/net/packet"]).stdout.splitlines()
        return max(0, len(lines) - 1)

    def start_devices(self, work_dir: Path) -> Path:
        """Start every device; they get ready, then wait for the returned file to appear."""
        go = work_dir / "go"
        peers = {d.name: d.spec["ip"] for d in self.devices}
        for d in self.devices:
            spec = {**d.spec, "peers": peers, "go": str(go)}
            with (work_dir / f"{d.name}.log").open("wb") as log:
                d.proc = self.popen(
                    d.ns,
                    [sys.executable, __file__, json.dumps(spec)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        return go

    def stop_devices(self, names: set[str] | None = None) -> None:
        """Silence the named devices (default: all)."""
        for d in self.devices:
            if d.proc is not None and (names is None or d.name in names):
                d.proc.terminate()
        for d in self.devices:
            if d.proc is not None and (names is None or d.name in names):
                stop(d.proc)
                d.proc = None

    def destroy(self) -> None:
        """Stop every device and delete every namespace (their links go with them)."""
        self.stop_devices()
        for name in reversed(self.namespaces):
            # A process still inside (one the test lost track of) would keep it alive.
            for pid in ip("netns", "pids", name, check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            ip("netns", "del", name, check=False)
        self.namespaces.clear()


class TcpForward:
    """Listen on host:port inside a namespace, and relay each connection to host:port here.

    The station runs in the LAN's namespace, whose loopback is its own; a database on the
    root namespace's 127.0.0.1 is reached through this relay. setns() moves only the calling
    thread, so a short-lived thread opens the listening socket in the namespace.
    """

    def __init__(self, ns: str, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = _in_namespace(ns, lambda: socket.create_server((host, port)))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                inside, _ = self.listener.accept()
            except OSError:  # closed
                return
            try:
                outside = socket.create_connection(self.target, timeout=10)
            except OSError:
                inside.close()
                continue
            outside.settimeout(None)
            for a, b in ((inside, outside), (outside, inside)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()

    def close(self) -> None:
        self.listener.close()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _in_namespace(ns: str, make: Callable[[], socket.socket]) -> socket.socket:
    result: list[socket.socket | BaseException] = []

    def run() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            with open(f"/run/netns/{ns}") as fh:
                if libc.setns(fh.fileno(), CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns into {ns} failed")
            result.append(make())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            result.append(exc)
        # The thread ends here, inside the namespace; the process's other threads never move.

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


# --- Being a device (runs inside a device namespace) ----------------------------------------
#
# SPEC (JSON): {"name", "mac", "ip", "peers": {name: ip}, "go": path to wait for,
#   "dhcp": {"hostname", "params": [option 55...], "vendor_class"},
#   "mdns": {"host", "services": [{"type", "instance", "port", "txt": ["k=v"...]}]},
#   "ssdp": {"server", "nt", "usn", "location"},
#   "serve": [tcp ports], "talk": [{"peer", "port", "proto": "tcp"|"udp", "payload"}]}


def dhcp_packets(spec: dict[str, Any]) -> list[Any]:
    """DISCOVER then REQUEST, with hostname (12), parameter list (55), vendor class (60)."""
    from scapy.layers.dhcp import BOOTP, DHCP
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    cfg = spec["dhcp"]
    chaddr = bytes.fromhex(spec["mac"].replace(":", "")) + b"\x00" * 10
    xid = int.from_bytes(os.urandom(4), "big")
    options: list[Any] = [("param_req_list", cfg["params"]), ("hostname", cfg["hostname"])]
    if cfg.get("vendor_class"):
        options.append(("vendor_class_id", cfg["vendor_class"]))
    out = []
    for message, extra in (
        ("discover", []),
        ("request", [("requested_addr", spec["ip"])]),
    ):
        out.append(
            Ether(src=spec["mac"], dst="ff:ff:ff:ff:ff:ff")
            / IP(src="0.0.0.0", dst="255.255.255.255")
            / UDP(sport=68, dport=67)
            / BOOTP(op=1, chaddr=chaddr, xid=xid, flags=0x8000)
            / DHCP(options=[("message-type", message), *extra, *options, "end"])
        )
    return out


def mdns_packet(spec: dict[str, Any]) -> Any:
    """An unsolicited mDNS response: A, and PTR/SRV/TXT for each DNS-SD service."""
    from scapy.layers.dns import DNS, DNSRR, DNSRRSRV
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    cfg = spec["mdns"]
    host = f"{cfg['host']}.local."
    flush = 0x8001  # class IN with the cache-flush bit
    records = [DNSRR(rrname=host, type="A", rclass=flush, ttl=120, rdata=spec["ip"])]
    for svc in cfg["services"]:
        instance = f"{svc['instance']}.{svc['type']}.local."
        records += [
            DNSRR(rrname=f"{svc['type']}.local.", type="PTR", ttl=4500, rdata=instance),
            DNSRRSRV(rrname=instance, rclass=flush, ttl=120, port=svc["port"], target=host),
            DNSRR(rrname=instance, type="TXT", rclass=flush, ttl=4500, rdata=svc["txt"]),
        ]
    return (
        Ether(src=spec["mac"], dst="01:00:5e:00:00:fb")
        / IP(src=spec["ip"], dst="224.0.0.251", ttl=255)
        / UDP(sport=5353, dport=5353)
        / DNS(id=0, qr=1, aa=1, qd=None, an=records)
    )


def ssdp_packet(spec: dict[str, Any]) -> Any:
    """An SSDP NOTIFY ssdp:alive."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    cfg = spec["ssdp"]
    text = (
        "NOTIFY * HTTP/1.1\r\n"
        "HOST: 239.255.255.250:1900\r\n"
        "CACHE-CONTROL: max-age=1800\r\n"
        f"LOCATION: {cfg['location']}\r\n"
        "NTS: ssdp:alive\r\n"
        f"SERVER: {cfg['server']}\r\n"
        f"NT: {cfg['nt']}\r\n"
        f"USN: {cfg['usn']}::{cfg['nt']}\r\n"
        "\r\n"
    )
    return (
        Ether(src=spec["mac"], dst="01:00:5e:7f:ff:fa")
        / IP(src=spec["ip"], dst="239.255.255.250", ttl=4)
        / UDP(sport=1900, dport=1900)
        / text.encode()
    )


def _serve_tcp(server: socket.socket) -> None:
    while True:
        conn, _ = server.accept()
        with conn:
            conn.settimeout(2)
            try:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            except OSError:
                pass


def _talk(spec: dict[str, Any]) -> None:
    for t in spec.get("talk", []):
        address = (spec["peers"][t["peer"]], t["port"])
        payload = t["payload"].encode()
        try:
            if t["proto"] == "udp":
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    s.sendto(payload, address)
            else:
                with socket.create_connection(address, timeout=2) as s:
                    s.sendall(payload)
                    s.recv(4096)
        except OSError as exc:
            print(f"talk to {address}: {exc}", flush=True)


def be_device(spec: dict[str, Any], period: float = 2.0) -> None:
    from scapy.sendrecv import sendp

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    for port in spec.get("serve", []):
        server = socket.create_server(("0.0.0.0", port))  # noqa: S104 - the device's own LAN
        threading.Thread(target=_serve_tcp, args=(server,), daemon=True).start()
    joining = dhcp_packets(spec) if "dhcp" in spec else []
    announcements = []
    if "mdns" in spec:
        announcements.append(mdns_packet(spec))
    if "ssdp" in spec:
        announcements.append(ssdp_packet(spec))
    while not os.path.exists(spec["go"]):
        time.sleep(0.05)
    if joining:  # once, as a device joining the network does
        sendp(joining, iface="eth0", verbose=False)
    while True:
        if announcements:
            sendp(announcements, iface="eth0", verbose=False)
        _talk(spec)
        time.sleep(period)


if __name__ == "__main__":
    be_device(json.loads(sys.argv[1]))
