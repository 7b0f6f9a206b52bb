"""The engine: flows and discovery events in; devices, usage, alerts and notices out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lanward.engine.detect import default_addons
from lanward.engine.detect.feeds import Indicators
from lanward.engine.devices import DEFAULT_HOME_NETS, DeviceTable
from lanward.engine.events import (
    AppEvent,
    ArpSeen,
    DhcpSeen,
    Flow,
    MdnsSeen,
    NameSeen,
    Notice,
    SsdpSeen,
)
from lanward.engine.recognize.oui import normalize_mac
from lanward.engine.rules import RuleSet
from lanward.engine.usage import UsageMeter, app_name

SCHEMA_VERSION = 1


@dataclass
class EngineConfig:
    home_nets: tuple[str, ...] = DEFAULT_HOME_NETS
    max_devices: int = 4096
    active_threshold_bytes: int = 20_000
    keep_flows: bool = False
    max_flows: int = 262_144  # flows the meter tracks at once; past it the idlest is dropped
    max_kept_flows: int = 100_000
    # Detectors (engine/detect/): see each module's docstring.
    remote_access_allowed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # MAC -> apps
    # (MAC, app) -> allowed until (ms; 0 = for good); absent: for good
    remote_access_until: dict[tuple[str, str], int] = field(default_factory=dict)
    gateways: tuple[str, ...] = ()  # the router's LAN addresses (router access protection)
    router_approved: dict[str, int] = field(
        default_factory=dict
    )  # MAC -> approved until (ms; 0 = for good)
    scan_window_s: int = 60
    scan_ports: int = 6
    scan_hosts: int = 15
    indicators: Indicators | None = None
    rules: RuleSet | None = None  # compiled signatures (engine/rules/); None = lanward's own
    # Smart alerts (engine/detect/anomaly/): days each device's baseline learns before alerting,
    # and per device type "off" | "low" | "normal" | "high".
    anomaly_learning_days: float = 7.0
    anomaly_sensitivity: dict[str, str] = field(default_factory=dict)
    # The station's own interfaces. It forwards the household's DNS lookups and runs the
    # security check's scans and password tries, so it is never judged as a home device that
    # attacks others or behaves unusually (alerts about others reaching it still count).
    own_macs: tuple[str, ...] = ()


# Alert kinds that judge the device named in the alert's `mac` by what it did itself.
ACTOR_KINDS = frozenset({"internal_attack", "anomaly"})


@dataclass
class Engine:
    config: EngineConfig = field(default_factory=EngineConfig)
    addons: list[Any] = field(default_factory=default_addons)

    def __post_init__(self) -> None:
        self.own_macs = frozenset(_mac_or_blank(m) for m in self.config.own_macs) - {""}
        self.devices = DeviceTable(self.config.home_nets, self.config.max_devices)
        self.usage = UsageMeter(self.config.active_threshold_bytes)
        self.flow_count = 0
        self.app_event_count = 0
        self.kept_flows: list[Flow] = []
        self.alerts: list[dict[str, Any]] = []
        self.notices: list[Notice] = []
        for addon in self.addons:
            self._safecall(addon, "configure", self.config)
            self._safecall(addon, "attach", self.devices)  # addons that need device types

    def _safecall(self, addon: Any, hook: str, *args: Any) -> Any:
        method = getattr(addon, hook, None)
        if method is None:
            return None
        try:
            result = method(*args)
        except Exception as exc:  # noqa: BLE001 - rule 2: a failing detector is skipped
            self.notices.append(
                Notice("addon_error", f"{type(addon).__name__}.{hook} failed: {exc!r}", 0)
            )
            return None
        if hook != "configure" and result:
            if self.own_macs:
                result = [
                    a
                    for a in result
                    if not (a.get("kind") in ACTOR_KINDS and a.get("mac") in self.own_macs)
                ]
            self.alerts.extend(result)
        return result

    def flow(self, flow: Flow) -> None:
        self.flow_count += 1
        if self.config.keep_flows:
            if len(self.kept_flows) < self.config.max_kept_flows:
                self.kept_flows.append(flow)
            elif len(self.kept_flows) == self.config.max_kept_flows:
                self.notices.append(
                    Notice(
                        "flows_dropped",
                        "flow list full; later flows are counted, not listed",
                        flow.last_seen_ms,
                    )
                )
                self.kept_flows.append(flow)  # one sentinel past the limit, so we warn once
        device, direction = self.devices.observe_flow(flow)
        if device is not None:
            up, down = (
                (flow.src2dst_bytes, flow.dst2src_bytes)
                if direction == "up"
                else (flow.dst2src_bytes, flow.src2dst_bytes)
            )
            self.usage.add(
                device.mac,
                app_name(flow.app),
                flow.category or "Unspecified",
                up,
                down,
                flow.first_seen_ms,
                flow.last_seen_ms,
            )
        for addon in self.addons:
            self._safecall(addon, "flow_end", flow)

    def discovery(self, event: DhcpSeen | MdnsSeen | SsdpSeen | NameSeen) -> None:
        self.devices.observe(event)
        for addon in self.addons:
            self._safecall(addon, "discovery", event)

    def update_policy(
        self, remote_allowed: dict[str, Any], router_approved: dict[str, int]
    ) -> None:
        """Take the owner's current allowances (lanward.threats.policy) without a restart.

        remote_allowed: MAC -> {app: until_ms or 0} (or an iterable of apps: for good);
        router_approved: MAC -> until_ms or 0. Only the addons with a `policy` hook re-read them.
        """
        self.config.remote_access_allowed = {
            mac: tuple(apps) for mac, apps in remote_allowed.items()
        }
        self.config.remote_access_until = {
            (mac, app): until
            for mac, apps in remote_allowed.items()
            if isinstance(apps, dict)
            for app, until in apps.items()
        }
        self.config.router_approved = dict(router_approved)
        for addon in self.addons:
            self._safecall(addon, "policy", self.config)

    def update_feeds(self, indicators: Indicators | None, rules: RuleSet | None) -> None:
        """New indicator feeds and rules (the console's threat feeds), without a restart.

        Only the addons with a `feeds` hook re-read them; their other state stays.
        """
        self.config.indicators = indicators
        self.config.rules = rules
        for addon in self.addons:
            self._safecall(addon, "feeds", self.config)

    def app_event(self, event: AppEvent) -> None:
        """An application-layer event (HTTP transaction, DNS query, TLS hello, credential).

        DNS answers (`DnsAnswer`) come this way too: the smart alerts count failed lookups.
        """
        self.app_event_count += 1
        for addon in self.addons:
            self._safecall(addon, "app_event", event)

    def arp(self, event: ArpSeen) -> None:
        for addon in self.addons:
            self._safecall(addon, "arp", event)

    def note_dropped_flows(self, count: int, limit: int, ts_ms: int = 0) -> None:
        self.notices.append(
            Notice(
                "flows_dropped",
                f"the flow table was full ({limit} flows): {count} idle flows were dropped before they "
                "ended, so their bytes are missing from usage. Raise LANWARD_MAX_FLOWS if this repeats.",
                ts_ms,
                {"dropped": count, "limit": limit},
            )
        )

    def take_notices(self) -> list[Notice]:
        out = self.notices + self.devices.notices
        self.notices, self.devices.notices = [], []
        return out

    def result(self) -> dict[str, Any]:
        devices = sorted(self.devices.devices.values(), key=lambda d: d.first_seen_ms)
        out: dict[str, Any] = {
            "schema": SCHEMA_VERSION,
            "flows": self.flow_count,
            "devices": [d.as_dict() for d in devices],
            "usage": [r.as_dict() for r in self.usage.rows()],
            "alerts": list(self.alerts),
            "notices": [
                {"kind": n.kind, "message": n.message, "time": n.ts_ms}
                for n in self.notices + self.devices.notices
            ],
        }
        if self.config.keep_flows:
            out["flow_records"] = [
                flow_dict(f) for f in self.kept_flows[: self.config.max_kept_flows]
            ]
        return out


def flow_dict(flow: Flow) -> dict[str, Any]:
    return {
        "src_ip": flow.src_ip,
        "src_port": flow.src_port,
        "dst_ip": flow.dst_ip,
        "dst_port": flow.dst_port,
        "protocol": flow.protocol,
        "src_mac": flow.src_mac,
        "dst_mac": flow.dst_mac,
        "first_seen": flow.first_seen_ms,
        "last_seen": flow.last_seen_ms,
        "packets_up": flow.src2dst_packets,
        "bytes_up": flow.src2dst_bytes,
        "packets_down": flow.dst2src_packets,
        "bytes_down": flow.dst2src_bytes,
        "app": flow.app,
        "category": flow.category,
        "sni": flow.sni,
        "user_agent": flow.user_agent,
        "ja4": flow.ja4,
    }


def _mac_or_blank(mac: str) -> str:
    try:
        return normalize_mac(mac)
    except ValueError:
        return ""
