"""What gateway mode blocks, and why. Sans-IO: data in, set contents and alert actions out.

Preventive (in place before any traffic): indicator feed addresses (`feed_remote*`), the
console's remote-control allowances (`remote_allowed*`: lan address . port) and router approvals
(`router_managers`), and paused devices. The ruleset drops new inbound connections to remote-
control ports unless allowed, and admin sign-ins to the router from devices not approved.

Reactive: an alert the engine raised maps to a block with an expiry (`block_seconds`):

    remote_access_inbound, not allowed   the remote address cut off from that device (pair)
    indicator_match, high                the remote address (already blocked when it is a
                                         listed address; a server name match blocks the pair)
    router_access                        the device blocked from the router's admin ports
    dangerous_file                       the remote address that served it
    brute_force_inbound, scan_inbound    the remote address doing it

Every alert reviewed gets an `action` (the store keeps it on the alert's row):
"blocked ..." in gateway mode, "monitor only ..." otherwise, saying what gateway mode would do.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lanward.enforce import ruleset as rs
from lanward.engine.detect.alerts import HomeNets, alert
from lanward.engine.detect.feeds import Indicators
from lanward.lib.nftables import Key, ReplaceSet
from lanward.lib.prefixes import LOCAL_RANGES, MULTICAST_RANGES

_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
Expiry = int | None  # ms since the epoch; None: for good
# Feed entries broader than this are not a threat indicator but a mistake (or a bogon list).
MIN_PREFIX = {4: 8, 6: 16}
# Never blocked from a feed, whatever the home networks: a WAN side may well use them (the ISP's
# router, carrier-grade NAT), and they are no one's attack server.
NOT_REMOTE = LOCAL_RANGES + MULTICAST_RANGES


def normal_mac(mac: str) -> str:
    mac = mac.strip().lower().replace("-", ":")
    return mac if _MAC.match(mac) else ""


def address(text: str) -> str:
    """The address in an alert's src/dst ('1.2.3.4', '1.2.3.4:80', '[::1]:22'); '' if none."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return ""


def _v(ip: str) -> int:
    return 0 if ipaddress.ip_address(ip).version == 4 else 1


def _live(until: Any, now_ms: int) -> Expiry | bool:
    """None for good (0), the expiry when still ahead, False when past or not a number."""
    if isinstance(until, bool) or not isinstance(until, int):
        return False
    if until == 0:
        return None
    return until if until > now_ms else False


@dataclass
class Block:
    expires_ms: int
    reason: tuple[str, ...]  # what lifts it early: ("remote_access", mac, app), ("router", mac)


@dataclass
class Enforcement:
    enforcing: bool  # False: monitor mode, the actions say what gateway mode would do
    home_nets: tuple[str, ...] = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
    admin_ports: tuple[int, ...] = rs.DEFAULT_ADMIN_PORTS
    block_seconds: int = 3600
    wanted: dict[str, dict[Key, Expiry]] = field(default_factory=dict)  # policy and feeds
    reactive: dict[str, dict[Key, Block]] = field(default_factory=dict)
    sent: dict[str, dict[Key, Expiry]] = field(default_factory=dict)
    feed_skipped: list[str] = field(default_factory=list)
    seen_drops: set[tuple[str, ...]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.home = HomeNets(self.home_nets)
        self.allowed: dict[str, dict[str, Expiry]] = {}
        self.approved: dict[str, Expiry] = {}

    # -- preventive ------------------------------------------------------------------------

    def set_policy(
        self, policy: Mapping[str, Any], neighbors: Mapping[str, Iterable[str]], now_ms: int
    ) -> None:
        """The console's policy; `neighbors` maps each MAC to its current addresses."""
        self.allowed, self.approved = {}, {}
        allowed: list[dict[Key, Expiry]] = [{}, {}]
        for raw_mac, apps in (policy.get("remote_allowed") or {}).items():
            mac = normal_mac(raw_mac)
            for app, until in (apps or {}).items() if mac else ():
                expiry = _live(until, now_ms)
                if expiry is False:
                    continue
                self.allowed.setdefault(mac, {})[app] = expiry
                ports = rs.ALL_REMOTE_PORTS if app == "*" else rs.REMOTE_CONTROL_PORTS.get(app, ())
                for ip in neighbors.get(mac, ()):
                    for port in ports:
                        allowed[_v(ip)][(ip, port)] = expiry
        managers: dict[Key, Expiry] = {}
        for raw_mac, until in (policy.get("router_approved") or {}).items():
            mac, expiry = normal_mac(raw_mac), _live(until, now_ms)
            if mac and expiry is not False:
                self.approved[mac] = expiry
                managers[(mac,)] = expiry
        paused: dict[Key, Expiry] = {}
        for raw_mac, until in (policy.get("paused") or {}).items():
            mac, expiry = normal_mac(raw_mac), _live(until, now_ms)
            if mac and expiry is not False:
                paused[(mac,)] = expiry
        for v in (0, 1):
            self.wanted[rs.REMOTE_ALLOWED[v]] = allowed[v]
        self.wanted[rs.ROUTER_MANAGERS] = managers
        self.wanted[rs.PAUSED] = paused
        # An allowance or approval given since lifts the blocks it makes pointless.
        for blocks in self.reactive.values():
            for key in [k for k, b in blocks.items() if self._lifted(b.reason)]:
                del blocks[key]

    def _lifted(self, reason: tuple[str, ...]) -> bool:
        if reason[0] == "remote_access":
            apps = self.allowed.get(reason[1], {})
            return "*" in apps or reason[2] in apps
        if reason[0] == "router":
            return reason[1] in self.approved
        return False

    def set_router_addresses(self, addresses: Iterable[str]) -> None:
        """Other routers whose admin ports LAN devices reach through the station."""
        found: list[dict[Key, Expiry]] = [{}, {}]
        for ip in addresses:
            if address(ip):
                found[_v(address(ip))][(address(ip),)] = None
        for v in (0, 1):
            self.wanted[rs.ROUTER_ADDRS[v]] = found[v]

    def set_indicators(self, indicators: Indicators | None) -> None:
        """Every listed address and network, blocked from the first packet (home ones skipped)."""
        nets: list[list[ipaddress.IPv4Network | ipaddress.IPv6Network]] = [[], []]
        self.feed_skipped = []
        if indicators is not None:
            found: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = [
                ipaddress.ip_network(ip) for ip in indicators.ips
            ]
            found += [network for network, _ in indicators.networks.items()]
            for net in found:
                keep_out = [*self.home.nets, *NOT_REMOTE]
                home = any(net.overlaps(h) for h in keep_out if h.version == net.version)
                if net.prefixlen < MIN_PREFIX[net.version] or home:
                    self.feed_skipped.append(str(net))
                    continue
                nets[net.version // 6].append(net)
        for v in (0, 1):
            collapsed = ipaddress.collapse_addresses(nets[v])  # type: ignore[type-var]
            self.wanted[rs.FEED[v]] = {
                (str(n.network_address) if n.num_addresses == 1 else str(n),): None
                for n in collapsed
            }

    # -- reactive --------------------------------------------------------------------------

    def review(self, found: dict[str, Any], now_ms: int) -> str:
        """Decide what an alert makes the gateway do; record it in the alert's `action`."""
        if "action" in found:
            return str(found["action"])
        what = self._block_for(found, now_ms)
        if not what:
            action = "monitor only"
        elif self.enforcing:
            action = f"blocked {what}"
        else:
            action = f"monitor only: gateway mode would have blocked {what}"
        found["action"] = action
        return action

    def _add(self, name: str, key: Key, now_ms: int, reason: tuple[str, ...]) -> None:
        expires = now_ms + self.block_seconds * 1000
        old = self.reactive.setdefault(name, {}).get(key)
        if old is None or old.expires_ms < expires:
            self.reactive[name][key] = Block(expires, reason)

    def _block_for(self, found: Mapping[str, Any], now_ms: int) -> str:
        detector, severity = found.get("detector", ""), found.get("severity", "")
        src, dst = address(str(found.get("src", ""))), address(str(found.get("dst", "")))
        evidence = found.get("evidence") or {}
        minutes = f"for {max(1, self.block_seconds // 60)} min"
        remote = next((ip for ip in (src, dst) if ip and ip not in self.home), "")
        local = next((ip for ip in (src, dst) if ip and ip in self.home), "")
        if detector == "remote_access_inbound" and not evidence.get("allowed") and remote and local:
            mac, app = normal_mac(str(found.get("mac", ""))), str(found.get("app", ""))
            if mac and self._lifted(("remote_access", mac, app)):
                return ""
            self._add(
                rs.BLOCKED_PAIR[_v(local)], (local, remote), now_ms, ("remote_access", mac, app)
            )
            return f"{remote} from reaching {local} {minutes}"
        if detector == "indicator_match" and severity in ("high", "critical") and remote:
            indicator = evidence.get("indicator") or {}
            if evidence.get("matched_field") == "ip" and self._in_feed(remote):
                return f"{remote} from the first packet: it is on the feed {indicator.get('feed', '')!r}"
            if str(found.get("app", "")).partition(".")[0] == "DNS":
                return ""  # a name looked up: the DNS filter answers for names
            if evidence.get("matched_field") == "server_name" and local:
                # A listed name on a shared host (a CDN): cut off this device, not everyone.
                self._add(rs.BLOCKED_PAIR[_v(local)], (local, remote), now_ms, ("indicator",))
                return f"{local} from reaching {remote} {minutes}"
            self._add(rs.BLOCKED_REMOTE[_v(remote)], (remote,), now_ms, ("indicator",))
            return f"{remote} {minutes}"
        if detector == "router_access":
            mac = normal_mac(str(found.get("mac", "")))
            port = (found.get("evidence") or {}).get("port")
            if mac and port in self.admin_ports and mac not in self.approved:
                self._add(rs.ADMIN_BLOCKED, (mac,), now_ms, ("router", mac))
                return f"{mac} from the router's admin ports {minutes}"
        if detector in ("dangerous_file", "brute_force_inbound", "scan_inbound") and remote:
            if detector != "dangerous_file" and remote != src:
                return ""
            self._add(rs.BLOCKED_REMOTE[_v(remote)], (remote,), now_ms, (detector,))
            return f"{remote} {minutes}"
        return ""

    def _in_feed(self, ip: str) -> bool:
        addr = ipaddress.ip_address(ip)
        return any(
            addr in ipaddress.ip_network(key[0]) for key in self.wanted.get(rs.FEED[_v(ip)], {})
        )

    def dropped_inbound(
        self, keys: Iterable[tuple[str, ...]], macs: Mapping[str, str], now_ms: int
    ) -> list[dict[str, Any]]:
        """Alerts for inbound remote-control attempts the rules dropped since the last look.

        `keys` are the drop-log sets' elements (remote, lan address, port); `macs` maps LAN
        addresses to MACs. An element lives `drop_log_seconds`: one alert per attempt pair and
        port in that time.
        """
        keys = [tuple(k) for k in keys]
        new = [k for k in keys if k not in self.seen_drops]
        self.seen_drops = set(keys)
        out = []
        for remote, local, port_text in (k for k in new if len(k) == 3):
            port = int(port_text) if port_text.isdigit() else 0
            app = rs.PORT_APP.get(port, "remote control")
            found = alert(
                "remote_access_inbound",
                "high",
                now_ms,
                remote,
                local,
                macs.get(local, ""),
                f"{remote}, an address outside the home, tried to open a {app} remote-control "
                f"session to {local}, and the gateway dropped it. If someone in the home needs "
                f"this, allow {app} on that device; otherwise nothing needs doing.",
                app=app,
                evidence={"direction": "inbound", "allowed": False, "answered": False},
            )
            found["evidence"].update(dst_port=port, dropped_by="gateway")
            action = f"blocked {remote} from opening {app} (port {port}) on {local}"
            found["action"] = action
            out.append(found)
        return out

    # -- to the backend --------------------------------------------------------------------

    def contents(self, now_ms: int) -> dict[str, dict[Key, Expiry]]:
        """Every set's wanted content now (expired elements left out)."""
        out = {
            name: {k: e for k, e in els.items() if e is None or e > now_ms}
            for name, els in self.wanted.items()
        }
        for name, blocks in self.reactive.items():
            for key in [k for k, b in blocks.items() if b.expires_ms <= now_ms]:
                del blocks[key]
            out[name] = {key: b.expires_ms for key, b in blocks.items()}
        return out

    def changes(self, now_ms: int) -> list[ReplaceSet]:
        """The set updates that bring the backend to the wanted state (none when it is there)."""
        ops = []
        for name, content in self.contents(now_ms).items():
            if self.sent.get(name, {}) == content:  # a new table's sets are empty
                continue
            ops.append(
                ReplaceSet(
                    name, {k: None if e is None else max(e - now_ms, 1) for k, e in content.items()}
                )
            )
        return ops

    def applied(self, ops: Iterable[ReplaceSet], now_ms: int) -> None:
        """The backend took these updates."""
        for op in ops:
            self.sent[op.name] = {
                k: None if ms is None else now_ms + ms for k, ms in op.elements.items()
            }

    def forget_sent(self) -> None:
        """The backend's sets were reset (a new table): send everything again."""
        self.sent = {}
