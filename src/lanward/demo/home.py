"""A home LAN behind one gateway: the services every device uses (DHCP, DNS, ARP) and the
conversation shapes they share (a TLS connection, an HTTP request, a streaming session).

Remote servers get addresses from the documentation ranges (RFC 5737); nothing here sends a
packet anywhere, it only appends frames to a `Capture`.
"""

from __future__ import annotations

import ipaddress
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from lanward.demo import payloads
from lanward.demo.wire import (
    BROADCAST_MAC,
    ETH_ARP,
    Capture,
    Node,
    TcpSession,
    ethernet,
    multicast_mac,
)

LAN_PREFIX = "192.168.1."

# Multicast groups, with the IP TTL each protocol sends with (RFC 6762, UPnP DA 1.1, RFC 4795,
# WS-Discovery 1.1), and the broadcast addresses.
MDNS = Node(ip="224.0.0.251", mac=multicast_mac("224.0.0.251"), ttl=255)
SSDP = Node(ip="239.255.255.250", mac=multicast_mac("239.255.255.250"), ttl=2)
LLMNR = Node(ip="224.0.0.252", mac=multicast_mac("224.0.0.252"), ttl=1)
WSD = Node(ip="239.255.255.250", mac=multicast_mac("239.255.255.250"), ttl=1)
LAN_BROADCAST = Node(ip=LAN_PREFIX + "255", mac=BROADCAST_MAC)
ALL_BROADCAST = Node(ip="255.255.255.255", mac=BROADCAST_MAC)

LEASE_SECONDS = 864000  # a FRITZ!Box hands out ten-day leases

ACCEPT_HTML = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)

# RFC 5737 documentation networks: public-looking, never routed.
REMOTE_NETS = ("203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24")


@dataclass
class Device:
    """One device of the demo home and what a correct recognizer should say about it."""

    key: str
    kind: str
    brand: str
    model: str
    mac: str
    ip: str
    hostname: str
    stack: str  # TLS client stack: chromium, apple, openssl, schannel, mbedtls-psk
    node: Node
    dhcp_client: str  # a key of DHCP_CLIENTS
    ports: tuple[int, int] = (49152, 65535)
    apps: tuple[str, ...] = ()
    dns_cache: dict[str, tuple[str, float]] = field(default_factory=dict)
    next_port: int = 0

    def port(self, rng: random.Random) -> int:
        low, high = self.ports
        if not self.next_port:
            self.next_port = rng.randint(low, high - 2000)
        self.next_port += rng.randint(1, 3)
        if self.next_port >= high:
            self.next_port = low
        return self.next_port

    def describe(self) -> dict[str, object]:
        return {
            "key": self.key,
            "mac": self.mac,
            "ip": self.ip,
            "type": self.kind,
            "brand": self.brand,
            "model": self.model,
            "hostname": self.hostname,
            "apps": list(self.apps),
        }


# The DHCP clients of the demo home: the options each puts in a message, in wire order.
# "id" is the client identifier (01 + MAC), "chosen" the requested address and server id as the
# client's phase needs them, "host" the hostname (option 12), "fqdn" the client FQDN (81).
DHCP_CLIENTS: dict[str, list[object]] = {
    "android": [  # AOSP DhcpClient
        "id", "chosen", ("max_dhcp_size", 1500), ("vendor_class_id", b"android-dhcp-13"), "host",
        ("param_req_list", [1, 3, 6, 15, 26, 28, 51, 58, 59, 43]),
    ],
    "ios": [  # iOS 17 configd
        ("param_req_list", [1, 121, 3, 6, 15, 108, 114, 119, 252, 95, 44, 46]),
        ("max_dhcp_size", 1500), "id", "chosen", ("lease_time", 7776000), "host",
    ],
    "windows": [  # Windows 10/11
        "id", "chosen", "host", "fqdn", ("vendor_class_id", b"MSFT 5.0"),
        ("param_req_list", [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252]),
    ],
    "udhcpc-1.24": [  # BusyBox udhcpc (embedded Linux)
        "id", "chosen", ("max_dhcp_size", 576), ("vendor_class_id", b"udhcp 1.24.2"), "host",
        ("param_req_list", [1, 3, 6, 12, 15, 28, 42]),
    ],
    "udhcpc-1.19": [
        "id", "chosen", ("max_dhcp_size", 576), ("vendor_class_id", b"udhcp 1.19.4"), "host",
        ("param_req_list", [1, 3, 6, 12, 15, 28, 42]),
    ],
    "sonos": ["chosen", "host", ("param_req_list", [1, 3, 6, 12, 15, 28, 40, 41, 42])],
    "webos": [
        "id", ("max_dhcp_size", 1500), "chosen", "host",
        ("param_req_list", [1, 3, 6, 12, 15, 28, 42]),
    ],
    "hp-laserjet": [
        "id", "chosen", ("max_dhcp_size", 1024), "host",
        ("param_req_list", [1, 3, 6, 15, 44, 46, 47, 81, 12, 2, 42, 26, 119]),
    ],
}  # fmt: skip


def dhcp_options(dev: Device, gateway_ip: str) -> Callable[[str, str], list[tuple[str, object]]]:
    """Options for a DHCP `message` in a client `phase`: selecting, init-reboot or renewing."""

    def build(message: str, phase: str) -> list[tuple[str, object]]:
        out: list[tuple[str, object]] = [("message-type", message)]
        for item in DHCP_CLIENTS[dev.dhcp_client]:
            if item == "id":
                out.append(("client_id", b"\x01" + bytes.fromhex(dev.mac.replace(":", ""))))
            elif item == "chosen":
                if phase in ("selecting", "init-reboot"):
                    out.append(("requested_addr", dev.ip))
                if phase == "selecting":
                    out.append(("server_id", gateway_ip))
            elif item == "host":
                if dev.hostname:
                    out.append(("hostname", dev.hostname.encode()))
            elif item == "fqdn":
                out.append(("client_FQDN", b"\x00\x00\x00" + dev.hostname.encode()))
            else:
                assert isinstance(item, tuple)
                out.append(item)
        return out

    return build


class Home:
    def __init__(self, cap: Capture, rng: random.Random, gateway: Device) -> None:
        self.cap, self.rng, self.gateway = cap, rng, gateway
        pool = [str(ip) for net in REMOTE_NETS for ip in ipaddress.ip_network(net).hosts()]
        rng.shuffle(pool)
        self._free = pool
        self._remote: dict[str, str] = {}

    @property
    def duration(self) -> float:
        return self.cap.duration

    # -- remote hosts and names ------------------------------------------------------------

    def remote_ip(self, name: str) -> str:
        if name not in self._remote:
            self._remote[name] = self._free.pop()
        return self._remote[name]

    def remote(self, ip: str) -> Node:
        return Node(
            ip=ip,
            mac=self.gateway.mac,
            ttl=self.rng.choice((51, 54, 55, 56, 57, 58, 118, 120)),
            local=False,
            ip_id=self.rng.getrandbits(16),
            window=self.rng.choice((501, 1024, 2048, 283)),
            clock_ms=self.rng.getrandbits(31),
        )

    def resolve(self, dev: Device, t: float, name: str, ttl: int = 300) -> tuple[str, float]:
        """Ask the gateway's DNS for `name` (A, and AAAA from dual-stack clients)."""
        cached = dev.dns_cache.get(name)
        if cached and cached[1] > t:
            return cached[0], t
        ip = self.remote_ip(name)
        gw = self.gateway.node
        delay = (
            self.rng.uniform(0.002, 0.006)
            if self.rng.random() < 0.6
            else self.rng.uniform(0.015, 0.06)
        )
        qtypes = ("A", "AAAA") if dev.stack in ("chromium", "apple", "schannel") else ("A",)
        for n, qtype in enumerate(qtypes):
            ident = self.rng.getrandbits(16)
            sport = self.rng.randint(*dev.ports)  # resolvers randomize the source port
            sent = t + n * 0.0004
            self.cap.udp(sent, dev.node, gw, sport, 53, payloads.dns_query(ident, name, qtype))
            answer = [ip] if qtype == "A" else []
            reply = payloads.dns_answer(ident, name, qtype, answer, ttl)
            self.cap.udp(sent + delay + n * 0.0002, gw, dev.node, 53, sport, reply)
        dev.dns_cache[name] = (ip, t + ttl)
        return ip, t + delay + 0.0005

    # -- link layer ------------------------------------------------------------------------

    def arp_exchange(self, t: float, asker: Device, target: Device) -> None:
        request = payloads.arp(1, asker.mac, asker.ip, "00:00:00:00:00:00", target.ip)
        self.cap.add(t, ethernet(BROADCAST_MAC, asker.mac, ETH_ARP, request))
        reply = payloads.arp(2, target.mac, target.ip, asker.mac, asker.ip)
        self.cap.add(t + 0.002, ethernet(asker.mac, target.mac, ETH_ARP, reply))

    def gratuitous_arp(self, t: float, dev: Device) -> None:
        frame = payloads.arp(1, dev.mac, dev.ip, "00:00:00:00:00:00", dev.ip)
        self.cap.add(t, ethernet(BROADCAST_MAC, dev.mac, ETH_ARP, frame))

    # -- DHCP ------------------------------------------------------------------------------

    def dhcp_join(self, dev: Device, t: float, discover: bool = True) -> float:
        """DISCOVER/OFFER/REQUEST/ACK, or just a REQUEST for the last address (INIT-REBOOT)."""
        gw, options = self.gateway, dhcp_options(dev, self.gateway.ip)
        xid = self.rng.getrandbits(32)
        anyone = Node(ip="0.0.0.0", mac=dev.mac, ttl=dev.node.ttl)  # noqa: S104 - a source
        everyone = Node(ip="255.255.255.255", mac=BROADCAST_MAC)
        leased = Node(ip=dev.ip, mac=dev.mac)
        if discover:
            hello = payloads.dhcp_client(dev.mac, xid, options("discover", ""))
            self.cap.udp(t, anyone, everyone, 68, 67, hello)
            t += self.rng.uniform(0.002, 0.02)
            offer = payloads.dhcp_server(dev.mac, xid, "offer", dev.ip, gw.ip, LEASE_SECONDS)
            self.cap.udp(t, gw.node, leased, 67, 68, offer)
            t += self.rng.uniform(0.01, 0.05)
        phase = "selecting" if discover else "init-reboot"
        request = payloads.dhcp_client(dev.mac, xid, options("request", phase), secs=int(discover))
        self.cap.udp(t, anyone, everyone, 68, 67, request)
        t += self.rng.uniform(0.002, 0.02)
        ack = payloads.dhcp_server(dev.mac, xid, "ack", dev.ip, gw.ip, LEASE_SECONDS)
        self.cap.udp(t, gw.node, leased, 67, 68, ack)
        self.gratuitous_arp(t + 0.05, dev)
        return t + 0.06

    def dhcp_renew(self, dev: Device, t: float) -> float:
        """A RENEWING request: unicast to the server from the leased address."""
        gw = self.gateway
        xid = self.rng.getrandbits(32)
        options = dhcp_options(dev, gw.ip)("request", "renewing")
        self.cap.udp(
            t, dev.node, gw.node, 68, 67, payloads.dhcp_client(dev.mac, xid, options, ciaddr=dev.ip)
        )
        t += self.rng.uniform(0.002, 0.02)
        ack = payloads.dhcp_server(dev.mac, xid, "ack", dev.ip, gw.ip, LEASE_SECONDS)
        self.cap.udp(t, gw.node, dev.node, 67, 68, ack)
        return t

    # -- connections -----------------------------------------------------------------------

    def connect(
        self,
        dev: Device,
        t: float,
        host: str,
        port: int,
        server: Node | None = None,
        rtt: float | None = None,
    ) -> TcpSession:
        """Resolve `host` (unless `server` is a LAN node) and open a TCP connection to it."""
        if server is None:
            ip, t = self.resolve(dev, t, host)
            server = self.remote(ip)
            rtt = rtt or self.rng.uniform(0.008, 0.035)
        session = TcpSession(
            self.cap, self.rng, dev.node, server, dev.port(self.rng), port, rtt or 0.001
        )
        session.connect(t)
        return session

    def tls(
        self,
        dev: Device,
        t: float,
        sni: str,
        port: int = 443,
        alpn: tuple[str, ...] = ("h2", "http/1.1"),
    ) -> TcpSession:
        """A TCP connection with a completed TLS handshake (ClientHello carries the SNI)."""
        session = self.connect(dev, t, sni, port)
        hello = payloads.tls_client_hello(sni, dev.stack, self.rng, alpn)
        flight = payloads.tls_server_flight(dev.stack, self.rng)
        session.exchange(hello, flight, think=self.rng.uniform(0.001, 0.01), rate=6e6)
        session.send(True, payloads.tls_client_finish(dev.stack, self.rng), session.t + 0.002)
        return session

    def https(
        self,
        dev: Device,
        t: float,
        sni: str,
        transfers: list[tuple[int, int]],
        gap: tuple[float, float] = (0.05, 1.5),
        rate: float = 5e6,
        close: bool = True,
        port: int = 443,
    ) -> float:
        """Connect, make requests of (up, down) bytes with pauses between them, close."""
        session = self.tls(dev, t, sni, port)
        for n, (up, down) in enumerate(transfers):
            if n:
                session.t += self.rng.uniform(*gap)
            session.exchange(
                payloads.tls_records(up, self.rng),
                payloads.tls_records(down, self.rng),
                think=self.rng.uniform(0.005, 0.08),
                rate=rate,
            )
        if close:
            session.close(session.t + self.rng.uniform(0.5, 5.0), by_client=self.rng.random() < 0.6)
        return session.t

    def http(
        self,
        dev: Device,
        t: float,
        host: str,
        request: bytes,
        response: bytes,
        port: int = 80,
        server: Node | None = None,
    ) -> float:
        session = self.connect(dev, t, host, port, server)
        session.exchange(request, response, think=self.rng.uniform(0.005, 0.05))
        session.close(session.t + self.rng.uniform(0.05, 0.4), by_client=self.rng.random() < 0.5)
        return session.t

    def typed_address(
        self, dev: Device, t: float, host: str, user_agent: str, server: str
    ) -> float:
        """A browser asked for an address typed without https://: one GET, a 301 to HTTPS."""
        request = payloads.http_request("GET", "/", host, [
            ("Connection", "keep-alive"), ("Upgrade-Insecure-Requests", "1"),
            ("User-Agent", user_agent), ("Accept", ACCEPT_HTML),
            ("Accept-Encoding", "gzip, deflate"), ("Accept-Language", "de-DE,de;q=0.9,en;q=0.8"),
        ])  # fmt: skip
        response = payloads.http_response(
            "301 Moved Permanently", [("Location", f"https://{host}/"), ("Server", server)]
        )
        return self.http(dev, t, host, request, response)

    def stream(
        self,
        dev: Device,
        t0: float,
        t1: float,
        hosts: Callable[[], str],
        chunk: int,
        every: float,
        connection_life: float,
        rate: float = 5e6,
        request: int = 600,
    ) -> None:
        """A media session: a chunk fetched every `every` s, connections renewed now and then."""
        t = t0
        while t < t1:
            session = self.tls(dev, t, hosts())
            end = min(t1, session.t + connection_life * self.rng.uniform(0.7, 1.3))
            while session.t < end:
                size = int(chunk * self.rng.uniform(0.6, 1.4))
                session.exchange(
                    payloads.tls_records(request, self.rng),
                    payloads.tls_records(size, self.rng),
                    think=self.rng.uniform(0.005, 0.03),
                    rate=rate,
                )
                session.t += every * self.rng.uniform(0.7, 1.3)
            session.close(session.t, by_client=True)
            t = session.t + self.rng.uniform(0.05, 0.5)

    def keepalive(
        self,
        dev: Device,
        t0: float,
        t1: float,
        sni: str,
        port: int,
        every: float,
        up: int = 40,
        down: int = 40,
        life: float = 1500.0,
        alpn: tuple[str, ...] = ("h2", "http/1.1"),
    ) -> None:
        """A long-lived TLS connection (push, MQTT, chat) exchanging a small ping every `every` s.

        It is renewed after about `life` seconds, before a flow meter's active timeout (30 min
        by default) would cut it; keep `every` under the meter's idle timeout (2 min) for the
        same reason. The connection is left open at `t1` (device off or capture over).
        """
        t = t0
        while t < t1:
            session = self.tls(dev, t, sni, port, alpn)
            end = min(t1, session.t + life * self.rng.uniform(0.8, 1.0))
            while (ping := session.t + every * self.rng.uniform(0.85, 1.15)) < end:
                session.exchange(
                    payloads.tls_records(up, self.rng),
                    payloads.tls_records(down, self.rng),
                    t=ping,
                    think=0.001,
                )
            if end < t1:
                session.close(max(end, session.t + 0.5), by_client=True)
            t = end + self.rng.uniform(1.0, 10.0)

    def check_in(
        self, dev: Device, t0: float, t1: float, sni: str, every: float, up: int, down: int
    ) -> None:
        """A fresh HTTPS request every `every` seconds (metrics, store, status reports)."""
        for when in every_until(t0, t1, every, self.rng):
            self.https(dev, when, sni, [(up, down)], close=True)


def random_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128)))


def every_until(
    t0: float, t1: float, period: float, rng: random.Random, jitter: float = 0.1
) -> list[float]:
    """Times from `t0` to `t1`, `period` apart give or take `jitter` (a fraction)."""
    out, t = [], t0
    while t < t1:
        out.append(t)
        t += period * rng.uniform(1 - jitter, 1 + jitter)
    return out
