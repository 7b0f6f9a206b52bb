"""Attacks on other devices: password guessing (brute force) and worm-like spreading.

Brute force: one source opening many short sessions to the same login service of one host within
a window (`brute_attempts`, 10 in 60 s). Each guess is a short connection that exchanged a little
data and ended: Mirai and its descendants do exactly this against telnet, others against SSH,
FTP, RDP, SMB, VNC and databases. A home device doing it to another home device is an internal
attack (`brute_force`, high); an outside host doing it to a home device is `brute_force_inbound`
(high: the service is exposed to the internet).

Worm spread: a home device opening sessions on a spreading port (telnet, SMB) to many different
hosts (`worm_hosts`, 10 in 60 s), with data exchanged (a sweep without data is a scan, see
scan.py). State is bounded and expires by flow time; one alert per source, target and kind per
window.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Any

from lanward.engine.detect.alerts import HomeNets, alert
from lanward.engine.events import Flow

TCP = 6
LOGIN_SERVICES = {
    21: "FTP",
    22: "SSH",
    23: "Telnet",
    2323: "Telnet",
    110: "POP3",
    143: "IMAP",
    445: "SMB",
    1433: "SQL Server",
    3306: "MySQL",
    3389: "RDP",
    5432: "PostgreSQL",
    5900: "VNC",
}
SPREAD_PORTS = {23: "Telnet", 2323: "Telnet", 445: "SMB", 139: "SMB"}
SHORT_SESSION_MS = 15_000
SMALL_SESSION_BYTES = 20_000


def _is_attempt(flow: Flow) -> bool:
    """A completed, short, small TCP session: one login try."""
    return (
        flow.protocol == TCP
        and flow.dst2src_packets >= 2
        and flow.src2dst_packets >= 3
        and flow.last_seen_ms - flow.first_seen_ms <= SHORT_SESSION_MS
        and flow.src2dst_bytes + flow.dst2src_bytes <= SMALL_SESSION_BYTES
    )


class _Windows:
    """Timestamps per key within a window, bounded in keys and entries."""

    def __init__(self, window_ms: int, max_keys: int = 2048, max_entries: int = 256) -> None:
        self.window_ms = window_ms
        self.max_keys = max_keys
        self.max_entries = max_entries
        self.items: OrderedDict[Any, deque[tuple[int, Any]]] = OrderedDict()
        self.alerted: OrderedDict[Any, int] = OrderedDict()

    def add(self, key: Any, ts: int, value: Any = None) -> deque[tuple[int, Any]]:
        entries = self.items.get(key)
        if entries is None:
            entries = self.items[key] = deque()
        self.items.move_to_end(key)
        entries.append((ts, value))
        while entries and (entries[0][0] < ts - self.window_ms or len(entries) > self.max_entries):
            entries.popleft()
        while len(self.items) > self.max_keys:
            self.items.popitem(last=False)
        return entries

    def first_alert(self, key: Any, ts: int) -> bool:
        last = self.alerted.get(key)
        if last is not None and last >= ts - self.window_ms:
            return False
        self.alerted[key] = ts
        self.alerted.move_to_end(key)
        while len(self.alerted) > self.max_keys:
            self.alerted.popitem(last=False)
        return True


class BruteForce:
    def __init__(self, window_s: int = 60, attempts: int = 10) -> None:
        self.home = HomeNets()
        self.attempts = attempts
        self.windows = _Windows(window_s * 1000)

    def configure(self, config: Any) -> None:
        self.home = HomeNets(tuple(config.home_nets))
        self.attempts = int(getattr(config, "brute_attempts", self.attempts))
        self.windows = _Windows(int(getattr(config, "brute_window_s", 60)) * 1000)

    def flow_end(self, flow: Flow) -> list[dict[str, Any]]:
        service = LOGIN_SERVICES.get(flow.dst_port)
        if service is None or not _is_attempt(flow) or flow.dst_ip not in self.home:
            return []
        kind = "brute_force" if flow.src_ip in self.home else "brute_force_inbound"
        key = (flow.src_ip, flow.dst_ip, flow.dst_port)
        entries = self.windows.add(key, flow.last_seen_ms)
        if len(entries) < self.attempts or not self.windows.first_alert(
            (kind, *key), flow.last_seen_ms
        ):
            return []
        seconds = self.windows.window_ms // 1000
        who = (
            f"The home device {flow.src_ip}"
            if kind == "brute_force"
            else f"{flow.src_ip}, outside the home,"
        )
        why = (
            "A device attacking others at home is usually infected: disconnect it and check it."
            if kind == "brute_force"
            else "This login is reachable from the internet: close the port forwarding or use strong passwords."
        )
        return [
            alert(
                kind,
                "high",
                flow.last_seen_ms,
                flow.src_ip,
                f"{flow.dst_ip}:{flow.dst_port}",
                flow.src_mac if kind == "brute_force" else flow.dst_mac,
                f"{who} opened {len(entries)} short {service} sessions to {flow.dst_ip} within "
                f"{seconds} s: it is guessing passwords. {why}",
                app=service,
                evidence={
                    "service": service,
                    "port": flow.dst_port,
                    "attempts": len(entries),
                    "window_s": seconds,
                },
            )
        ]


class WormSpread:
    def __init__(self, window_s: int = 60, hosts: int = 10) -> None:
        self.home = HomeNets()
        self.hosts = hosts
        self.windows = _Windows(window_s * 1000)

    def configure(self, config: Any) -> None:
        self.home = HomeNets(tuple(config.home_nets))
        self.hosts = int(getattr(config, "worm_hosts", self.hosts))
        self.windows = _Windows(int(getattr(config, "worm_window_s", 60)) * 1000)

    def flow_end(self, flow: Flow) -> list[dict[str, Any]]:
        service = SPREAD_PORTS.get(flow.dst_port)
        if (
            service is None
            or flow.protocol != TCP
            or flow.src_ip not in self.home
            or flow.dst2src_packets < 2
            or flow.src2dst_packets < 3
        ):
            return []
        key = (flow.src_ip, flow.dst_port)
        entries = self.windows.add(key, flow.last_seen_ms, flow.dst_ip)
        targets = sorted({host for _, host in entries})
        if len(targets) < self.hosts or not self.windows.first_alert(
            ("worm", *key), flow.last_seen_ms
        ):
            return []
        seconds = self.windows.window_ms // 1000
        return [
            alert(
                "worm_spread",
                "high",
                flow.last_seen_ms,
                flow.src_ip,
                f"*:{flow.dst_port}",
                flow.src_mac,
                f"The home device {flow.src_ip} opened {service} sessions to {len(targets)} different "
                f"hosts within {seconds} s. That is how worms such as Mirai spread: disconnect the "
                "device, reset it and change its password.",
                app=service,
                evidence={
                    "service": service,
                    "port": flow.dst_port,
                    "hosts": targets[:64],
                    "host_count": len(targets),
                },
            )
        ]
